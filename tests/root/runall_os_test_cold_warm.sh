#!/bin/bash
# runall-os-test end to end on two real guests, x86_64 and big-endian s390x,
# in a network namespace of the test's own:
#   - a cold run (-j 2) boots both, runs the script on each (its output
#     prefixed per guest, kept in each guest's log), and both pass; the
#     script sees the article's contract (same user, the per-guest writable
#     directory as its working directory, the read-only and common shares,
#     ~/hostname);
#   - a warm run reuses the running guests (no launch) and is quick;
#   - a failing script is reported with its exit code (summary, TAP, exit 1);
#   - an OS not in the guest config is reported;
#   - a guest whose host key changed is refused and left alone;
#   - --stop powers both off by their power buttons and leaves no QEMU
#     behind.
# shellcheck disable=SC1091 # runall_os_test.bash is checked on its own
. "$RUNALL_TOP/tests/root/runall_os_test.bash"
e2e_setup cw

e2e_guest cw-x86 x86_64
e2e_guest cw-s390 s390x
d=$E2E_DIR
ro=$d/share/common-ro

cat >"$d/contract" <<'EOF'
#!/bin/sh
# The guest-side contract of runall-os-test(1).
echo "cwd=$(pwd)"
echo "uid=$(id -u)"
echo "hostname=$(~/hostname)"
echo "arch=$(uname -m)"
echo "script=$0"
hostname > "own-$(hostname)"
hostname > "/netshare-rw/common/shared-$(hostname)"
if touch /netshare-ro/written 2>/dev/null; then echo "ro=writable"; else echo "ro=read-only"; fi
echo "to stderr" >&2
EOF

# --- cold, two guests at once ---------------------------------------------
start=$(date +%s.%N)
e2e_run -j 2 --tap "$d/cold.tap" -sf "$d/contract" >"$d/cold.out" 2>"$d/cold.err"
rc=$?
cold=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
[ "$rc" = 0 ] || fail "cold run: exit $rc"
for g in cw-x86 cw-s390; do
	[ "$(e2e_result "$d/cold.out" "$g")" = passed ] || fail "cold: $g not passed"
	grep -q "$g:: QEMU started as pid" "$d/cold.err" || fail "cold: $g not launched"
	grep -q "$g:: Script ran OK" "$d/cold.err" || fail "cold: no 'Script ran OK' for $g"
	# -j 2: every line of the script's output carries its guest's name.
	grep -qx "\[$g\] cwd=/netshare-rw" "$d/cold.out" || fail "cold: $g's cwd"
	grep -qx "\[$g\] uid=0" "$d/cold.out" || fail "cold: $g's uid"
	grep -qx "\[$g\] hostname=$g" "$d/cold.out" || fail "cold: $g's ~/hostname"
	grep -qx "\[$g\] script=/netshare-ro/contract" "$d/cold.out" ||
		fail "cold: $g did not run the script from the read-only share"
	grep -qx "\[$g\] ro=read-only" "$d/cold.out" || fail "cold: $g could write the ro share"
	grep -qx "\[$g\] to stderr" "$d/cold.err" || fail "cold: $g's stderr"
	[ "$(cat "$d/share/$g/own-$g")" = "$g" ] || fail "cold: $g's own directory"
	[ "$(cat "$d/share/common-rw/shared-$g")" = "$g" ] || fail "cold: common share"
	grep -qx "cwd=/netshare-rw" "$E2E_LOGS/$g.log" || fail "cold: $g's log lacks the output"
	grep -q "$g:: Script ran OK" "$E2E_LOGS/$g.log" || fail "cold: $g's log lacks its steps"
	[ -s "$E2E_LOGS/$g.console" ] || fail "cold: no console log for $g"
done
grep -qx "arch=x86_64" "$E2E_LOGS/cw-x86.log" || fail "cold: x86_64 arch"
grep -qx "arch=s390x" "$E2E_LOGS/cw-s390.log" || fail "cold: s390x arch"
[ -x "$ro/contract" ] || fail "the script was not copied executable into the ro share"
grep -q "^ok 1 - cw-x86$" "$d/cold.tap" || fail "cold TAP: $(cat "$d/cold.tap")"
grep -q "^ok 2 - cw-s390$" "$d/cold.tap" || fail "cold TAP: $(cat "$d/cold.tap")"
grep -q "launched: true" "$d/cold.tap" || fail "cold TAP: not launched"
grep -q "^2 of 2 guests passed$" "$d/cold.out" || fail "cold summary"
[ "$(e2e_qemu_pids | wc -l)" = 2 ] || fail "cold: not two QEMUs"
pids_before=$(e2e_qemu_pids | sort | tr '\n' ' ')
ok "cold run on two guests passed in ${cold}s"

# --- warm: the running guests are reused -------------------------------------------
start=$(date +%s.%N)
e2e_run -sn "$d/contract" >"$d/warm.out" 2>"$d/warm.err" || fail "warm run: exit $?"
warm=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
grep -q "QEMU started" "$d/warm.err" && fail "warm run launched a guest"
[ "$(grep -c ":: Test succeeded" "$d/warm.err")" = 2 ] || fail "warm: connection tests"
grep -q "is already this script" "$d/warm.err" || fail "warm: -sn with the same script"
# -j 1: the output is passed through as it is.
grep -qx "hostname=cw-s390" "$d/warm.out" || fail "warm: output"
[ "$(e2e_qemu_pids | sort | tr '\n' ' ')" = "$pids_before" ] || fail "warm: QEMUs changed"
ok "warm run reused both guests in ${warm}s"

# --- a failing script; an unknown OS ----------------------------------------------
cat >"$d/failing" <<'EOF'
#!/bin/sh
echo "failing on $(hostname)"
exit 3
EOF
e2e_run --tap "$d/fail.tap" -s "$d/failing" cw-s390 no-such-guest cw-x86 \
	>"$d/fail.out" 2>"$d/fail.err"
rc=$?
[ "$rc" = 1 ] || fail "failing script: exit $rc, expected 1"
for g in cw-x86 cw-s390; do
	[ "$(e2e_result "$d/fail.out" "$g")" = "failed (exit 3)" ] ||
		fail "failing: $g is '$(e2e_result "$d/fail.out" "$g")'"
	grep -q "$g:: ERROR:: ssh returned 3" "$d/fail.err" || fail "failing: $g's log line"
done
# Config-file order, not command-line order.
[ "$(grep -o 'failing on [a-z0-9-]*' "$d/fail.out" | tr '\n' ' ')" = \
  "failing on cw-x86 failing on cw-s390 " ] || fail "failing: guests not in config order"
[ "$(e2e_result "$d/fail.out" no-such-guest)" = "not in guest config" ] ||
	fail "unknown OS not in the summary"
grep -q "ERROR:: Not found: no-such-guest" "$d/fail.err" || fail "unknown OS not logged"
grep -q "^not ok 1 - cw-x86 # exit 3$" "$d/fail.tap" || fail "TAP: $(cat "$d/fail.tap")"
grep -q "exit_code: 3" "$d/fail.tap" || fail "TAP exit code"
ok "failing script reported with exit 3; unknown OS reported"

# --- a changed host key -----------------------------------------------------------------
kh=$d/ssh/known_hosts
cp "$kh" "$d/known_hosts.good"
ssh-keygen -q -t ed25519 -N '' -f "$d/other" || fail "ssh-keygen"
# (ssh may keep the names hashed: replace the entry through ssh-keygen.)
ssh-keygen -q -R cw-x86 -f "$kh" >/dev/null 2>&1 || fail "ssh-keygen -R"
echo "cw-x86 $(cut -d' ' -f1,2 "$d/other.pub")" >>"$kh"
cp "$kh" "$d/known_hosts.bad"
e2e_run -s "$d/failing" cw-x86 >"$d/key.out" 2>"$d/key.err"
rc=$?
[ "$rc" = 1 ] || fail "changed host key: exit $rc"
[ "$(e2e_result "$d/key.out" cw-x86)" = "host key changed" ] ||
	fail "changed host key: '$(e2e_result "$d/key.out" cw-x86)'"
grep -q "failing on" "$d/key.out" && fail "the script ran on a guest whose key changed"
grep -q "QEMU started" "$d/key.err" && fail "a guest whose key changed was launched again"
cmp -s "$kh" "$d/known_hosts.bad" || fail "known_hosts was rewritten"
[ "$(e2e_qemu_pids | sort | tr '\n' ' ')" = "$pids_before" ] || fail "key: QEMUs changed"
cp "$d/known_hosts.good" "$kh"
ok "a changed host key is refused, not trusted"

# --- --stop ----------------------------------------------------------------------------------
start=$(date +%s.%N)
e2e_run --stop >"$d/stop.out" 2>"$d/stop.err" || fail "--stop: exit $?"
took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
for g in cw-x86 cw-s390; do
	[ "$(e2e_result "$d/stop.out" "$g")" = stopped ] || fail "--stop: $g"
	# The ACPI power button (a signal-quiesce on s390x), well before the
	# shutdown command's turn at half the stop timeout (15 s).
	grep -q "^$g .*powered off by the power button$" "$d/stop.out" ||
		fail "--stop: $g not by the power button: $(cat "$d/stop.out")"
	grep -q "$g:: Pressed the power button" "$d/stop.err" || fail "--stop: $g's log"
	grep -q "$g:: .*running the shutdown command" "$d/stop.err" &&
		fail "--stop: $g needed its shutdown command"
done
[ -z "$(e2e_qemu_pids)" ] || fail "--stop left QEMU running: $(e2e_qemu_pids)"
e2e_run --stop cw-x86 >"$d/stop2.out" 2>"$d/stop2.err" || fail "second --stop: exit $?"
grep -q "was not running" "$d/stop2.out" || fail "second --stop: $(cat "$d/stop2.out")"
ok "--stop pressed both guests' power buttons (${took}s)"
echo PASS
