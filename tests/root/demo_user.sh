#!/bin/bash
# `make demo` as an ordinary user (carol of usernet_stage.bash: no sudo
# rule, no tap, no system-wide settings), in a copy of the checkout that is
# hers, as a user's clone would be: it boots the three test guests (x86_64,
# aarch64, big-endian s390x) on QEMU's user-mode network, runs the sample
# script on each twice, stops them, and says every guest passed; it never calls sudo
# and makes no tap. The copy's build directory holds copies of the objects
# built here (hers, so that make may redo any that are out of date) and
# links the guest cache (read-only to her, and complete), so make and
# build-guest have little or nothing to do.
# shellcheck disable=SC2034 # read by usernet_stage.bash
UN_TAG=demo
# shellcheck disable=SC1091 # usernet_stage.bash is checked on its own
. "$RUNALL_TOP/tests/root/usernet_stage.bash"
for arch in x86_64 aarch64 s390x; do
	"$UN_TOP/tests/guest/build-guest" "$arch" >/dev/null || fail "build-guest $arch"
done
tree=$UN_DIR/tree
mkdir -p "$tree/build"
(cd "$UN_TOP" && git ls-files -z | cpio -0 -pdm --quiet "$tree") ||
	fail "copying the checkout"
b=$UN_BUILD
for f in "$b"/obj "$b"/gen "$b"/libruntime.a "$b"/runall-os-test "$b"/runqemuos \
	"$b"/start-tun-interface "$b"/update-dynamic-hosts "$b"/runall-dhcpd; do
	cp -a "$f" "$tree/build/" || fail "copying $f"
done
chown -R "$UN_UID:$UN_UID" "$tree/build"
cp -al "$b/guests" "$tree/build/guests" 2>/dev/null || cp -a "$b/guests" "$tree/build/guests" ||
	fail "copying the guest cache"
chown "$UN_UID:$UN_UID" "$tree"
(cd "$tree" && git -C "$UN_TOP" ls-files -z | xargs -0 chown -h "$UN_UID:$UN_UID")
find "$tree" -type d -not -path "$tree/build/*" -exec chown "$UN_UID:$UN_UID" {} +

un_as demo make -C "$tree" demo
[ "$(un_rc demo)" = 0 ] || fail "make demo as carol: exit $(un_rc demo): $(tail -30 "$UN_DIR/demo.out")"
out=$UN_DIR/demo.out
grep -q "guests on QEMU's user-mode network (no root)" "$out" || fail "not the user-mode demo"
grep -qx "every guest passed, both times, and is shut down" "$out" || fail "$(tail -20 "$out")"
for g in demo-amd64 demo-arm64 demo-s390x; do
	grep -q "^$g  passed" "$out" || fail "the summary: $(grep -A4 GUEST "$out")"
done
grep -q "^endianness: big-endian" "$out" || fail "no big-endian guest answered"
grep -q "^user:       carol, uid $UN_UID (the same as on the host)" "$out" ||
	fail "the script did not run as carol"
grep -q "launch/demo-amd64:port: [0-9]* [0-9]*" "$out" || fail "no port record shown"
grep -q "^namespace runall-demo" "$out" && fail "the root demo ran"
[ ! -s "$UN_SUDO_LOG" ] || fail "sudo was called: $(cat "$UN_SUDO_LOG")"
[ "$(un_links | tr '\n' ' ')" = "lo " ] || fail "links in the namespace: $(un_links)"
[ -z "$(un_qemu_pids)" ] || fail "QEMU left: $(un_qemu_pids)"
ok "make demo as an ordinary user booted its three guests in user mode, no root at any point"
echo PASS
