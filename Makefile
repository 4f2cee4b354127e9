# runall - build, install and test.
#
# Every executable is src/TOOL.cpp (a thin main); every other src/*.cpp is a
# module linked into build/libruntime.a; every tests/*_test.cpp is a unit test
# linked into one GoogleTest binary. Adding a module or a test needs no edit
# here.

PREFIX     ?= /usr/local
SYSCONFDIR ?= $(PREFIX)/etc
MANDIR     ?= $(PREFIX)/share/man
DATADIR    ?= $(PREFIX)/share/runall
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
# The state directories the tools default to (hostname files, launch files,
# images, shares). Compiled in so a sudo'd helper never reads them from the
# environment.
LOCALSTATEDIR ?= /var/lib/runall
RUNSTATEDIR   ?= /run/runall
DESTDIR    ?=

CXX      ?= g++
CXXFLAGS ?= -O2 -g
CXXFLAGS += -std=c++17 -Wall -Wextra -Werror -Wshadow -pedantic
CPPFLAGS += -D_GNU_SOURCE \
	-DRUNALL_SYSCONFDIR='"$(SYSCONFDIR)"' \
	-DRUNALL_SBINDIR='"$(SBINDIR)"' \
	-DRUNALL_BINDIR='"$(BINDIR)"' \
	-DRUNALL_DATADIR='"$(DATADIR)"' \
	-DRUNALL_LOCALSTATEDIR='"$(LOCALSTATEDIR)"' \
	-DRUNALL_RUNSTATEDIR='"$(RUNSTATEDIR)"'
LDFLAGS  ?=

B := build

# Short progress lines; `make V=1` shows the full commands.
ifeq ($(V),1)
Q :=
say :=
else
Q := @
say = @printf '  %-6s %s\n' $(1) $(2);
endif

# Privileged helpers go to sbin (run by root, through sudo, or by
# start-tun-interface in the case of runall-dhcpd); the others to bin.
SBIN_TOOLS := start-tun-interface update-dynamic-hosts runall-dhcpd
BIN_TOOLS  := runqemuos runall-os-test
# Only the tools whose main exists are built, so the tree builds at every step.
SBIN_PROGS := $(foreach t,$(SBIN_TOOLS),$(if $(wildcard src/$(t).cpp),$(t)))
BIN_PROGS  := $(foreach t,$(BIN_TOOLS),$(if $(wildcard src/$(t).cpp),$(t)))
PROGS      := $(SBIN_PROGS) $(BIN_PROGS)

TOOL_SRCS   := $(addprefix src/,$(addsuffix .cpp,$(SBIN_TOOLS) $(BIN_TOOLS)))
MODULE_SRCS := $(filter-out $(TOOL_SRCS),$(wildcard src/*.cpp))
MODULE_OBJS := $(MODULE_SRCS:src/%.cpp=$(B)/obj/%.o)
TEST_SRCS   := $(wildcard tests/*_test.cpp)
TEST_OBJS   := $(TEST_SRCS:tests/%.cpp=$(B)/obj/tests/%.o)

MAN_PAGES := $(wildcard man/*.[1-8])

# Helper programs that only tests and benchmarks run (fake peers, load
# generators): tests/tools/NAME.cpp and bench/NAME.cpp, linked with the
# modules. Built by `make check` and `make bench`, never installed.
TEST_TOOLS  := $(patsubst tests/tools/%.cpp,$(B)/tests/%,$(wildcard tests/tools/*.cpp))
BENCH_TOOLS := $(patsubst bench/%.cpp,$(B)/bench/%,$(wildcard bench/*.cpp))

all: $(addprefix $(B)/,$(PROGS))

$(B)/obj/%.o: src/%.cpp
	@mkdir -p $(@D)
	$(Q)$(call say,CXX,$<)$(CXX) $(CPPFLAGS) $(CXXFLAGS) -MMD -MP -c -o $@ $<

$(B)/obj/tests/%.o: tests/%.cpp
	@mkdir -p $(@D)
	$(Q)$(call say,CXX,$<)$(CXX) $(CPPFLAGS) $(CXXFLAGS) -Isrc -MMD -MP -c -o $@ $<

$(B)/libruntime.a: $(MODULE_OBJS)
	@mkdir -p $(@D)
	$(Q)$(call say,AR,$@)rm -f $@ && ar rcs $@ $^

$(B)/%: $(B)/obj/%.o $(B)/libruntime.a
	$(Q)$(call say,LINK,$@)$(CXX) $(CXXFLAGS) $(LDFLAGS) -o $@ $< $(B)/libruntime.a

# The DHCP server stays resident for as long as its guest runs, one per
# guest: linked statically, an exec'd server maps only the few pages it
# touches instead of all of libc and libstdc++ (bench/dhcp shows VmRSS).
# Set DHCPD_LDFLAGS= where no static libc exists.
DHCPD_LDFLAGS ?= -static -Wl,--gc-sections
$(B)/runall-dhcpd: $(B)/obj/runall-dhcpd.o $(B)/libruntime.a
	$(Q)$(call say,LINK,$@)$(CXX) $(CXXFLAGS) $(LDFLAGS) $(DHCPD_LDFLAGS) -o $@ $< $(B)/libruntime.a

$(B)/unit_tests: $(TEST_OBJS) $(B)/libruntime.a
	$(Q)$(call say,LINK,$@)$(CXX) $(CXXFLAGS) $(LDFLAGS) -o $@ $(TEST_OBJS) $(B)/libruntime.a \
		-lgtest -lgtest_main -pthread

$(B)/tests/%: tests/tools/%.cpp $(B)/libruntime.a
	@mkdir -p $(@D)
	$(Q)$(call say,LINK,$@)$(CXX) $(CPPFLAGS) $(CXXFLAGS) -Isrc -o $@ $< $(B)/libruntime.a

$(B)/bench/%: bench/%.cpp $(B)/libruntime.a
	@mkdir -p $(@D)
	$(Q)$(call say,LINK,$@)$(CXX) $(CPPFLAGS) $(CXXFLAGS) -Isrc -o $@ $< $(B)/libruntime.a

-include $(wildcard $(B)/obj/*.d $(B)/obj/tests/*.d)

# The fuzz target for the DHCP packet parser, built with clang's libFuzzer
# and AddressSanitizer; `make check` runs it for a bounded time.
FUZZ_SECONDS ?= 20
$(B)/fuzz_dhcp_packet: tests/fuzz/fuzz_dhcp_packet.cpp src/dhcp_packet.cpp src/dhcp_packet.hpp \
		src/dhcp_server.cpp src/dhcp_server.hpp src/dhcp_daemon.hpp
	@mkdir -p $(@D)
	$(Q)$(call say,FUZZ,$@)clang++ -std=c++17 -g -O1 -D_GNU_SOURCE -Isrc -fsanitize=fuzzer,address,undefined \
		-o $@ tests/fuzz/fuzz_dhcp_packet.cpp src/dhcp_packet.cpp src/dhcp_server.cpp

# `make check` runs every test: the unit tests, the fuzz target, and the
# tests under tests/root/ (which need root and make their own namespaces; as
# a normal user they are reported as skipped, with the reason). The last line
# is "N passed, N failed".
check: test-programs
	@tests/run

# Everything the tests run: the tools, the unit test binary, the helpers.
test-programs: all $(B)/unit_tests $(TEST_TOOLS)

demo: all
	@tests/demo

bench: all $(BENCH_TOOLS)
	@bench/run

# Installed text names the installed paths: man pages and example files are
# written for the default PREFIX and rewritten here for the real one.
SUBST = sed -e 's|/usr/local/etc|$(SYSCONFDIR)|g' \
	-e 's|/usr/local/sbin|$(SBINDIR)|g' \
	-e 's|/usr/local/bin|$(BINDIR)|g' \
	-e 's|/usr/local/share/runall|$(DATADIR)|g' \
	-e 's|/usr/local/share/man|$(MANDIR)|g' \
	-e 's|/var/lib/runall|$(LOCALSTATEDIR)|g' \
	-e 's|/run/runall|$(RUNSTATEDIR)|g'

# Files of etc/ that are configuration: installed into SYSCONFDIR only when
# the user has none there. Everything in etc/ is also installed as an example.
CONFIG_FILES := $(wildcard etc/runall.conf etc/runall-guests)
EXAMPLE_FILES := $(filter-out etc/guest,$(wildcard etc/*))

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSCONFDIR) \
		$(DESTDIR)$(DATADIR)/examples
	$(foreach p,$(BIN_PROGS),install -m 0755 $(B)/$(p) $(DESTDIR)$(BINDIR)/$(p) &&) true
	$(foreach p,$(SBIN_PROGS),install -m 0755 $(B)/$(p) $(DESTDIR)$(SBINDIR)/$(p) &&) true
	set -e; for m in $(MAN_PAGES); do \
		d=$(DESTDIR)$(MANDIR)/man$${m##*.}; install -d "$$d"; \
		$(SUBST) "$$m" > "$$d/$${m##*/}"; chmod 0644 "$$d/$${m##*/}"; \
	done
	set -e; for f in $(EXAMPLE_FILES); do \
		t=$(DESTDIR)$(DATADIR)/examples/$${f##*/}; \
		$(SUBST) "$$f" > "$$t"; if [ -x "$$f" ]; then chmod 0755 "$$t"; else chmod 0644 "$$t"; fi; \
	done
	@# An upgrade never overwrites a user's settings: the configuration is
	@# installed only where none exists (the example beside it is refreshed).
	set -e; for f in $(CONFIG_FILES); do \
		t=$(DESTDIR)$(SYSCONFDIR)/$${f##*/}; \
		if [ -e "$$t" ]; then echo "keeping existing $$t"; \
		else $(SUBST) "$$f" > "$$t"; chmod 0644 "$$t"; fi; \
	done
	set -e; if [ -d etc/guest ]; then \
		(cd etc && find guest -type d) | while read -r d; do install -d "$(DESTDIR)$(DATADIR)/$$d"; done; \
		(cd etc && find guest -type f) | while read -r f; do \
			t="$(DESTDIR)$(DATADIR)/$$f"; $(SUBST) "etc/$$f" > "$$t"; \
			if [ -x "etc/$$f" ]; then chmod 0755 "$$t"; else chmod 0644 "$$t"; fi; done; \
	fi

uninstall:
	$(foreach p,$(BIN_TOOLS),rm -f $(DESTDIR)$(BINDIR)/$(p);)
	$(foreach p,$(SBIN_TOOLS),rm -f $(DESTDIR)$(SBINDIR)/$(p);)
	$(foreach m,$(MAN_PAGES),rm -f $(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m));)
	@# A configuration file identical to what install wrote was never edited
	@# and goes; an edited one is the user's and stays.
	for f in $(CONFIG_FILES); do \
		t=$(DESTDIR)$(SYSCONFDIR)/$${f##*/}; \
		if [ -f "$$t" ] && $(SUBST) "$$f" | cmp -s - "$$t"; then rm -f "$$t"; \
		elif [ -e "$$t" ]; then echo "keeping edited $$t"; fi; \
	done
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf $(B)/obj $(B)/libruntime.a $(B)/unit_tests $(B)/fuzz_dhcp_packet \
		$(B)/tests $(B)/bench \
		$(addprefix $(B)/,$(SBIN_TOOLS) $(BIN_TOOLS))

.PHONY: all check test-programs demo bench install uninstall clean
.SUFFIXES:
# Keep the tools' objects: they are intermediate for make, not for us.
.SECONDARY:
