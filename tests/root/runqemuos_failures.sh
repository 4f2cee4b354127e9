#!/bin/bash
# shellcheck disable=SC1091,SC2154,SC2016 # runqemuos.lib and its variables; sh -c scripts
# Bad input gives a clear message and the documented exit code, and leaves
# no hostname or launch file behind (nor a claimed tap): a missing image,
# missing or unwritable directories, an invalid hostname, a missing QEMU,
# an image a QEMU runall did not start is writing to, no free tap for an
# ordinary user, sudo not allowing start-tun-interface, start-tun-interface
# failing, and -C from an ordinary user.
# shellcheck source=tests/root/runqemuos.lib
. "$RUNALL_TOP/tests/root/runqemuos.lib"
rq_setup
rq_netns
img=$(rq_image guest.img)

# expect CODE MESSAGE-PART CMD...: CMD exits CODE, says MESSAGE-PART, and
# leaves HOSTNAMEDIR and LAUNCHDIR empty.
expect() {
	local code=$1 msg=$2 out rc
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	[ "$rc" = "$code" ] || fail "exit $rc, not $code: $* -> $out"
	[[ $out == *"$msg"* ]] || fail "message: wanted '$msg', got: $out"
	rq_no_files "$*"
	ok "exit $code: $(grep -F -- "$msg" <<<"$out" | head -n 1)"
}
rq() { ip netns exec "$ns" "$runqemuos" "$@"; }
# As the unprivileged user nobody, in the namespace. Debian's /dev/net/tun
# is open to everyone (mode 0666); where it is not (a container), a node
# with that mode is bind-mounted over it in a private mount namespace.
mknod "$work/tun" c 10 200 || fail "mknod"
chmod 666 "$work/tun"
as_nobody() {
	exec unshare -m sh -c 'mount --bind "$1" /dev/net/tun && shift &&
		exec ip netns exec "$@"' _ "$work/tun" "$ns" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}
rq_nobody() { as_nobody "$runqemuos" "$@"; }
hn=$work/hn launch=$work/launch

expect 100 "$work/none.img: No such file or directory" \
	rq g "$hn" "$launch" "$fake_qemu" -drive "file=$work/none.img,format=raw"
expect 100 "HOSTNAMEDIR $work/nodir: No such file or directory" \
	rq g "$work/nodir" "$launch" "$fake_qemu" -drive "file=$img,format=raw"
expect 100 "LAUNCHDIR $img: not a directory" \
	rq g "$hn" "$img" "$fake_qemu" -drive "file=$img,format=raw"
expect 100 "invalid hostname \"under_score\"" \
	rq under_score "$hn" "$launch" "$fake_qemu" -drive "file=$img,format=raw"
expect 100 "no-such-qemu: QEMU not found in PATH" \
	rq g "$hn" "$launch" no-such-qemu -drive "file=$img,format=raw"
expect 100 "no disk image among the QEMU arguments" \
	rq g "$hn" "$launch" "$fake_qemu" -kernel /boot/vmlinuz -nographic
expect 100 "-daemonize would give QEMU another pid" \
	rq g "$hn" "$launch" "$fake_qemu" -daemonize -drive "file=$img,format=raw"

# An ordinary user: directories owned by root are not writable for it.
chown nobody "$img"
expect 100 "HOSTNAMEDIR $hn: not writable" \
	rq_nobody g "$hn" "$launch" "$fake_qemu" -drive "file=$img,format=raw"
chown nobody "$hn"
expect 100 "LAUNCHDIR $launch: not writable" \
	rq_nobody g "$hn" "$launch" "$fake_qemu" -drive "file=$img,format=raw"
chown nobody "$launch"
chown root "$img"
chmod 644 "$img"
expect 100 "$img: must be readable and writable" \
	rq_nobody g "$hn" "$launch" "$fake_qemu" -drive "file=$img,format=raw"
chown nobody "$img"
expect 100 "-C: only root can point start-tun-interface" \
	rq_nobody -C /dev/null -N e1000 g "$hn" "$launch" "$fake_qemu" -drive "file=$img,format=raw"

# No tap this user may attach: only root's.
ip -n "$ns" tuntap add dev tap0 mode tap user root
expect 1 "no free tap: no persistent tap owned by this user (uid 65534)" \
	rq_nobody -N e1000 g "$hn" "$launch" "$fake_qemu" -drive "file=$img,format=raw"
ip -n "$ns" tuntap add dev tap1 mode tap user nobody
# All of the user's taps taken: tap1 held by a guest runall did not start.
mkdir "$work/nobody" && chown nobody "$work/nobody"
as_nobody "$fake_qemu" -fake-attach tap1 -fake-report "$work/nobody/holder" \
	-fake-run 60 >/dev/null &
pid=$!
rq_pids+=("$pid")
rq_wait_for "$work/nobody/holder" || fail "tap1 holder did not start"
expect 1 "no free tap: all 1 of this user's taps are in use" \
	rq_nobody -N e1000 g "$hn" "$launch" "$fake_qemu" -drive "file=$img,format=raw"
kill "$pid"
wait "$pid"
# A tap the user may attach, but sudo does not let it run
# start-tun-interface: the claim is released, nothing is left behind.
expect 1 "start-tun-interface tap1 through sudo failed" \
	rq_nobody -N e1000 g "$hn" "$launch" "$fake_qemu" -drive "file=$img,format=raw"
out=$(rq_nobody -N e1000 g "$hn" "$launch" "$fake_qemu" -drive "file=$img,format=raw" 2>&1)
[[ $out == *"allowed to run"*"through sudo without a password"* ]] ||
	fail "no hint about sudoers: $out"
rq_no_files "sudo refused again"

# As root the fake start-tun-interface beside runqemuos runs; when it
# fails, runqemuos fails and gives the tap back.
chown root "$hn" "$launch"
FAKE_STI_EXIT=1 expect 1 "start-tun-interface tap0 failed (exit 1)" \
	rq -N e1000 g "$hn" "$launch" "$fake_qemu" -drive "file=$img,format=raw"
grep -q "args=tap0 .*hostname=g" "$work/sti.log" ||
	fail "start-tun-interface not run with the hostname file: $(cat "$work/sti.log")"
pid=$(rq -b -N e1000 g "$hn" "$launch" "$fake_qemu" -drive "file=$img,format=raw" \
	-fake-report "$work/rep")
rq_pids+=("$pid")
rq_wait_for "$work/rep" || fail "launch after the failed one did not start"
[ "$(rq_field "$work/rep" tap)" = tap0 ] || fail "tap0 not given back: got $(rq_field "$work/rep" tap)"
ok "tap0 given back after start-tun-interface failed"
kill "$pid"
rq_wait_gone "$pid" || fail "guest did not stop"
rm -f "$hn"/* "$launch"/*

# An image a QEMU runall did not start is writing to (QEMU's lock bytes).
"$fake_qemu" -drive "file=$img,format=raw" -fake-report "$work/foreign" >/dev/null &
pid=$!
rq_pids+=("$pid")
rq_wait_for "$work/foreign" || fail "foreign fake-qemu did not start"
out=$("$image_in_use" "$img")
[[ $out == "qemu: open for writing by a QEMU that runall did not start"* ]] ||
	fail "image-in-use with a foreign QEMU: $out"
expect 2 "$img: in use: open for writing by a QEMU that runall did not start" \
	rq g "$hn" "$launch" "$fake_qemu" -drive "file=$img,format=raw"
kill "$pid"
wait "$pid"
