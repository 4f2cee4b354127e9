#!/bin/bash
# The stage of the user-mode end-to-end tests (sourced, never run; the line
# above tells the linters the shell): an ordinary user with nothing set up
# for them - no sudo rule, no tap, no group, no system-wide settings - who
# runs runall-os-test on the test guests of tests/guest/.
#
#   UN_TAG=xyz; . "$RUNALL_TOP/tests/root/usernet_stage.bash"
#
# The user is carol (uid and gid 61010, home $UN_HOME). She exists only
# inside the stage: every command of hers runs (un_as) in
#   - a network namespace of the test's own, $UN_NS, with only its loopback
#     up: QEMU's user-mode network opens the host's sockets there, so a
#     guest's traffic never leaves it;
#   - a private mount namespace of its own in which /etc/passwd, /etc/group
#     and /etc/shadow are copies of the host's plus carol, and the
#     compiled-in SYSCONFDIR is an empty tmpfs: no system-wide runall.conf
#     or runall-guests, whatever this host has installed. The host's /etc
#     is never written.
# She has runall's own defaults (XDG): ~/.config/runall/runall-guests,
# images and shares under ~/.local/share/runall, logs under
# ~/.local/state/runall/logs, ~/.ssh/runall_known_hosts.
# First in her PATH is a sudo that only notes that it was called and
# fails: user mode must never call it.
#
# After sourcing, a test has:
#   $UN_DIR      the test's directory (removed at exit), 0755
#   $UN_HOME     carol's home; $UN_CONFIG, $UN_DATA, $UN_STATE her runall
#                directories; $UN_GUESTS her guest config
#   $UN_KEY      her ssh key (its public half staged where the guests'
#                init copies it from)
#   $UN_BIN      copies of runall-os-test and runqemuos she can run
#   $UN_TOOLS    copies of the test tools (port-holder, ...)
#   $UN_SUDO_LOG what the fake sudo noted (empty: never called)
# and the functions
#   un_guest NAME ARCH [RECORD-LINES]   a test guest in her guest config
#   un_as NAME CMD...       CMD as carol in the stage: output in
#                           $UN_DIR/NAME.out and .err, status in NAME.rc
#   un_bg CMD...            CMD as carol in the stage, in the background
#                           (its pid in UN_BG_PID, killed at exit)
#   un_run NAME ARGS...     un_as NAME runall-os-test -i $UN_KEY ARGS...
#   un_rc NAME              that status
#   un_result NAME HOST     the RESULT column of HOST in NAME.out
#   un_qemu_pids            the QEMU processes running in $UN_NS
#   un_links                the network interfaces of $UN_NS
#   fail, ok
set -u
UN_BUILD=${RUNALL_BUILD:?RUNALL_BUILD must point at the build directory}
UN_TOP=${RUNALL_TOP:?RUNALL_TOP must point at the source tree}
export RUNALL_GUEST_CACHE=${RUNALL_GUEST_CACHE:-$UN_TOP/build/guests}
UN_UID=61010
UN_NS='' UN_DIR=''
UN_PIDS=()

[ "$(id -u)" -eq 0 ] || { echo "needs root"; exit 1; }
command -v setpriv >/dev/null || { echo "setpriv is not installed"; exit 1; }
for t in runall-os-test runqemuos start-tun-interface tests/port-holder; do
	[ -x "$UN_BUILD/$t" ] || { echo "$UN_BUILD/$t is not built (make test-programs)"; exit 1; }
done

fail() {
	echo "FAIL: $*"
	local f
	if [ -n "$UN_DIR" ] && [ -d "$UN_DIR" ]; then
		for f in "$UN_DIR"/*.err "$UN_STATE"/logs/*.log "$UN_STATE"/logs/*.console; do
			[ -s "$f" ] || continue
			echo "--- $f (last 25 lines)"
			tail -n 25 "$f"
		done
	fi
	exit 1
}
ok() { echo "ok: $*"; }

un_cleanup() {
	local pid pids
	trap '' PIPE
	for pid in "${UN_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	if [ -n "$UN_NS" ]; then
		# Everything in the namespace is the test's: QEMUs, port holders.
		read -r -a pids <<<"$(ip netns pids "$UN_NS" 2>/dev/null | tr '\n' ' ')"
		[ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null
		for _ in $(seq 50); do
			[ -z "$(ip netns pids "$UN_NS" 2>/dev/null)" ] && break
			sleep 0.1
		done
		read -r -a pids <<<"$(ip netns pids "$UN_NS" 2>/dev/null | tr '\n' ' ')"
		[ ${#pids[@]} -eq 0 ] || kill -KILL "${pids[@]}" 2>/dev/null
		ip netns del "$UN_NS" 2>/dev/null
	fi
	if [ -n "$UN_DIR" ]; then
		if [ "${UN_KEEP:-0}" = 1 ]; then echo "kept $UN_DIR"; else rm -rf "$UN_DIR"; fi
	fi
}
trap un_cleanup EXIT
trap 'exit 130' INT TERM HUP

UN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/runall-un-${UN_TAG:?set UN_TAG before sourcing}.XXXXXX")
chmod 0755 "$UN_DIR"
UN_NS=runall-un-$UN_TAG-$$
ip netns add "$UN_NS" || { UN_NS=''; fail "ip netns add"; }
ip -n "$UN_NS" link set lo up

UN_HOME=$UN_DIR/home-carol
UN_CONFIG=$UN_HOME/.config/runall
UN_DATA=$UN_HOME/.local/share/runall
UN_STATE=$UN_HOME/.local/state/runall
UN_GUESTS=$UN_CONFIG/runall-guests
UN_KEY=$UN_HOME/.ssh/id_ed25519
UN_BIN=$UN_DIR/bin
UN_TOOLS=$UN_DIR/tools
UN_SUDO_LOG=$UN_DIR/sudo-called
UN_SYSCONF=$("$UN_BUILD/start-tun-interface" --help |
	sed -n 's/.*settings file instead of \(.*\)\/runall.conf/\1/p')
[ -n "$UN_SYSCONF" ] || fail "start-tun-interface --help names no settings file"

mkdir -p "$UN_CONFIG" "$UN_DATA/images" "$UN_DATA/netshare/common-ro/.runall" \
	"$UN_HOME/.ssh" "$UN_BIN" "$UN_TOOLS" "$UN_DIR/fakebin" "$UN_DIR/stage"
: >"$UN_GUESTS"
for t in runall-os-test runqemuos; do install -m 0755 "$UN_BUILD/$t" "$UN_BIN/$t"; done
for t in "$UN_BUILD"/tests/*; do
	[ -f "$t" ] && [ -x "$t" ] && install -m 0755 "$t" "$UN_TOOLS/${t##*/}"
done
ssh-keygen -q -t ed25519 -N '' -C carol -f "$UN_KEY" || fail "ssh-keygen"
cp "$UN_KEY.pub" "$UN_DATA/netshare/common-ro/.runall/authorized_keys"
cat >"$UN_DIR/fakebin/sudo" <<EOF
#!/bin/sh
# Not sudo: notes that it was called, and fails as sudo -n would.
echo "sudo \$*" >>"$UN_SUDO_LOG"
exit 1
EOF
chmod 0755 "$UN_DIR/fakebin/sudo"
: >"$UN_SUDO_LOG"
chown -R "$UN_UID:$UN_UID" "$UN_HOME" "$UN_SUDO_LOG"

{
	grep -v '^carol:' /etc/passwd
	echo "carol:x:$UN_UID:$UN_UID:runall user mode:$UN_HOME:/bin/bash"
} >"$UN_DIR/stage/passwd"
{
	grep -v '^carol:' /etc/group
	echo "carol:x:$UN_UID:"
} >"$UN_DIR/stage/group"
{
	grep -v '^carol:' /etc/shadow
	echo "carol:*:20000:0:99999:7:::"
} >"$UN_DIR/stage/shadow"
chmod 0644 "$UN_DIR/stage/passwd" "$UN_DIR/stage/group"
chmod 0640 "$UN_DIR/stage/shadow"
mkdir -p "$UN_DIR/stage/sysconf"

# un_guest NAME ARCH [RECORD-LINES]
un_guest() {
	local name=$1 arch=$2 lines=${3:-} env_out f
	env_out=$("$UN_TOP/tests/guest/build-guest" "$arch") || fail "build-guest $arch"
	local GUEST_KERNEL='' GUEST_INITRD='' GUEST_MACHINE_ARGS='' GUEST_CMDLINE=''
	eval "$(printf '%s\n' "$env_out" | grep -E '^GUEST_(KERNEL|INITRD|MACHINE_ARGS|CMDLINE)=')"
	truncate -s 1M "$UN_DATA/images/$name.img"
	for f in kernel initrd; do
		local from=GUEST_${f^^} to=$UN_DATA/images/$name.$f
		ln -f "${!from}" "$to" 2>/dev/null || cp "${!from}" "$to" || fail "staging $f"
		chmod 0644 "$to"
		printf -v "$from" '%s' "$to"
	done
	chown "$UN_UID:$UN_UID" "$UN_DATA/images/$name.img"
	{
		printf '\n# %s test guest (tests/guest/build-guest %s)\n' "$arch" "$arch"
		printf '%s %s.img 120 30 256\n' "$name" "$name"
		printf 'arch = %s\nshare = 9p\ndisplay = none\n' "$arch"
		[ -z "$lines" ] || printf '%s\n' "$lines"
		printf '%s\n' "-nodefaults -no-user-config -no-reboot -smp 1" "-serial stdio" \
			"$GUEST_MACHINE_ARGS" "-kernel $GUEST_KERNEL" "-initrd $GUEST_INITRD"
		printf -- '-append "%s runall.user=carol:%s:%s"\n' "$GUEST_CMDLINE" "$UN_UID" "$UN_UID"
	} >>"$UN_GUESTS"
}

# The command that puts what follows in the stage, as carol.
un_stage() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	ip netns exec "$UN_NS" unshare -m --propagation private bash -c '
		set -u
		st=$1 sysconf=$2 uid=$3 home=$4 fakebin=$5
		shift 5
		mount --bind "$st/passwd" /etc/passwd || exit 90
		mount --bind "$st/group" /etc/group || exit 90
		mount --bind "$st/shadow" /etc/shadow || exit 90
		if [ -d "$sysconf" ]; then
			mount --bind "$st/sysconf" "$sysconf" || exit 91
		fi
		exec setpriv --reuid="$uid" --regid="$uid" --clear-groups -- \
			env -i PATH="$fakebin:/usr/sbin:/usr/bin:/sbin:/bin" HOME="$home" \
			USER=carol LOGNAME=carol "$@"' \
		un-stage "$UN_DIR/stage" "$UN_SYSCONF" "$UN_UID" "$UN_HOME" "$UN_DIR/fakebin" "$@"
}

un_as() {
	local name=$1
	shift
	un_stage "$@" >"$UN_DIR/$name.out" 2>"$UN_DIR/$name.err" </dev/null
	echo $? >"$UN_DIR/$name.rc"
}

un_bg() {
	un_stage "$@" </dev/null &
	UN_BG_PID=$!
	UN_PIDS+=("$UN_BG_PID")
}

un_run() {
	local name=$1
	shift
	un_as "$name" "$UN_BIN/runall-os-test" -i "$UN_KEY" "$@"
}

un_rc() { cat "$UN_DIR/$1.rc" 2>/dev/null || echo missing; }

un_result() {
	grep -m1 "^$2 " "$UN_DIR/$1.out" | sed -E 's/^[^ ]+ +//; s/  .*//'
}

un_qemu_pids() {
	local pid
	for pid in $(ip netns pids "$UN_NS" 2>/dev/null); do
		# One that has exited, waiting for init to reap it, runs no more.
		case $(ps -o stat= -p "$pid" 2>/dev/null) in Z*|'') continue ;; esac
		case $(cat "/proc/$pid/comm" 2>/dev/null) in
			qemu-system*) echo "$pid" ;;
		esac
	done
}

un_links() { ip -n "$UN_NS" -o link show | awk -F': ' '{ print $2 }'; }

# un_forwarded HOST: the port the QEMU of HOST listens on in the namespace
# (what ss says, not what runall recorded).
un_forwarded() {
	local pid
	pid=$(cat "$UN_DATA/launch/$1" 2>/dev/null) || return 1
	ip netns exec "$UN_NS" ss -Hltnp 2>/dev/null |
		awk -v p="pid=$pid," 'index($0, p) { n = split($4, a, ":"); print a[n] }'
}
