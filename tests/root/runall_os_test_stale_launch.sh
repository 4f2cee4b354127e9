#!/bin/bash
# A stale launch file does not fool the driver: its pid now belongs to
# another process - here even one whose program is named
# qemu-system-x86_64, but started after the launch file was written - so
# the guest is not taken for running: the driver boots it and runs the
# script, and never touches that process. --stop likewise leaves a process
# alone that a stale launch file names, and stops only the real QEMU.
# shellcheck disable=SC1091 # runall_os_test.bash is checked on its own
. "$RUNALL_TOP/tests/root/runall_os_test.bash"
e2e_setup sl

e2e_guest sl-x86 x86_64
d=$E2E_DIR
cat >"$d/hello" <<'EOF'
#!/bin/sh
echo "ran on $(hostname)"
EOF

# An impostor: sleep under QEMU's program name, started now, named by a
# launch file written an hour ago (a QEMU that exited long since, and a pid
# reused).
mkdir -p "$d/impostor"
cp "$(command -v sleep)" "$d/impostor/qemu-system-x86_64"
"$d/impostor/qemu-system-x86_64" 600 &
impostor=$!
E2E_PIDS+=("$impostor")
echo "$impostor" >"$d/launch/sl-x86"
touch -d '-1 hour' "$d/launch/sl-x86"

e2e_run -s "$d/hello" >"$d/run.out" 2>"$d/run.err" || fail "run: exit $?"
[ "$(e2e_result "$d/run.out" sl-x86)" = passed ] || fail "not passed"
grep -qx "ran on sl-x86" "$d/run.out" || fail "no script output"
grep -q "Disk image is not open for writing." "$d/run.err" || fail "image probe"
grep -q "sl-x86:: Launching OS and waiting for it to come up" "$d/run.err" ||
	fail "the stale launch file was believed"
kill -0 "$impostor" 2>/dev/null || fail "the impostor was killed"
qemu=$(cat "$d/launch/sl-x86")
[ "$qemu" != "$impostor" ] || fail "the launch file was not rewritten"
[ "$(e2e_qemu_pids)" = "$qemu" ] || fail "QEMUs: $(e2e_qemu_pids)"
ok "a stale launch file naming pid $impostor (qemu-system-x86_64, started later) did not stop the boot"

# --stop stops the real QEMU...
e2e_run --stop >"$d/stop.out" 2>"$d/stop.err" || fail "--stop: exit $?"
e2e_wait_gone "$qemu" 5 || fail "--stop left QEMU $qemu"
kill -0 "$impostor" 2>/dev/null || fail "--stop killed the impostor"
# ...and a stale launch file naming another process makes it do nothing.
echo "$impostor" >"$d/launch/sl-x86"
touch -d '-1 hour' "$d/launch/sl-x86"
e2e_run --stop >"$d/stop2.out" 2>"$d/stop2.err" || fail "second --stop: exit $?"
grep -q "was not running" "$d/stop2.out" || fail "second --stop: $(cat "$d/stop2.out")"
kill -0 "$impostor" 2>/dev/null || fail "--stop signalled the process a stale launch file names"
ok "--stop stopped only the real QEMU, never the impostor"
echo PASS
