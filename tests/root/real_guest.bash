#!/bin/bash
# A real Debian 12 guest of tests/guest/build-guest, booted and used by
# runall as a user of an installed runall does it (sourced by the
# real_guest_*.sh tests, never run on its own; the line above tells the
# linters the shell):
#
#   . "$RUNALL_TOP/tests/root/real_guest.bash"
#   real_guest_test debian12-systemd rg-systemd
#
# The arrangement. The guests' user is tester (uid 1000), with the test key
# of build-guest; the article's contract wants the script run under the
# same user name and uid as the driver, so the driver runs as tester too:
# in a private mount namespace inside the test's network namespace, where
#   - /etc/passwd, /etc/group and /etc/shadow are copies of the host's with
#     tester (1000) in place of whoever has that uid or name, a member of
#     the group runall (61000),
#   - /etc/sudoers is the shipped sudoers drop-in (%runall), so tester
#     reaches start-tun-interface through real sudo,
#   - the compiled-in SYSCONFDIR and SBINDIR are tmpfs holding the test's
#     runall.conf (root's, 0644) and copies of the three sbin programs, as
#     `make install` leaves them,
#   - /dev/net/tun is a node any user may open (Debian's 0666);
# nothing outside the test's namespaces and $E2E_DIR changes. tester makes
# its tap with `sudo start-tun-interface -c`, then runs runall-os-test with
# the compiled-in settings, as the README tells a user to.
#
# The guest boots once, from a copy-on-write overlay of the cached image
# (the cache is never written), and every assertion shares that boot:
#   - cold run: the guest is launched, its boot signal (the up-file) seen,
#     and a script passes that reports what a user relies on: the host
#     name DHCP gave, ~/hostname, the user, the three 9p shares, the host's
#     name and the guest's own resolved from /etc/hosts at once, sudo not
#     waiting on DNS;
#   - the host side: the guest's name in the dynamic section of the hosts
#     file, the up-file, the shared directories holding what the script
#     wrote, the console log holding the kernel's lines with their stamps;
#   - warm run: the running guest is reused;
#   - --stop: the ACPI power button powers it off, well inside the stop
#     timeout, and the summary says so.
# The timings of each step are printed.
set -u
# shellcheck disable=SC1091 # runall_os_test.bash is checked on its own
. "$RUNALL_TOP/tests/root/runall_os_test.bash"

RG_UID=1000
RG_GROUP=61000
# Seconds the guest may take to boot and to stop (TCG on a busy machine).
RG_START=400
RG_STOP=120

rg_now() { date +%s.%N; }
rg_since() { awk -v a="$1" -v b="$(rg_now)" 'BEGIN { printf "%.1f", b - a }'; }

# rg_stage: the stage's files, and the function tester_run.
rg_stage() {
	local d=$E2E_DIR s=$E2E_DIR/stage
	command -v sudo >/dev/null || fail "sudo is not installed"
	command -v setpriv >/dev/null || fail "setpriv is not installed"
	RG_SYSCONF=$("$E2E_BUILD/start-tun-interface" --help |
		sed -n 's/.*settings file instead of \(.*\)\/runall.conf/\1/p')
	RG_SBIN=$("$E2E_BUILD/runqemuos" --help |
		sed -n 's|^  sudo -n \(.*\)/start-tun-interface TAP$|\1|p')
	[ -d "$RG_SYSCONF" ] || fail "the compiled-in settings directory '$RG_SYSCONF' does not exist"
	[ -d "$RG_SBIN" ] || fail "the compiled-in sbin directory '$RG_SBIN' does not exist"
	mkdir -p "$s/dev" "$d/home"
	local old
	old=$(getent passwd "$RG_UID" | cut -d: -f1)
	{
		grep -v -e "^tester:" ${old:+-e "^$old:"} /etc/passwd
		echo "tester:x:$RG_UID:$RG_UID:runall test user:$d/home:/bin/sh"
	} >"$s/passwd"
	{
		grep -v -e '^tester:' -e '^runall:' -e "^[^:]*:[^:]*:$RG_UID:" /etc/group
		echo "tester:x:$RG_UID:"
		echo "runall:x:$RG_GROUP:tester"
	} >"$s/group"
	{
		grep -v -e '^tester:' /etc/shadow
		echo "tester:*:20000:0:99999:7:::"
	} >"$s/shadow"
	chmod 0644 "$s/passwd" "$s/group"
	chmod 0640 "$s/shadow"
	chgrp shadow "$s/shadow" 2>/dev/null
	{
		echo 'Defaults use_pty'
		cat "$E2E_TOP/etc/sudoers.runall"
	} >"$s/sudoers"
	chmod 0440 "$s/sudoers"
	visudo -cf "$s/sudoers" >/dev/null || fail "the shipped sudoers drop-in does not parse"
	# The stage, as root in a new mount namespace; then CMD as tester.
	cat >"$s/enter" <<'ENTER'
set -u
mount --bind "$S/passwd" /etc/passwd || exit 90
mount --bind "$S/group" /etc/group || exit 90
mount --bind "$S/shadow" /etc/shadow || exit 90
mount --bind "$S/sudoers" /etc/sudoers || exit 90
mount -t tmpfs -o mode=0755 runall-etc "$SYSCONF" || exit 91
install -m 0644 "$CONF" "$SYSCONF/runall.conf" || exit 91
mount -t tmpfs -o mode=0755 runall-sbin "$SBIN" || exit 92
for t in start-tun-interface update-dynamic-hosts runall-dhcpd; do
	install -m 0755 "$BUILD/$t" "$SBIN/$t" || exit 92
done
mount -t tmpfs -o mode=0755 runall-dev "$S/dev" || exit 93
mknod -m 0666 "$S/dev/tun" c 10 200 || exit 93
mount --bind "$S/dev/tun" /dev/net/tun || exit 93
exec setpriv --reuid="$RG_UID" --regid="$RG_UID" --groups="$RG_UID,$RG_GROUP" -- \
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$HOME_DIR" USER=tester \
	LOGNAME=tester "$@"
ENTER
}

# tester_run CMD...: CMD as tester on the stage, in the test's namespace.
tester_run() {
	S=$E2E_DIR/stage SYSCONF=$RG_SYSCONF SBIN=$RG_SBIN CONF=$E2E_CONF \
		BUILD=$E2E_BUILD RG_UID=$RG_UID RG_GROUP=$RG_GROUP HOME_DIR=$E2E_DIR/home \
		ip netns exec "$E2E_NS" unshare -m --propagation private \
		bash "$E2E_DIR/stage/enter" "$@"
}

# rg_driver ARGS...: runall-os-test as tester, with the compiled-in
# settings, the guests' key and the test's log directory.
rg_driver() {
	tester_run "$E2E_BIN/runall-os-test" -i "$E2E_DIR/ssh/guest_key" \
		--log-dir "$E2E_LOGS" "$@"
}

# real_guest_test NAME HOST: the whole test for guest NAME of build-guest,
# called HOST.
real_guest_test() {
	local name=$1 host=$2 env_out t0 d
	e2e_setup "rg-${name#debian12-}"
	d=$E2E_DIR
	env_out=$("$E2E_TOP/tests/guest/build-guest" "$name") || fail "build-guest $name"
	local GUEST_DISK='' GUEST_MACHINE_ARGS='' GUEST_MEM='' GUEST_KEY='' GUEST_HOSTOS=''
	local GUEST_INIT='' GUEST_DHCP=''
	eval "$(printf '%s\n' "$env_out" | grep -E '^GUEST_(DISK|MACHINE_ARGS|MEM|KEY|HOSTOS|INIT|DHCP)=')"
	echo "$name: $GUEST_INIT, $GUEST_DHCP; $GUEST_DISK"
	# The facts script asks for the host by the name the kit was given.
	[ "$GUEST_HOSTOS" = runall-host ] || fail "the guest knows the host as $GUEST_HOSTOS"

	# The image: a link to the cached one (or a copy, across file systems),
	# read only as the backing file of an overlay of the guest's own.
	ln -f "$GUEST_DISK" "$d/images/$name.qcow2" 2>/dev/null ||
		cp "$GUEST_DISK" "$d/images/$name.qcow2" || fail "staging the image"
	[ -r "$d/images/$name.qcow2" ] || fail "the image is not readable"
	qemu-img create -q -f qcow2 -b "$d/images/$name.qcow2" -F qcow2 "$d/images/$host.qcow2" ||
		fail "qemu-img create"
	install -m 0600 "$GUEST_KEY" "$d/ssh/guest_key"
	sed -i -e "s/^start_timeout = .*/start_timeout = $RG_START/" \
		-e "s/^stop_timeout = .*/stop_timeout = $RG_STOP/" "$E2E_CONF"
	{
		printf '\n# %s (tests/guest/build-guest %s), from an overlay of its image\n' "$name" "$name"
		printf '%s %s.qcow2 %s %s %s\n' "$host" "$host" "$RG_START" "$RG_STOP" "$GUEST_MEM"
		printf 'share = 9p\ndisplay = none\n'
		printf '%s\n' "-nodefaults -no-user-config -no-reboot -smp 1" "$GUEST_MACHINE_ARGS"
	} >>"$E2E_GUESTS"
	e2e_stage_tools
	rg_stage
	mkdir -p "$d/share/$host/common"
	chown -R "$RG_UID:$RG_UID" "$d/hostnames" "$d/launch" "$d/images" "$d/logs" \
		"$d/share" "$d/ssh" "$d/home"

	# What a user checks on a guest, as a script.
	cat >"$d/facts" <<'FACTS'
#!/bin/sh
# The guest as runall-os-test(1) and runall-guest(7) promise it.
ms() { date +%s%N | cut -c1-13; }
echo "hostname=$(hostname)"
echo "home_hostname=$(~/hostname)"
echo "user=$(id -un):$(id -u)"
echo "cwd=$(pwd)"
echo "shares=$(awk '$3 == "9p" { print $2 }' /proc/mounts | sort | tr '\n' ' ')"
# getaddrinfo() as programs ask (no address family): from /etc/hosts, with
# no resolver asked; the time is the guest's own.
t=$(ms); a=$(getent ahosts runall-host | awk 'NR == 1 { print $1 }'); u=$(ms)
echo "host=$a in_hosts=$(grep -c '[[:space:]]runall-host\([[:space:]]\|$\)' /etc/hosts) ms=$((u - t))"
t=$(ms); a=$(getent ahosts "$(hostname)" | awk 'NR == 1 { print $1 }'); u=$(ms)
echo "self=$a ms=$((u - t))"
t=$(ms); sudo -n true; rc=$?; u=$(ms)
echo "sudo=$rc ms=$((u - t))"
hostname >"own-$(hostname)"
hostname >"/netshare-rw/common/shared-$(hostname)"
if touch /netshare-ro/written 2>/dev/null; then echo "ro=writable"; else echo "ro=read-only"; fi
FACTS
	chmod 0755 "$d/facts"
	chown "$RG_UID:$RG_UID" "$d/facts"

	# --- tester's tap ---------------------------------------------------------------
	tester_run sudo -n "$RG_SBIN/start-tun-interface" -c -n 1 >"$d/tap.out" 2>&1 ||
		fail "sudo start-tun-interface -c -n 1: $(cat "$d/tap.out")"
	grep -qx "created tap0: persistent tap, owner uid $RG_UID" "$d/tap.out" ||
		fail "tap0 not made for tester: $(cat "$d/tap.out")"

	# --- cold run ---------------------------------------------------------------------
	t0=$(rg_now)
	rg_driver --tap "$d/home/cold.tap" -s "$d/facts" >"$d/cold.out" 2>"$d/cold.err"
	local rc=$? cold
	cold=$(rg_since "$t0")
	[ "$rc" = 0 ] || fail "cold run: exit $rc"
	[ "$(e2e_result "$d/cold.out" "$host")" = passed ] || fail "cold run: not passed"
	grep -q "$host:: QEMU started as pid" "$d/cold.err" || fail "cold run: not launched"
	grep -q "launched: true" "$d/home/cold.tap" || fail "cold TAP: not launched"
	local boot
	boot=$(sed -n 's/^  boot_seconds: //p' "$d/home/cold.tap")
	ok "cold run as tester: booted in ${boot}s, passed in ${cold}s"

	# What the script saw.
	local o=$d/cold.out
	grep -qx "hostname=$host" "$o" || fail "the host name DHCP gave: $(grep '^hostname=' "$o")"
	grep -qx "home_hostname=$host" "$o" || fail "the guest's ~/hostname: $(grep "^home_hostname=" "$o")"
	grep -qx "user=tester:$RG_UID" "$o" || fail "the user: $(grep '^user=' "$o")"
	grep -qx "cwd=/netshare-rw" "$o" || fail "the working directory"
	grep -qx "shares=/netshare-ro /netshare-rw /netshare-rw/common " "$o" ||
		fail "the shares: $(grep '^shares=' "$o")"
	grep -qx "ro=read-only" "$o" || fail "the read-only share was writable"
	local line ms
	line=$(grep '^host=' "$o")
	[[ $line =~ ^host=172\.20\.0\.1\ in_hosts=1\ ms=([0-9]+)$ ]] ||
		fail "the host's name in the guest: $line"
	ms=${BASH_REMATCH[1]}
	# A hang check, not a speed target: a lookup that went to the
	# unreachable resolver would take its 5 s timeout.
	[ "$ms" -lt 5000 ] || fail "the host's name took ${ms} ms to resolve"
	line=$(grep '^self=' "$o")
	if ! [[ $line =~ ^self=127\.0\.1\.1\ ms=([0-9]+)$ ]] || [ "${BASH_REMATCH[1]}" -ge 5000 ]; then
		fail "the guest's own name: $line"
	fi
	line=$(grep '^sudo=' "$o")
	if ! [[ $line =~ ^sudo=0\ ms=([0-9]+)$ ]] || [ "${BASH_REMATCH[1]}" -ge 5000 ]; then
		fail "sudo in the guest: $line"
	fi
	ok "in the guest: DHCP's host name, ~/hostname, tester, the shares; runall-host (${ms} ms), its own name and sudo without waiting"

	# What the host shows.
	awk '/^##STARTDYNAMIC/ { s = 1; next } /^##ENDDYNAMIC/ { s = 0 } s' "$E2E_NETNS_DIR/hosts" |
		grep -Eq "^172\.20\.0\.2[[:space:]]+$host([[:space:]]|$)" ||
		fail "the guest is not in the dynamic section: $(cat "$E2E_NETNS_DIR/hosts")"
	[ -f "$d/share/common-rw/$host" ] || fail "no up-file $d/share/common-rw/$host"
	[ "$d/share/common-rw/$host" -nt "$d/launch/$host" ] || fail "the up-file is older than the launch"
	[ "$(cat "$d/share/$host/own-$host")" = "$host" ] || fail "the guest's own share"
	[ "$(cat "$d/share/common-rw/shared-$host")" = "$host" ] || fail "the common share"
	[ "$(stat -c %u "$d/share/$host/own-$host")" = "$RG_UID" ] || fail "written as another user"
	local console=$E2E_LOGS/$host.console
	grep -Eq '^\[ +[0-9]+\.[0-9]{3}\] .*Linux version [0-9]' "$console" ||
		fail "no stamped kernel line in $console: $(head -5 "$console")"
	grep -Eq '^--- QEMU for '"$host"', pid [0-9]+, started ' "$console" || fail "no launch header"
	ok "on the host: $host in the dynamic section, the up-file, the shares, stamped kernel lines in the console log"

	# --- warm run ----------------------------------------------------------------------
	t0=$(rg_now)
	rg_driver -sn "$d/facts" >"$d/warm.out" 2>"$d/warm.err"
	rc=$?
	[ "$rc" = 0 ] || fail "warm run: exit $rc"
	grep -q "QEMU started" "$d/warm.err" && fail "the warm run launched the guest again"
	[ "$(e2e_result "$d/warm.out" "$host")" = passed ] || fail "warm run: not passed"
	ok "warm run reused the guest in $(rg_since "$t0")s"

	# --- --stop ----------------------------------------------------------------------------
	local qemu
	qemu=$(cat "$d/launch/$host")
	t0=$(rg_now)
	rg_driver --stop >"$d/stop.out" 2>"$d/stop.err"
	rc=$?
	local took
	took=$(rg_since "$t0")
	[ "$rc" = 0 ] || fail "--stop: exit $rc"
	e2e_wait_gone "$qemu" 10 || fail "--stop left QEMU $qemu running"
	[ "$(e2e_result "$d/stop.out" "$host")" = stopped ] || fail "--stop: $(cat "$d/stop.out")"
	grep -q "^$host .*powered off by the power button$" "$d/stop.out" ||
		fail "--stop: not by the power button: $(cat "$d/stop.out")"
	grep -q "$host:: .*running the shutdown command" "$d/stop.err" &&
		fail "--stop needed the shutdown command"
	# Well inside the stop timeout: within the button's half of it.
	awk -v t="$took" -v l="$((RG_STOP / 2))" 'BEGIN { exit !(t < l) }' ||
		fail "--stop took ${took}s"
	ok "--stop: powered off by the power button in ${took}s (stop timeout ${RG_STOP}s)"

	tester_run sudo -n "$RG_SBIN/start-tun-interface" -k tap0 >"$d/untap.out" 2>&1 ||
		fail "sudo start-tun-interface -k tap0: $(cat "$d/untap.out")"
	[ -z "$(e2e_qemu_pids)" ] || fail "QEMU left running: $(e2e_qemu_pids)"
	echo "timings $name: boot ${boot}s, cold run ${cold}s, stop ${took}s"
	echo PASS
}
