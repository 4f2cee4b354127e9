#!/bin/bash
# A guest whose disk image does not exist: runall-os-test says so, with the
# path it looked at, in the summary, the log and --stop, exits 1, and
# starts nothing (no runqemuos, no QEMU, no launch or hostname file).
# shellcheck disable=SC1091 # runall_os_test.bash is checked on its own
. "$RUNALL_TOP/tests/root/runall_os_test.bash"
e2e_setup mi
d=$E2E_DIR
e2e_guest mi-x86 x86_64
rm -f "$d/images/mi-x86.img"
printf '#!/bin/sh\necho ran\n' >"$d/script"
chmod 0755 "$d/script"

e2e_run -s "$d/script" mi-x86 >"$d/run.out" 2>"$d/run.err"
rc=$?
[ "$rc" = 1 ] || fail "exit $rc, not 1"
want="the disk image $d/images/mi-x86.img does not exist (a relative image name in the guest config is looked up in image_dir, $d/images)"
grep -qF "$want" "$d/run.out" || fail "the summary does not say the image is missing: $(cat "$d/run.out")"
[ "$(e2e_result "$d/run.out" mi-x86)" = error ] || fail "not an error: $(cat "$d/run.out")"
grep -q "could not tell" "$d/run.out" && fail "still 'could not tell': $(cat "$d/run.out")"
[ -z "$(e2e_qemu_pids)" ] || fail "a QEMU was started"
[ -z "$(ls -A "$d/launch")" ] || fail "launch files left: $(ls "$d/launch")"
[ -z "$(ls -A "$d/hostnames")" ] || fail "hostname files left: $(ls "$d/hostnames")"
ok "a missing image is named in the summary, nothing started"

e2e_run --stop mi-x86 >"$d/stop.out" 2>"$d/stop.err"
rc=$?
[ "$rc" = 1 ] || fail "--stop: exit $rc, not 1"
grep -qF "$want" "$d/stop.out" || fail "--stop does not say the image is missing: $(cat "$d/stop.out")"
ok "--stop says it too"
echo PASS
