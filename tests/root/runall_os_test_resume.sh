#!/bin/bash
# resume = yes end to end on the x86_64 test guest, in a network namespace
# of the test's own:
#   - the first run boots the guest on a new state, saves it once it is up,
#     and runs the script with the shares mounted again;
#   - after --stop, a run resumes the saved state instead of booting, on
#     another tap than the save's: the script finds the host's time (within
#     a second, though the state is seconds old), its address on the new
#     tap, the host's hosts line and hostname file for it, ~/hostname, and
#     the three shares live;
#   - two drivers resuming the guest at once give one QEMU;
#   - a state whose image was touched, or whose QEMU options changed, is
#     discarded with a one-line notice and the guest booted;
#   - a corrupted state falls back to a boot, and the run passes;
#   - --fresh boots and saves the state anew.
# shellcheck disable=SC1091 # runall_os_test.bash is checked on its own
. "$RUNALL_TOP/tests/root/runall_os_test.bash"
e2e_setup rs

g=rs-x86
e2e_guest "$g" x86_64 120 30 "" "resume = yes"
d=$E2E_DIR
state=$d/launch/.state-0/$g.qcow2
stamp=$d/launch/.state-0/$g.stamp
hosts=/etc/netns/$E2E_NS/hosts

cat >"$d/check" <<'EOF2'
#!/bin/sh
# What a script sees after a boot and after a resume.
echo "hostname=$(~/hostname)"
echo "addr=$(ip -4 -o addr show | awk '$2 != "lo" { print $4 }')"
# The guest's clock, in a file whose mtime the host's clock gives.
date +%s > clock
cat /netshare-ro/marker
cat /netshare-rw/common/marker
echo "own=$(cat own-marker)"
EOF2
chmod +x "$d/check"
cp "$d/check" "$d/share/common-ro/check"

# run NAME [ARGS...]: the check script on the guest, a fresh marker in each
# share first, so that what the script prints comes from the live shares.
run() {
	local name=$1
	shift
	echo "ro-$name" >"$d/share/common-ro/marker"
	echo "common-$name" >"$d/share/common-rw/marker"
	mkdir -p "$d/share/$g"
	echo "own-$name" >"$d/share/$g/own-marker"
	rm -f "$d/share/$g/clock"
	e2e_run "$@" -sn "$d/check" "$g" >"$d/$name.out" 2>"$d/$name.err"
}

# check NAME TAP_N: the script's view is the host's.
check() {
	local name=$1 n=$2 out=$d/$1.out
	grep -qx "hostname=$g" "$out" || fail "$name: ~/hostname: $(cat "$out")"
	grep -qx "addr=172.20.$n.2/24" "$out" || fail "$name: address: $(grep addr= "$out")"
	grep -qx "ro-$name" "$out" || fail "$name: read-only share"
	grep -qx "common-$name" "$out" || fail "$name: common share"
	grep -qx "own=own-$name" "$out" || fail "$name: own share"
	local guest host
	guest=$(cat "$d/share/$g/clock") || fail "$name: no clock file"
	host=$(stat -c %Y "$d/share/$g/clock")
	if [ $((guest - host)) -gt 1 ] || [ $((host - guest)) -gt 1 ]; then
		fail "$name: guest clock $guest, host $host"
	fi
	grep -q "^172\.20\.$n\.2[[:space:]]\+$g\([[:space:]]\|$\)" "$hosts" || fail "$name: hosts: $(cat "$hosts")"
}

qemu_pid() { e2e_qemu_pids | head -n1; }

stop() {
	e2e_run --stop "$g" >"$d/stop.out" 2>&1 || fail "--stop: $(cat "$d/stop.out")"
	[ -z "$(e2e_qemu_pids)" ] || fail "--stop left QEMU running"
}

# --- the first run boots, saves, and runs the script -------------------------
run boot || fail "boot run: exit $?"
grep -q "$g:: Booting on a new state $state, saved once the guest is up" "$d/boot.err" ||
	fail "boot: no new state"
grep -q "$g:: Saved the guest's state in $state" "$d/boot.err" || fail "boot: not saved"
grep -q "^saved yes$" "$stamp" || fail "boot: stamp: $(cat "$stamp")"
check boot 0
hostnames_after_boot=$(ls "$d/hostnames")
ok "the first run booted, saved the state ($(du -m "$state" | cut -f1) MiB) and ran the script"
stop
# The state's clock falls behind the host's meanwhile.
sleep 3

# --- a resume, on another tap ------------------------------------------------------
# tap0 is held by someone else: the resumed guest gets tap1.
ip netns exec "$E2E_NS" ip tuntap add dev tap0 mode tap || fail "tuntap add"
ip netns exec "$E2E_NS" "$E2E_BUILD/tests/tap_holder" tap0 >"$d/holder.log" 2>&1 &
E2E_PIDS+=($!)
for _ in $(seq 50); do grep -q attached "$d/holder.log" && break; sleep 0.1; done
start=$(date +%s.%N)
run resume || fail "resume run: exit $?"
took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
grep -q "$g:: Resuming from the saved state $state" "$d/resume.err" || fail "resume: not resumed"
grep -q "Booting on a new state" "$d/resume.err" && fail "resume: booted"
grep -q "Saved the guest's state" "$d/resume.err" && fail "resume: saved again"
check resume 1
# The hostname files: as a boot leaves them (start-tun-interface consumed
# the new QEMU's).
[ "$(ls "$d/hostnames")" = "$hostnames_after_boot" ] ||
	fail "resume: hostname files $(ls "$d/hostnames"), after the boot: $hostnames_after_boot"
ok "a run resumed the saved state in ${took}s: clock, tap1 address, hosts line, shares"
stop
kill "${E2E_PIDS[-1]}"
wait "${E2E_PIDS[-1]}" 2>/dev/null
ip netns exec "$E2E_NS" ip link del tap0

# --- two drivers resuming at once -------------------------------------------------
e2e_run -sn "$d/check" "$g" >"$d/two1.out" 2>"$d/two1.err" &
p1=$!
e2e_run -sn "$d/check" "$g" >"$d/two2.out" 2>"$d/two2.err" &
p2=$!
wait "$p1" || fail "two drivers: the first failed: $(cat "$d/two1.out")"
wait "$p2" || fail "two drivers: the second failed: $(cat "$d/two2.out")"
[ "$(cat "$d/two1.err" "$d/two2.err" | grep -c "QEMU started as pid")" = 1 ] ||
	fail "two drivers: not one launch"
[ "$(e2e_qemu_pids | wc -l)" = 1 ] || fail "two drivers: $(e2e_qemu_pids | wc -l) QEMUs"
grep -q "Resuming from the saved state" "$d/two1.err" "$d/two2.err" || fail "two: no resume"
ok "two drivers resuming the guest at once gave one QEMU"
stop

# --- stale states ---------------------------------------------------------------------
touch "$d/images/$g.img"
run touched || fail "touched image: exit $?"
grep -q "$g:: Saved state discarded: the disk image $d/images/$g.img changed since the save; booting$" \
	"$d/touched.err" || fail "touched image: no notice: $(grep -i state "$d/touched.err")"
grep -q "Resuming from" "$d/touched.err" && fail "touched image: resumed"
grep -q "$g:: Saved the guest's state" "$d/touched.err" || fail "touched image: not saved anew"
check touched 0
ok "a state older than its image was discarded and the guest booted"
stop

sed -i "s/^$g $g.img 120 30 256\$/$g $g.img 120 30 320/" "$E2E_GUESTS"
grep -q "^$g $g.img 120 30 320\$" "$E2E_GUESTS" || fail "could not change the record"
run options || fail "changed options: exit $?"
grep -q "$g:: Saved state discarded: the guest's QEMU command line changed (-m 256 became -m 320); booting$" \
	"$d/options.err" || fail "changed options: no notice: $(grep -i state "$d/options.err")"
check options 0
ok "a state saved with other QEMU options was discarded and the guest booted"
stop

# --- a corrupted state -------------------------------------------------------------------
printf 'not a qcow2 image' | dd of="$state" conv=notrunc status=none
run corrupt || fail "corrupted state: exit $?"
grep -q "$g:: Resuming from the saved state" "$d/corrupt.err" || fail "corrupt: not tried"
grep -q "$g:: Resuming from the saved state failed: booting instead" "$d/corrupt.err" ||
	fail "corrupt: no fallback"
grep -q "$g:: Saved state discarded: it did not resume" "$d/corrupt.err" || fail "corrupt: not discarded"
grep -q "$g:: Saved the guest's state" "$d/corrupt.err" || fail "corrupt: not saved anew"
check corrupt 0
ok "a corrupted state fell back to a boot, and the run passed"
stop

# --- --fresh ------------------------------------------------------------------------------
run fresh --fresh || fail "--fresh: exit $?"
grep -q "$g:: Saved state discarded: --fresh; booting$" "$d/fresh.err" || fail "--fresh: notice"
grep -q "$g:: Booting on a new state $state" "$d/fresh.err" || fail "--fresh: no new state"
grep -q "$g:: Saved the guest's state" "$d/fresh.err" || fail "--fresh: not saved"
check fresh 0
ok "--fresh booted and saved the state anew"
stop
run after || fail "after --fresh: exit $?"
grep -q "$g:: Resuming from the saved state" "$d/after.err" || fail "after --fresh: not resumed"
check after 0
stop
echo PASS
