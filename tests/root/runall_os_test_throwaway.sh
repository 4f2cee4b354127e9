#!/bin/bash
# resume = throwaway end to end on the x86_64 test guest, in a network
# namespace of the test's own:
#   - the first run boots the guest, saves its state, stops it, and runs the
#     script on a copy resumed from the state; the guest is stopped and the
#     copy removed when the run ends;
#   - what a run's script wrote (to the guest's disk, to root's home) is
#     gone in the next run, and the saved state's file is unchanged by runs;
#   - two runs at once never share a copy: the second waits for the first;
#   - a run interrupted during its script still stops its guest and removes
#     its copy; the next run removes a copy a killed run left behind;
#   - a guest already running outside a throw-away run is refused, and left
#     running.
# shellcheck disable=SC1091 # runall_os_test.bash is checked on its own
. "$RUNALL_TOP/tests/root/runall_os_test.bash"
e2e_setup tw

g=tw-x86
e2e_guest "$g" x86_64 120 30 "" "resume = throwaway"
d=$E2E_DIR
sdir=$d/launch/.state-0
state=$sdir/$g.qcow2

# The script reads the run's name from the read-only share with the shell's
# own read, prints what an earlier run may have left on the guest's disk
# and in root's home, and leaves its own mark in both.
cat >"$d/check" <<'EOF2'
#!/bin/sh
read -r name < /netshare-ro/name
disk=
for dev in /dev/vda /dev/sda; do [ -b "$dev" ] && disk=$dev && break; done
[ -n "$disk" ] || { echo "no disk"; exit 3; }
echo "disk-before=$(dd if="$disk" bs=32 count=1 2>/dev/null | tr -cd 'a-z0-9-')"
echo "home-before=$(cat ~/left-behind 2>/dev/null)"
echo "left-by-$name" | dd of="$disk" conv=notrunc 2>/dev/null
sync
echo 3 > /proc/sys/vm/drop_caches
echo "disk-after=$(dd if="$disk" bs=32 count=1 iflag=direct 2>/dev/null | tr -cd 'a-z0-9-')"
echo "left-by-$name" > ~/left-behind
echo "done=$name"
[ "$name" != slow ] || sleep 60
EOF2
chmod +x "$d/check"

# run NAME [ARGS...]: one throw-away run of the check script.
run() {
	local name=$1
	shift
	echo "$name" >"$d/share/common-ro/name"
	e2e_run "$@" -sn "$d/check" "$g" >"$d/$name.out" 2>"$d/$name.err"
}

# clean NAME: the script found nothing of any earlier run, and the run
# left no guest and no copy.
clean() {
	local name=$1 out=$d/$1.out
	grep -qx "done=$name" "$out" || fail "$name: the script did not finish: $(cat "$out")"
	grep -qx "disk-before=" "$out" || fail "$name: an earlier run's disk: $(grep disk- "$out")"
	grep -qx "home-before=" "$out" || fail "$name: an earlier run's home: $(grep home- "$out")"
	grep -qx "disk-after=left-by-$name" "$out" || fail "$name: no mark on the disk: $(grep disk- "$out")"
	no_guest_no_copy "$name"
}

no_guest_no_copy() {
	[ -z "$(e2e_qemu_pids)" ] || fail "$1: QEMU still running: $(e2e_qemu_pids)"
	local left
	left=$(find "$sdir" -name "$g.run-*" ! -name "$g.run-lock")
	[ -z "$left" ] || fail "$1: copies left: $left"
}

# The copy a run resumed.
copy_of() { sed -n "s/.*$g:: Resuming from a copy of the saved state .* for this run only: //p" "$d/$1.err"; }

# --- the first run: boot, save, stop, resume a copy, script, discard --------------
run first --tap "$d/first.tap" || fail "first run: exit $?"
grep -q "$g:: Booting on a new state $state, saved once the guest is up; the script then runs on a copy of it" \
	"$d/first.err" || fail "first: no new state"
grep -q "$g:: Saved the guest's state in $state" "$d/first.err" || fail "first: not saved"
grep -q "$g:: Stopping the guest that saved the state: the script runs on a copy of it" \
	"$d/first.err" || fail "first: the saving guest ran the script"
c1=$(copy_of first)
[ -n "$c1" ] || fail "first: the script did not run on a copy"
grep -q "$g:: Removed this run's copy of the saved state $c1" "$d/first.err" || fail "first: copy kept"
grep -q '^  stopped_by: "throw-away end"$' "$d/first.tap" || fail "first: TAP: $(cat "$d/first.tap")"
clean first
sum=$(sha256sum <"$state")
ok "the first run saved the state ($(du -m "$state" | cut -f1) MiB), ran the script on a copy, and discarded it"

# --- the next run finds nothing of the first -----------------------------------------
run second || fail "second run: exit $?"
grep -q "Booting on a new state" "$d/second.err" && fail "second: booted"
c2=$(copy_of second)
if [ -z "$c2" ] || [ "$c2" = "$c1" ]; then fail "second: copy '$c2', the first run's '$c1'"; fi
clean second
[ "$(sha256sum <"$state")" = "$sum" ] || fail "second: the saved state changed"
ok "the second run found nothing the first wrote, on a copy of its own; the state is unchanged"

# --- two runs at once ------------------------------------------------------------------
echo two >"$d/share/common-ro/name"
e2e_run -sn "$d/check" "$g" >"$d/two1.out" 2>"$d/two1.err" &
p1=$!
e2e_run -sn "$d/check" "$g" >"$d/two2.out" 2>"$d/two2.err" &
p2=$!
wait "$p1" || fail "two runs: the first failed: $(cat "$d/two1.out")"
wait "$p2" || fail "two runs: the second failed: $(cat "$d/two2.out")"
grep -q "$g:: Another throw-away run of $g has it: waiting for that run to end" \
	"$d/two1.err" "$d/two2.err" || fail "two runs: neither waited"
for n in two1 two2; do
	grep -qx "disk-before=" "$d/$n.out" || fail "$n: shared: $(grep disk- "$d/$n.out")"
	grep -qx "home-before=" "$d/$n.out" || fail "$n: shared: $(grep home- "$d/$n.out")"
done
c3=$(copy_of two1) c4=$(copy_of two2)
if [ -z "$c3" ] || [ -z "$c4" ] || [ "$c3" = "$c4" ]; then fail "two runs: copies '$c3' '$c4'"; fi
no_guest_no_copy two
[ "$(sha256sum <"$state")" = "$sum" ] || fail "two runs: the saved state changed"
ok "two runs at once: the second waited, each had a copy of its own and found it clean"

# --- a ^C during the script ------------------------------------------------------------
echo slow >"$d/share/common-ro/name"
e2e_run -sn "$d/check" "$g" >"$d/slow.out" 2>"$d/slow.err" &
p=$!
for _ in $(seq 600); do grep -q "^done=slow" "$d/slow.out" && break; sleep 0.1; done
grep -q "^done=slow" "$d/slow.out" || fail "slow: the script did not start"
# The driver, as a user's ^C or a CI job's timeout would stop it.
driver=$(pgrep -P "$p" -x runall-os-test)
[ -n "$driver" ] || fail "slow: no driver under $p"
kill -TERM "$driver"
wait "$p"
rc=$?
[ "$rc" != 0 ] || fail "slow: an interrupted run exited 0"
grep -q "$g:: Stopping the throw-away guest: nothing in it is kept" "$d/slow.err" ||
	fail "slow: guest not stopped"
no_guest_no_copy slow
ok "a run interrupted in its script (exit $rc) stopped its guest and removed its copy"

# --- a copy a killed run left behind ----------------------------------------------------
stray=$sdir/$g.run-Zq81xA
cp "$state" "$stray"
run third || fail "third run: exit $?"
grep -q "$g:: Removed $stray, the copy of a run that ended without removing it" "$d/third.err" ||
	fail "third: the stray copy: $(ls "$sdir")"
clean third
ok "the next run removed the copy a killed run left"

# --- a guest running outside a throw-away run --------------------------------------------
# The same guest booted as resume = no (another user of the record would do
# that): a throw-away run neither uses nor stops it.
sed -i "s/^resume = throwaway\$/resume = no/" "$E2E_GUESTS"
e2e_run "$g" >"$d/plain.out" 2>&1 || fail "resume = no boot: $(cat "$d/plain.out")"
pid=$(e2e_qemu_pids)
[ -n "$pid" ] || fail "resume = no: no QEMU"
sed -i "s/^resume = no\$/resume = throwaway/" "$E2E_GUESTS"
run outside && fail "outside: a run on a guest already running passed"
grep -q "resume = throwaway: the guest runs already, outside a throw-away run; stop it first (runall-os-test --stop)" \
	"$d/outside.out" "$d/outside.err" || fail "outside: message: $(cat "$d/outside.out")"
[ "$(e2e_qemu_pids)" = "$pid" ] || fail "outside: the running QEMU changed: $(e2e_qemu_pids)"
grep -q "^done=" "$d/outside.out" && fail "outside: the script ran"
[ "$(sha256sum <"$state")" = "$sum" ] || fail "outside: the saved state changed"
e2e_run --stop "$g" >"$d/stop.out" 2>&1 || fail "--stop: $(cat "$d/stop.out")"
ok "a guest running outside a throw-away run was refused and left running"
echo PASS
