#!/bin/bash
# Two runall-os-test started at the same moment for one guest that is down
# boot it once: one launch succeeds, the other driver finds the image taken
# (by runqemuos's lock, or already in the probe) and waits for that boot;
# both run the script and pass, one QEMU runs, and the guest's log keeps
# both runs' lines. Then a run with --shutdown powers the guest off after
# its script and leaves no QEMU; alone, it empties the guest's log first.
# shellcheck disable=SC1091 # runall_os_test.bash is checked on its own
. "$RUNALL_TOP/tests/root/runall_os_test.bash"
e2e_setup cc

e2e_guest cc-x86 x86_64
d=$E2E_DIR
cat >"$d/hello" <<'EOF'
#!/bin/sh
echo "ran on $(hostname)"
EOF
cp "$d/hello" "$d/share/common-ro/hello"
chmod +x "$d/share/common-ro/hello"

# Both wait on one file, then start together. The script is given by its
# path in the read-only share, so neither copies it.
rm -f "$d/go"
for n in 1 2; do
	(
		while [ ! -e "$d/go" ]; do sleep 0.01; done
		e2e_run -l "$d/log$n" -s "$d/share/common-ro/hello" >"$d/run$n.out" 2>"$d/run$n.err"
		echo $? >"$d/rc$n"
	) &
	E2E_PIDS+=("$!")
done
sleep 0.3
touch "$d/go"
wait
for n in 1 2; do
	[ "$(cat "$d/rc$n")" = 0 ] || fail "driver $n: exit $(cat "$d/rc$n")"
	[ "$(e2e_result "$d/run$n.out" cc-x86)" = passed ] || fail "driver $n: not passed"
	grep -qx "ran on cc-x86" "$d/run$n.out" || fail "driver $n: no script output"
done
launches=$(cat "$d/log1" "$d/log2" | grep -c "QEMU started as pid")
[ "$launches" = 1 ] || fail "$launches launches, expected 1"
[ "$(e2e_qemu_pids | wc -l)" = 1 ] || fail "QEMUs: $(e2e_qemu_pids | tr '\n' ' ')"
# How the second one learned of the first: runqemuos's refusal, the image
# already locked when it looked, or - the image locked when it first
# looked, so its connection test waited the whole connect timeout - that
# test reaching the guest once the other's boot was done (the test guest
# boots in under 2 s).
if grep -q "Disk image was taken by another launch" "$d/log1" "$d/log2"; then
	how="runqemuos refused the second launch"
elif grep -q "Disk image is open for writing." "$d/log1" "$d/log2"; then
	how="the second driver found the image locked"
else
	other=
	for n in 1 2; do grep -q "QEMU started as pid" "$d/log$n" || other=$n; done
	if [ -z "$other" ] || ! grep -q "cc-x86:: Test succeeded" "$d/log$other"; then
		fail "neither driver saw the other's boot"
	fi
	how="the second driver's connection test waited out the first's boot"
fi
ok "two drivers at once booted the guest once ($how)"
# Both runs' lines are in the guest's log: the later run appended, it did
# not empty the log under the earlier one.
glog=$E2E_LOGS/cc-x86.log
[ "$(grep -c 'cc-x86:: START$' "$glog")" = 2 ] || fail "the guest's log lost a run: $(cat "$glog")"
[ "$(grep -c 'cc-x86:: END$' "$glog")" = 2 ] || fail "the guest's log lost a run's end: $(cat "$glog")"
[ "$(grep -cx 'ran on cc-x86' "$glog")" = 2 ] || fail "the guest's log lost a script's output"
grep -q "another run on this guest is writing its log: appending to it" "$glog" ||
	fail "the later run did not say it appended"
ok "the guest's log holds both runs"

qemu=$(e2e_qemu_pids)
e2e_run --shutdown -s "$d/share/common-ro/hello" >"$d/sd.out" 2>"$d/sd.err" ||
	fail "--shutdown run: exit $?"
[ "$(e2e_result "$d/sd.out" cc-x86)" = passed ] || fail "--shutdown: not passed"
grep -q "cc-x86:: QEMU exited (powered off" "$d/sd.err" || fail "--shutdown: not powered off"
e2e_wait_gone "$qemu" 2 || fail "--shutdown left QEMU $qemu"
[ "$(grep -c 'cc-x86:: START$' "$glog")" = 1 ] ||
	fail "a run alone did not start the guest's log afresh"
[ -z "$(e2e_qemu_pids)" ] || fail "--shutdown left QEMU: $(e2e_qemu_pids)"
ok "--shutdown powered the guest off after its script; no QEMU left"
echo PASS
