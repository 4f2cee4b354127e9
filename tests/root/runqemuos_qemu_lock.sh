#!/bin/bash
# shellcheck disable=SC1091,SC2154,SC2016 # runqemuos.lib and its variables; sh -c scripts
# The image lock with a real QEMU (no guest OS, no network: QEMU's firmware
# finds nothing to boot and waits). runqemuos's lock on byte 0 sits beside
# QEMU's own locks (100-101, 201) without conflict, is still held after QEMU
# has run for a while, refuses a second runqemuos and frees itself when QEMU
# exits. A QEMU started by hand is seen through its own lock bytes and
# refused too. The article's form - no QEMU named, the bare image last -
# still starts qemu-system-x86_64 with the image locked.
# shellcheck source=tests/root/runqemuos.lib
. "$RUNALL_TOP/tests/root/runqemuos.lib"
rq_setup
rq_netns  # QEMU has no network card, but runs in a namespace of our own anyway
command -v qemu-system-x86_64 >/dev/null || fail "qemu-system-x86_64 not installed"
img=$(rq_image guest.img 16M)
inode=$(stat -c %i "$img")
qemu_args=(-display none -nic none -m 64 -no-user-config)
rq() { ip netns exec "$ns" "$runqemuos" "$@"; }

# Locks on the image, as /proc/locks lists them: "TYPE START END" lines.
image_locks() {
	awk -v ino=":$inode" '$6 ~ ino"$" { print $2, $4, $7, $8 }' /proc/locks | sort
}

pid=$(rq -b -o "$work/console" g1 "$work/hn" "$work/launch" qemu-system-x86_64 \
	"${qemu_args[@]}" -drive "file=$img,format=raw,if=virtio") || fail "runqemuos -b failed"
rq_pids+=("$pid")
[ "$(cat "$work/launch/g1")" = "$pid" ] || fail "launch file"
[ "$(readlink "/proc/$pid/exe")" = "$(command -v qemu-system-x86_64)" ] ||
	[[ $(readlink "/proc/$pid/exe") == */qemu-system-x86_64 ]] || fail "pid $pid is not QEMU"
# Let QEMU open, probe and reopen its image, and run its firmware.
sleep 5
kill -0 "$pid" 2>/dev/null || fail "QEMU exited: $(cat "$work/console")"
locks=$(image_locks)
echo "$locks"
grep -q 'OFDLCK WRITE 0 0' <<<"$locks" || fail "runall's lock on byte 0 missing"
grep -q 'OFDLCK READ 100 101' <<<"$locks" || fail "QEMU's locks on 100-101 missing"
grep -q 'OFDLCK READ 201 201' <<<"$locks" || fail "QEMU's lock on 201 missing"
out=$("$image_in_use" "$img")
[ "${out%%:*}" = runall ] || fail "image-in-use: $out"
ok "after 5 s of QEMU: byte 0 locked beside QEMU's own locks"

out=$(rq g2 "$work/hn" "$work/launch" qemu-system-x86_64 "${qemu_args[@]}" \
	-drive "file=$img,format=raw,if=virtio" 2>&1)
rc=$?
[ "$rc" = 2 ] || fail "second runqemuos: exit $rc, not 2 (image in use): $out"
[[ $out == *"in use: locked by a guest that runqemuos started"* ]] || fail "message: $out"
[ ! -e "$work/launch/g2" ] || fail "refused launch left a launch file"
ok "second runqemuos refused: $out"

kill "$pid"
rq_wait_gone "$pid" || fail "QEMU did not exit on SIGTERM"
out=$("$image_in_use" "$img")
[ "$out" = free ] || fail "after QEMU exited: $out"
[ -z "$(image_locks)" ] || fail "locks left: $(image_locks)"
ok "lock gone with QEMU"
# The files of a guest that has stopped stay, as in the article (the
# driver compares pids and times); clear them for what follows.
rm -f "$work/hn"/* "$work/launch"/*

# A QEMU runall did not start.
ip netns exec "$ns" qemu-system-x86_64 "${qemu_args[@]}" \
	-drive "file=$img,format=raw,if=virtio" </dev/null >"$work/foreign.log" 2>&1 &
qpid=$!
rq_pids+=("$qpid")
for _ in $(seq 100); do
	out=$("$image_in_use" "$img")
	[ "$out" = free ] || break
	sleep 0.05
done
[[ $out == "qemu: open for writing by a QEMU that runall did not start"* ]] ||
	fail "image-in-use with a foreign QEMU: $out"
out=$(rq g3 "$work/hn" "$work/launch" qemu-system-x86_64 "${qemu_args[@]}" \
	-drive "file=$img,format=raw,if=virtio" 2>&1)
rc=$?
[ "$rc" = 2 ] || fail "runqemuos beside a foreign QEMU: exit $rc, not 2 (image in use): $out"
[[ $out == *"in use: open for writing by a QEMU that runall did not start"* ]] ||
	fail "message: $out"
rq_no_files "refused beside a foreign QEMU"
ok "foreign QEMU seen and refused: $out"
kill "$qpid"
wait "$qpid"

# The article's form: options, then the bare image; QEMU not named.
pid=$(rq -b g4 "$work/hn" "$work/launch" "${qemu_args[@]}" "$img") ||
	fail "article form failed"
rq_pids+=("$pid")
sleep 1
kill -0 "$pid" 2>/dev/null || fail "article form: QEMU exited"
[[ $(readlink "/proc/$pid/exe") == */qemu-system-x86_64 ]] || fail "article form: not QEMU"
out=$("$image_in_use" "$img")
[ "${out%%:*}" = runall ] || fail "article form: $out"
ok "article form: qemu-system-x86_64 with the bare image, locked"
kill "$pid"
rq_wait_gone "$pid" || fail "QEMU did not exit"
