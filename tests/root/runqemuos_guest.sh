#!/bin/bash
# shellcheck disable=SC1091,SC2154,SC2016 # runqemuos.lib and its variables; sh -c scripts
# runqemuos boots the real x86_64 test guest (tests/guest/build-guest), end
# to end, from a guest config record turned into its arguments by the real
# parser (tests/tools/guest-argv). Everything runs in a network namespace
# made here, with a test hosts file bind-mounted over /etc/hosts in private
# mount namespaces; the real /etc/hosts is never touched.
#
# First boot:
#   - runqemuos claims tap0 from a pool made by start-tun-interface -c, and
#     QEMU (the pid runqemuos printed) holds it;
#   - the real start-tun-interface gave tap0 172.20.0.1/24, started runall's
#     DHCP server and mapped the hostname in the hosts file;
#   - the guest got 172.20.0.2 and its hostname from that server (the only
#     one in the namespace), wrote its up-file in the 9p share, and
#     `ssh HOSTNAME` works;
#   - the image lock on byte 0 is held by a descriptor of QEMU, and stays
#     held after QEMU, with the guest running, has opened a descriptor of
#     its own on the image and closed it again (drive_add and drive_del on
#     its monitor: closing any descriptor of a file drops a POSIX lock);
#   - a second runqemuos on the image is refused and writes nothing;
#   - after `poweroff` QEMU exits and the image is free.
# Second boot, on the same image and pool: runqemuos takes the lock and
# tap0 again, the hosts file still maps the name once, and ssh finds the
# host key it accepted the first time.
#
# The guest comes from build-guest's cache ($RUNALL_GUEST_CACHE, else
# build/guests), built on first use.
. "$RUNALL_TOP/tests/root/runqemuos.lib"
rq_setup
rq_netns
guest_argv=$RUNALL_BUILD/tests/guest-argv
runqemuos=$RUNALL_BUILD/runqemuos  # the real one, beside start-tun-interface
sti=$RUNALL_BUILD/start-tun-interface
[ -x "$sti" ] || fail "start-tun-interface not built"
[ -x "$guest_argv" ] || fail "$guest_argv not built"
command -v ssh >/dev/null || fail "ssh not installed (openssh-client)"

env_out=$("$RUNALL_TOP/tests/guest/build-guest" x86_64) || fail "build-guest x86_64 failed"
GUEST_KERNEL='' GUEST_INITRD='' GUEST_MACHINE_ARGS='' GUEST_CMDLINE=''
eval "$(printf '%s\n' "$env_out" | grep '^GUEST_[A-Z0-9_]*=')"

host=rqguest-$$
share=$work/share
mkdir -p "$work/run" "$work/images" "$share/ro/.runall" "$share/rw/$host" "$share/common-rw"
img=$(rq_image images/guest.img 1M)
inode=$(stat -c %i "$img")
hosts=$work/hosts
printf '127.0.0.1\tlocalhost\n' >"$hosts"
conf=$work/runall.conf
cat >"$conf" <<EOF
run_dir = $work/run
hostname_dir = $work/hn
launch_dir = $work/launch
image_dir = $work/images
hosts_file = /etc/hosts
common_ro_host = $share/ro
common_rw_host = $share/common-rw
rw_host_base = $share/rw
dns = 192.0.2.53
EOF
chmod 644 "$conf"
# A throwaway key, where the guest's init looks for the user's keys.
ssh-keygen -q -t ed25519 -N '' -C runqemuos_guest -f "$work/id" || fail "ssh-keygen"
cp "$work/id.pub" "$share/ro/.runall/authorized_keys"

# QEMU's QMP monitor on a pair of FIFOs (QEMU opens both read-write, so
# neither side blocks on open); what it answers is drained into a log.
mon=$work/mon
mkfifo "$mon.in" "$mon.out" || fail "mkfifo"

cat >"$work/guests" <<EOF
# The test guest: kernel and initramfs, a small image to lock, 9p shares.
$host guest.img 120 60 256
share = 9p
display = none
-nodefaults -no-user-config -no-reboot
$GUEST_MACHINE_ARGS
-kernel $GUEST_KERNEL
-initrd $GUEST_INITRD
-append "$GUEST_CMDLINE runall.user=root:0:0 runall.hostos=rqhost"
-serial stdio
-chardev pipe,id=mon,path=$mon -mon chardev=mon,mode=control
EOF
args=()
mapfile -d '' args < <("$guest_argv" "$conf" "$work/guests" "$host") ||
	fail "guest-argv"
[ "${#args[@]}" -gt 10 ] || fail "guest-argv gave: ${args[*]}"

# in_ns CMD...: CMD in the namespace, with the test hosts file as
# /etc/hosts (bind-mounted in a mount namespace of its own, so the real
# /etc/hosts is never touched; update-dynamic-hosts writes through it).
in_ns() {
	unshare -m sh -c 'mount --bind "$1" /etc/hosts && shift &&
		exec ip netns exec "$@"' _ "$hosts" "$ns" "$@"
}
# ssh_guest [SSH-OPTION...] COMMAND: `ssh root@HOSTNAME COMMAND`, the name
# resolved through the test hosts file; the guest's host key is learnt on
# first use into a known_hosts file of our own, and must match afterwards.
ssh_guest() {
	in_ns timeout 60 ssh -i "$work/id" -o BatchMode=yes \
		-o UserKnownHostsFile="$work/known_hosts" -o StrictHostKeyChecking=accept-new \
		-o LogLevel=ERROR -o ConnectTimeout=10 "${@:1:$#-1}" "root@$host" "${@: -1}"
}
show_logs() {
	echo "--- console"; tail -n 40 "$work/console" 2>/dev/null
	echo "--- QMP"; tail -n 10 "$work/monitor.log" 2>/dev/null
	echo "--- hosts"; cat "$hosts"
}
die() { show_logs; fail "$@"; }

# qemu_fds PID: how many of PID's descriptors are open on the image.
qemu_fds() {
	local f n=0
	for f in /proc/"$1"/fd/*; do
		[ "$(readlink "$f")" = "$img" ] && n=$((n + 1))
	done
	echo "$n"
}
# lock_fd PID: the descriptor of PID that holds the write lock on byte 0 of
# the image (an OFD lock, which the kernel lists in that fd's fdinfo).
lock_fd() {
	local f
	for f in /proc/"$1"/fdinfo/*; do
		grep -Eq "^lock:.*OFDLCK +ADVISORY +WRITE +-?[0-9]+ +[0-9a-f]+:[0-9a-f]+:$inode +0 +0\$" \
			"$f" 2>/dev/null && echo "${f##*/}"
	done
}
# tap_of PID: the tap interfaces PID holds.
tap_of() {
	sed -n 's/^iff:[[:space:]]*//p' /proc/"$1"/fdinfo/* 2>/dev/null
}
# qmp JSON...: commands to QEMU's QMP monitor, after the handshake (<>
# opens the FIFO without waiting for a reader, so a dead QEMU cannot hang
# us).
qmp() {
	printf '%s\n' '{"execute": "qmp_capabilities"}' "$@" 1<>"$mon.in"
}
# alive PID: PID runs (a zombie waiting for init does not).
alive() {
	local state
	state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	case $state in Z* | X* | '') return 1 ;; esac
}
# wait_fds PID N: until PID has N descriptors on the image (10 s).
wait_fds() {
	for _ in $(seq 200); do
		[ "$(qemu_fds "$1")" = "$2" ] && return 0
		sleep 0.05
	done
	return 1
}
# boot: runqemuos -b, as the driver runs it; sets pid.
boot() {
	# The reader waits for QEMU to open the FIFO, and ends when QEMU does.
	cat "$mon.out" >>"$work/monitor.log" &
	rq_pids+=("$!")
	pid=$(in_ns "$runqemuos" -b -C "$conf" -o "$work/console" "${args[@]}") ||
		die "runqemuos failed"
	rq_pids+=("$pid")
	[ "$(cat "$work/launch/$host")" = "$pid" ] || die "launch file: $(cat "$work/launch/$host")"
	# start-tun-interface took the hostname from the file runqemuos wrote
	# for it, and deleted it once used, as the article's script does.
	# (runqemuos names it <pid>.<random suffix>.)
	left=$(find "$work/hn" -mindepth 1 -name "$pid.*")
	[ -z "$left" ] || die "hostname file $left not used"
	[[ $(readlink "/proc/$pid/exe") == */qemu-system-x86_64 ]] || die "pid $pid is not QEMU"
	[ "$(tap_of "$pid")" = tap0 ] || die "QEMU holds tap '$(tap_of "$pid")', not tap0"
	ip -n "$ns" -4 addr show dev tap0 | grep -q 'inet 172\.20\.0\.1/24' ||
		die "tap0 not configured: $(ip -n "$ns" -4 addr show dev tap0)"
	[ "$(grep -cw "$host" "$hosts")" = 1 ] || die "hosts file maps $host $(grep -cw "$host" "$hosts") times"
	grep -Eq "^172\.20\.0\.2[[:space:]]+$host # uid=0\$" "$hosts" || die "hosts file does not map $host"
	# start-tun-interface keeps it in its network namespace's directory.
	dhcpd=$(cat "$work/run/net-$(stat -L -c %i "/run/netns/$ns")/dhcpd-tap0.pid" 2>/dev/null)
	if [ -z "$dhcpd" ] || [ "$(ip netns identify "$dhcpd")" != "$ns" ]; then
		die "no DHCP server of runall's for tap0 (pid file: '$dhcpd')"
	fi
}
# wait_up: until the up-file has LINES lines (the guest appends a date).
wait_up() {
	for _ in $(seq 2400); do
		[ "$(wc -l 2>/dev/null <"$share/common-rw/$host")" = "$1" ] && return 0
		kill -0 "$pid" 2>/dev/null || die "QEMU exited before the up-file"
		sleep 0.05
	done
	die "no up-file line $1 after 120 s"
}
# power_off: `poweroff` over ssh, then QEMU's exit decides (the ssh client
# may never see its connection close, so it runs in the background).
power_off() {
	ssh_guest -o ServerAliveInterval=1 -o ServerAliveCountMax=3 poweroff \
		>/dev/null 2>&1 &
	rq_pids+=("$!")
	rq_wait_gone "$pid" 60 || die "QEMU still running 60 s after poweroff"
	out=$("$image_in_use" "$img")
	[ "$out" = free ] || die "image after poweroff: $out"
	! grep -q ":$inode " /proc/locks || die "locks left on the image: $(grep ":$inode " /proc/locks)"
}

# The pool: two persistent taps, as root would make them for a user.
in_ns "$sti" -C "$conf" -c tap0 tap1 >/dev/null || fail "start-tun-interface -c"

# --- first boot -------------------------------------------------------------
boot
ok "runqemuos started QEMU as pid $pid on tap0 from the pool; tap0 has 172.20.0.1/24, runall's DHCP server runs, the hosts file maps $host"

wait_up 1
ok "up-file $share/common-rw/$host"

out=$(ssh_guest ./hostname 2>&1)
[ "$out" = "$host" ] || die "ssh $host ./hostname: $out"
out=$(ssh_guest 'ip -4 -o addr show dev eth0' 2>&1)
[[ $out == *"inet 172.20.0.2/24"* ]] || die "guest address: $out"
grep -q "udhcpc-script: bound: 172.20.0.2/24 on eth0, router 172.20.0.1, hostname $host" \
	"$work/console" || die "no lease from runall's DHCP server on the console"
ok "ssh $host works; the guest has 172.20.0.2 and its hostname from runall's DHCP server"

# The guest has been running for a few seconds. QEMU has its own
# descriptor on the image beside runall's lock descriptor.
lfd=$(lock_fd "$pid")
[ -n "$lfd" ] || die "no QEMU descriptor holds the lock on byte 0: $(grep ":$inode " /proc/locks)"
n=$(qemu_fds "$pid")
[ "$n" -ge 2 ] || die "QEMU has $n descriptors on the image"
qmp '{"execute": "blockdev-add", "arguments": {"node-name": "probe", "driver": "raw", "read-only": true, "file": {"driver": "file", "filename": "'"$img"'"}}}'
wait_fds "$pid" $((n + 1)) || die "QEMU did not open the image again ($(qemu_fds "$pid") descriptors)"
qmp '{"execute": "blockdev-del", "arguments": {"node-name": "probe"}}'
wait_fds "$pid" "$n" || die "QEMU did not close its new descriptor ($(qemu_fds "$pid") descriptors)"
[ "$(lock_fd "$pid")" = "$lfd" ] || die "lock on byte 0 lost after QEMU closed a descriptor: $(grep ":$inode " /proc/locks)"
out=$("$image_in_use" "$img")
[ "${out%%:*}" = runall ] || die "image-in-use while running: $out"
ok "lock on byte 0 held by QEMU's fd $lfd, still after QEMU opened and closed its own descriptor on the image"

out=$(in_ns "$runqemuos" -b -C "$conf" "${args[@]}" 2>&1)
rc=$?
[ "$rc" = 2 ] || die "second runqemuos: exit $rc, not 2 (image in use): $out"
[[ $out == *"in use: locked by a guest that runqemuos started"* ]] || die "second: $out"
[ "$(cat "$work/launch/$host")" = "$pid" ] || die "refused launch touched the launch file"
left=$(find "$work/hn" "$work/launch" -mindepth 1 -printf '%f ')
[ "$left" = "$host " ] || die "files after the refusal: $left"
kill -0 "$pid" 2>/dev/null || die "QEMU exited"
ok "second runqemuos refused while the guest runs: $out"

power_off
grep -q 'runall-guest:' "$work/console" || die "console log empty"
ok "guest powered off; image free"

# --- second boot: lock and tap free again ------------------------------------
first=$pid first_dhcpd=$dhcpd
boot
[ "$pid" != "$first" ] || die "same pid"
! alive "$first_dhcpd" || [ "$first_dhcpd" = "$dhcpd" ] ||
	die "the first DHCP server ($first_dhcpd) still runs beside $dhcpd"
wait_up 2
out=$(ssh_guest ./hostname 2>&1)
[ "$out" = "$host" ] || die "second boot: ssh $host ./hostname: $out"
ok "second boot (pid $pid): image locked and tap0 claimed again, same host key"
power_off
ok "second guest powered off; image free"

# The DHCP server start-tun-interface left for tap0 is ours to stop.
in_ns "$sti" -C "$conf" -k tap0 tap1 >/dev/null || fail "start-tun-interface -k"
! alive "$dhcpd" || fail "DHCP server $dhcpd still runs after -k"
ok "taps and DHCP server removed"
