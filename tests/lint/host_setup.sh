# The host setup files: the sudoers drop-in parses with visudo (also after
# make install rewrites its paths for another SBINDIR), grants exactly the
# two helpers at make install's default SBINDIR, and etc/qemu-ifup runs
# `sudo -n SBINDIR/start-tun-interface TAP` with the tap name as one word.
set -u
cd "$RUNALL_TOP" || exit 1
status=0
bad() { echo "host_setup: $*"; status=1; }
command -v visudo >/dev/null || { echo "visudo missing (package sudo)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

sbindir=$(make -s -f - print-sbindir <<'MK'
include Makefile
print-sbindir:
	@echo $(SBINDIR)
MK
)
[ "$sbindir" = /usr/local/sbin ] || bad "Makefile SBINDIR is '$sbindir'"

visudo -cf etc/sudoers.runall >/dev/null || bad "visudo -cf etc/sudoers.runall fails"
sed 's|/usr/local/sbin|/opt/runall test/sbin|g' etc/sudoers.runall >"$tmp/s1"
grep -q '/opt/runall test/sbin/start-tun-interface' "$tmp/s1" || bad "no path to rewrite"
sed 's|/usr/local/sbin|/opt/runall/sbin|g' etc/sudoers.runall >"$tmp/s2"
visudo -cf "$tmp/s2" >/dev/null || bad "rewritten for another SBINDIR, it no longer parses"
# What is granted, with continuation lines joined.
granted=$(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' etc/sudoers.runall | grep -v '^#' |
  sed -n 's/^Cmnd_Alias RUNALL_HELPERS = //p' | tr -d ' ')
[ "$granted" = "$sbindir/start-tun-interface,$sbindir/update-dynamic-hosts" ] ||
  bad "sudoers grants '$granted'"
grep -q '^%runall ALL = (root) NOPASSWD: RUNALL_HELPERS$' etc/sudoers.runall ||
  bad "the grant line is not for %runall, as root, the helpers only"
grep -q '^Defaults!RUNALL_HELPERS env_reset, !setenv$' etc/sudoers.runall ||
  bad "no environment restriction"

# qemu-ifup, run with a sudo that only records its arguments.
mkdir "$tmp/bin"
cat >"$tmp/bin/sudo" <<MK
#!/bin/sh
for a in "\$@"; do printf '[%s]' "\$a"; done >"$tmp/args"
MK
chmod +x "$tmp/bin/sudo"
[ -x etc/qemu-ifup ] || bad "etc/qemu-ifup is not executable"
PATH=$tmp/bin:$PATH sh etc/qemu-ifup 'tap5 -k tap6'
got=$(cat "$tmp/args" 2>/dev/null)
[ "$got" = "[-n][$sbindir/start-tun-interface][tap5 -k tap6]" ] ||
  bad "qemu-ifup ran sudo with $got"
exit $status
