#!/bin/bash
# A guest that never signals boot (runall.noup=1: it boots but writes no
# up-file; without a network card, nic = none, ssh cannot reach it either),
# with a start timeout of 8 s:
#   - a ^C (SIGINT to the driver's process group, as a terminal sends it)
#     while the driver waits ends the driver at once with exit 130, and the
#     guest's QEMU keeps running; its JUnit report (--junit) says
#     "interrupted";
#   - a second driver finds that QEMU booting (launch file, no later
#     up-file), waits for it rather than booting another, and reports a
#     boot timeout once the launch is 8 s old (exit 1), leaving QEMU alone;
#     its JUnit report says "boot timeout";
#   - the console's last lines come with the boot timeout;
#   - --stop powers it off by its power button, though ssh cannot reach
#     it; a guest that ignores the button as well is killed with SIGTERM
#     at the stop timeout, which is no pass (exit 1, "killed").
# shellcheck disable=SC1091 # runall_os_test.bash is checked on its own
. "$RUNALL_TOP/tests/root/runall_os_test.bash"
e2e_setup bt

e2e_guest bt-x86 x86_64 8 20 runall.noup=1 "nic = none"
d=$E2E_DIR
printf '#!/bin/sh\necho never\n' >"$d/never"

# --- ^C while waiting ---------------------------------------------------------------
# setsid: a process group of its own, which stands for the terminal's
# foreground group; SIGINT goes to the whole group, as ^C does.
# shellcheck disable=SC2016 # expanded by the inner bash
setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$d/driver.pid" \
	ip netns exec "$E2E_NS" "$E2E_BUILD/runall-os-test" -C "$E2E_CONF" \
	-i "$E2E_KEY" --log-dir "$E2E_LOGS" --junit "$d/int.xml" -s "$d/never" \
	>"$d/int.out" 2>"$d/int.err" &
waiter=$!
E2E_PIDS+=("$waiter")
for _ in $(seq 100); do
	grep -q "QEMU started as pid" "$d/int.err" 2>/dev/null && break
	sleep 0.1
done
grep -q "QEMU started as pid" "$d/int.err" || fail "the guest was not launched"
qemu=$(cat "$d/launch/bt-x86")
sleep 1
t0=$(date +%s.%N)
kill -INT -- "-$(cat "$d/driver.pid")"
wait "$waiter"
rc=$?
took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
[ "$rc" = 130 ] || fail "^C: exit $rc, expected 130"
awk -v t="$took" 'BEGIN { exit !(t < 2) }' || fail "^C took ${took}s to stop the driver"
[ "$(e2e_result "$d/int.out" bt-x86)" = interrupted ] ||
	fail "^C: '$(e2e_result "$d/int.out" bt-x86)'"
grep -q "Interrupted by" "$d/int.err" || fail "^C not logged"
grep -q '<failure message="interrupted"' "$d/int.xml" ||
	fail "^C: the JUnit report: $(cat "$d/int.xml" 2>&1)"
sleep 0.5
kill -0 "$qemu" 2>/dev/null || fail "^C killed the guest's QEMU"
ok "^C ended the driver in ${took}s (exit 130); QEMU $qemu kept running"

# --- a second driver waits for the booting guest, then times out ---------------------
e2e_run --junit "$d/bt.xml" -s "$d/never" >"$d/bt.out" 2>"$d/bt.err"
rc=$?
[ "$rc" = 1 ] || fail "boot timeout: exit $rc, expected 1"
grep -q '<failure message="boot timeout"' "$d/bt.xml" ||
	fail "boot timeout: the JUnit report: $(cat "$d/bt.xml" 2>&1)"
[ "$(e2e_result "$d/bt.out" bt-x86)" = "boot timeout" ] ||
	fail "boot timeout: '$(e2e_result "$d/bt.out" bt-x86)'"
grep -q "A later upfile does not exist; assuming OS is booting" "$d/bt.err" ||
	fail "the second driver did not see the guest booting"
grep -q "Timed out waiting on upfile for previously active guest OS." "$d/bt.err" ||
	fail "no time-out line"
grep -q "QEMU started" "$d/bt.err" && fail "the second driver launched another QEMU"
# With the error, the console's last lines, stamped, of that guest's launch.
grep -q "bt-x86:: The last lines of its console ($E2E_LOGS/bt-x86.console):" "$d/bt.err" ||
	fail "no console lines with the boot timeout"
# (How far the guest got in 8 s depends on the machine's load: the lines
# shown are checked against the console log, not against a boot step.)
shown=$(sed -n 's/^[0-9/:.-]* bt-x86::   //p' "$d/bt.err")
[ -n "$shown" ] || fail "no console line shown"
while IFS= read -r line; do
	[[ $line =~ ^\[\ *[0-9]+\.[0-9]{3}\]\  ]] || fail "an unstamped console line: $line"
	grep -Fxq -- "$line" "$E2E_LOGS/bt-x86.console" || fail "not in the console log: $line"
done <<<"$shown"
grep -q "^never" "$d/bt.out" && fail "the script ran on a guest that never signalled"
kill -0 "$qemu" 2>/dev/null || fail "the timed-out guest's QEMU was killed"
[ "$(e2e_qemu_pids)" = "$qemu" ] || fail "QEMUs: $(e2e_qemu_pids)"
ok "boot timeout reported with the console's last lines; QEMU left alone"

# A third run: the launch file is now older than the start timeout.
e2e_run -s "$d/never" >"$d/old.out" 2>"$d/old.err"
[ "$(e2e_result "$d/old.out" bt-x86)" = refused ] ||
	fail "expired launch: '$(e2e_result "$d/old.out" bt-x86)'"
grep -q "Not waiting - launchfile is already older than 8s" "$d/old.err" ||
	fail "expired launch not logged"
ok "a launch older than the start timeout is refused (the article's branch)"

# --- --stop ----------------------------------------------------------------------------
e2e_run --stop >"$d/stop.out" 2>"$d/stop.err" || fail "--stop: exit $?"
e2e_wait_gone "$qemu" 5 || fail "--stop left QEMU $qemu running"
[ "$(e2e_result "$d/stop.out" bt-x86)" = stopped ] || fail "--stop: $(cat "$d/stop.out")"
grep -q "powered off by the power button" "$d/stop.out" || fail "--stop: not by the power button"
ok "--stop powered the guest ssh cannot reach off by its power button"

# --- a guest that ignores its power button and cannot be reached -----------------------
# (runall.nobutton=1: the guest's init does not watch the button.) Half the
# stop timeout of 20 s for the button, the command cannot be delivered,
# SIGTERM at the stop timeout: killed, which is not a pass.
sed -i 's/runall.noup=1/runall.noup=1 runall.nobutton=1/' "$E2E_GUESTS"
e2e_run >"$d/up2.out" 2>"$d/up2.err"
[ "$(e2e_result "$d/up2.out" bt-x86)" = "boot timeout" ] || fail "second boot: $(cat "$d/up2.out")"
qemu=$(cat "$d/launch/bt-x86")
e2e_run --stop --tap "$d/kill.tap" >"$d/kill.out" 2>"$d/kill.err"
rc=$?
[ "$rc" = 1 ] || fail "--stop of a guest that had to be killed: exit $rc, expected 1"
e2e_wait_gone "$qemu" 5 || fail "--stop left QEMU $qemu running"
[ "$(e2e_result "$d/kill.out" bt-x86)" = killed ] || fail "--stop: $(cat "$d/kill.out")"
grep -q "killed with SIGTERM after the stop timeout (20s)" "$d/kill.out" ||
	fail "--stop: $(cat "$d/kill.out")"
grep -q "bt-x86:: Pressed the power button; waiting up to 10s" "$d/kill.err" ||
	fail "the button was not pressed first"
grep -q "bt-x86:: Shutdown command not delivered" "$d/kill.err" ||
	fail "the shutdown command was not tried"
grep -q "^0 of 1 guest passed$" "$d/kill.out" || fail "a killed guest counted as passed"
grep -q "^not ok 1 - bt-x86 # killed$" "$d/kill.tap" || fail "TAP: $(cat "$d/kill.tap")"
grep -q 'stopped_by: "SIGTERM"' "$d/kill.tap" || fail "TAP: $(cat "$d/kill.tap")"
ok "a guest that ignored its button was killed at the stop timeout: not passed, exit 1"
echo PASS
