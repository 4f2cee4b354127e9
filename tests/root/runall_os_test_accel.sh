#!/bin/bash
# accel = auto, for real, the same on any machine. /dev/kvm is a node of
# the test's own (in a private mount namespace: mode 0600, root's; it opens
# as /dev/null does), and the QEMU first in PATH is a wrapper
# (tests/tools/broken-kvm-qemu) that, given
# -accel kvm, fails the way this project's own machine does - its KVM opens
# but cannot set up a vCPU ("failed to set MSR 0x10a", abort), which QEMU's
# -accel kvm -accel tcg does not survive - and otherwise runs the real QEMU:
#   - the first run chooses KVM (root may open /dev/kvm), sees QEMU die
#     with KVM's error on the console, says so in one line, launches the
#     guest again under TCG, and the script passes; the failing QEMU
#     program is remembered (kvm-failures in the log directory);
#   - the next run goes to TCG at once, with one line saying why;
#   - a changed QEMU program (an upgrade) is tried with KVM again;
#   - a user who cannot open /dev/kvm (nobody) is told why the guest runs
#     under TCG and how to fix it, and QEMU gets no KVM.
# shellcheck disable=SC1091 # runall_os_test.bash is checked on its own
. "$RUNALL_TOP/tests/root/runall_os_test.bash"
command -v setpriv >/dev/null || fail "setpriv is not installed"
e2e_setup accel
d=$E2E_DIR
sed -i 's/^accel = tcg$/accel = auto/' "$E2E_CONF"
e2e_guest ac-x86 x86_64
e2e_stage_tools
real_qemu=$(command -v qemu-system-x86_64) || fail "qemu-system-x86_64 is not installed"
wrapper=$d/wrap/qemu-system-x86_64
memory=$E2E_LOGS/kvm-failures

# The wrapper (tests/tools/broken-kvm-qemu); its calls are written down,
# one line of arguments each, in wrap.log.
mkdir -p "$d/wrap"
install -m 0755 "$E2E_BUILD/tests/broken-kvm-qemu" "$wrapper" || fail "staging the wrapper"
echo "$real_qemu" >"$wrapper.real"
: >"$d/wrap.log"
ln -s "$d/wrap.log" "$wrapper.log"
chmod 0755 "$d/wrap"
chmod 0666 "$d/wrap.log"
chmod 0644 "$wrapper.real"

# The private /dev/kvm: bound over the host's, or, on a host without one,
# in a /dev of the namespace's own (RUNALL_TEST_NEW_DEV=1 takes that way
# on any host).
cat >"$d/kvm-ns" <<'KVMNS'
set -u
mkdir -p "$D/kvmdev"
mount -t tmpfs -o mode=0755 runall-kvm "$D/kvmdev" || exit 90
mknod -m 0600 "$D/kvmdev/kvm" c 1 3 || exit 91
if [ -e /dev/kvm ] && [ "${RUNALL_TEST_NEW_DEV:-0}" != 1 ]; then
	mount --bind "$D/kvmdev/kvm" /dev/kvm || exit 92
else
	mkdir -p "$D/newdev"
	mount -t tmpfs -o mode=0755 runall-dev "$D/newdev" || exit 93
	shopt -s dotglob nullglob
	for e in /dev/*; do
		n=${e#/dev/}
		[ "$n" = kvm ] && continue
		if [ -d "$e" ] && [ ! -L "$e" ]; then
			mkdir "$D/newdev/$n" && mount --rbind "$e" "$D/newdev/$n"
		else
			cp -a "$e" "$D/newdev/$n"
		fi || exit 94
	done
	cp -a "$D/kvmdev/kvm" "$D/newdev/kvm" || exit 95
	mount --move "$D/newdev" /dev || exit 96
fi
exec "$@"
KVMNS
# acc_run ARGS...: ARGS in the test's network namespace and a mount
# namespace of its own with the private /dev/kvm, the wrapper first in PATH.
acc_run() {
	D=$d PATH="$d/wrap:$PATH" ip netns exec "$E2E_NS" \
		unshare -m --propagation private bash "$d/kvm-ns" "$@"
}
# root_run ARGS...: runall-os-test as root there.
root_run() {
	acc_run "$E2E_BUILD/runall-os-test" -C "$E2E_CONF" -i "$E2E_KEY" --log-dir "$E2E_LOGS" "$@"
}
# shellcheck disable=SC2016 # expanded on the guest
printf '#!/bin/sh\necho "ran on $(hostname)"\n' >"$d/script"
chmod 0755 "$d/script"

# --- first run: KVM chosen, fails, the guest boots under TCG -------------------------
root_run -s "$d/script" >"$d/r1.out" 2>"$d/r1.err"
rc=$?
[ "$rc" = 0 ] || fail "first run: exit $rc"
[ "$(e2e_result "$d/r1.out" ac-x86)" = passed ] || fail "first run: not passed"
grep -qx "ran on ac-x86" "$d/r1.out" || fail "first run: the script's output"
[ "$(wc -l <"$d/wrap.log")" = 2 ] || fail "first run: QEMU calls: $(cat "$d/wrap.log")"
head -1 "$d/wrap.log" | grep -q -- "-accel kvm -accel tcg" || fail "first launch without KVM"
sed -n 2p "$d/wrap.log" | grep -q -- "-accel tcg" || fail "second launch not under TCG"
sed -n 2p "$d/wrap.log" | grep -q -- "-accel kvm" && fail "second launch under KVM"
grep -q "ac-x86:: Accelerator: kvm$" "$d/r1.err" || fail "first launch: no 'Accelerator: kvm'"
grep -qF "ac-x86:: KVM cannot run this guest here (qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69): launching it again under TCG; later runs use TCG with $wrapper at once (remembered in $memory)" "$d/r1.err" ||
	fail "first run: the fallback line: $(grep ac-x86:: "$d/r1.err")"
# (The wrapper may die before runqemuos sees it started: a launch is a
# runqemuos run.)
[ "$(grep -c "ac-x86:: CMD:: .*/runqemuos " "$d/r1.err")" = 2 ] || fail "first run: not two launches"
grep -q "^kvm-failed	.*	$wrapper	qemu-system-x86_64: error: failed to set MSR" "$memory" ||
	fail "not remembered: $(cat "$memory" 2>&1)"
[ "$(grep -c '^--- QEMU for ac-x86, pid' "$E2E_LOGS/ac-x86.console")" = 2 ] ||
	fail "console log: not two launches"
grep -Eq '^\[ +0\.[0-9]{3}\] qemu-system-x86_64: error: failed to set MSR 0x10a' "$E2E_LOGS/ac-x86.console" ||
	fail "console log: KVM's error not stamped in it"
ok "KVM failed at the first launch; launched again under TCG, passed, remembered"
root_run --stop >"$d/s1.out" 2>&1 || fail "--stop: $(cat "$d/s1.out")"

# --- second run: TCG at once ---------------------------------------------------------------
: >"$d/wrap.log"
root_run -s "$d/script" >"$d/r2.out" 2>"$d/r2.err" || fail "second run: exit $?"
[ "$(wc -l <"$d/wrap.log")" = 1 ] || fail "second run: QEMU calls: $(cat "$d/wrap.log")"
grep -q -- "-accel kvm" "$d/wrap.log" && fail "second run tried KVM"
grep -q -- "-accel tcg" "$d/wrap.log" || fail "second run: not TCG"
grep -Eq "ac-x86:: runs under TCG, not KVM: KVM failed with $wrapper on [0-9-]+ [0-9:]+ \(qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69\); remembered in $memory until that program changes \(remove the file to try KVM again\)$" "$d/r2.err" ||
	fail "second run: the notice: $(grep ac-x86:: "$d/r2.err")"
[ "$(grep -c "ac-x86:: .*TCG" "$d/r2.err")" = 1 ] || fail "second run: more than one line about it"
ok "the next run went to TCG at once, saying why in one line"
root_run --stop >"$d/s2.out" 2>&1 || fail "--stop: $(cat "$d/s2.out")"

# --- an upgraded QEMU is tried with KVM again ------------------------------------------------
cp "$wrapper" "$d/new" && echo >>"$d/new" && mv "$d/new" "$wrapper"
: >"$d/wrap.log"
root_run -s "$d/script" >"$d/r3.out" 2>"$d/r3.err" || fail "third run: exit $?"
head -1 "$d/wrap.log" | grep -q -- "-accel kvm" || fail "the changed QEMU was not tried with KVM"
grep -q "KVM cannot run this guest here" "$d/r3.err" || fail "third run: no fallback"
[ "$(grep -c "^kvm-failed" "$memory")" = 1 ] || fail "memory: $(cat "$memory")"
ok "a changed QEMU program was tried with KVM again"
root_run --stop >"$d/s3.out" 2>&1 || fail "--stop: $(cat "$d/s3.out")"

# --- a user who may not open /dev/kvm ----------------------------------------------------------
nb=$d/nobody
mkdir -p "$nb/hostnames" "$nb/launch" "$nb/images" "$nb/logs" "$nb/ssh" "$nb/ro" "$nb/rw"
truncate -s 1M "$nb/images/nb-x86.img"
chown -R 65534:65534 "$nb"
sed -e "s|^hostname_dir = .*|hostname_dir = $nb/hostnames|" \
	-e "s|^launch_dir = .*|launch_dir = $nb/launch|" \
	-e "s|^image_dir = .*|image_dir = $nb/images|" \
	-e "s|^guests_file = .*|guests_file = $nb/guests|" \
	-e "s|^known_hosts = .*|known_hosts = $nb/ssh/known_hosts|" \
	-e "s|^common_ro_host = .*|common_ro_host = $nb/ro|" \
	-e "s|^common_rw_host = .*|common_rw_host = $nb/rw|" \
	-e "s|^rw_host_base = .*|rw_host_base = $nb/rw|" "$E2E_CONF" >"$nb/runall.conf"
# No network card, no shares: nobody needs no tap; it boots, and is stopped.
{
	echo "nb-x86 nb-x86.img 4 20 256"
	echo "nic = none"
	echo "display = none"
	sed -n '/^-nodefaults/,/^-append/p' "$E2E_GUESTS" | sed 's/runall.user=root:0:0/runall.noup=1/'
} >"$nb/guests"
chmod 0644 "$nb/runall.conf" "$nb/guests"
# as_nobody ARGS...: runall-os-test as nobody, in the private /dev/kvm.
as_nobody() {
	acc_run setpriv --reuid=65534 --regid=65534 --clear-groups -- \
		env -i PATH="$d/wrap:/usr/sbin:/usr/bin:/sbin:/bin" HOME="$nb" USER=nobody \
		"$E2E_BIN/runall-os-test" -C "$nb/runall.conf" --log-dir "$nb/logs" "$@"
}
: >"$d/wrap.log"
as_nobody >"$d/nb.out" 2>"$d/nb.err"
grep -q "nb-x86:: runs under TCG (software emulation, several times slower), not KVM: /dev/kvm is not accessible to nobody (add nobody to the group that owns it, usually kvm: sudo usermod -a -G kvm nobody, then log in again; or set accel = tcg)$" "$d/nb.err" ||
	fail "nobody was not told why: $(cat "$d/nb.err")"
grep -q "QEMU started as pid" "$d/nb.err" || fail "nobody's guest was not launched: $(cat "$d/nb.err")"
[ "$(wc -l <"$d/wrap.log")" = 1 ] || fail "nobody: QEMU calls: $(cat "$d/wrap.log")"
grep -q -- "-accel kvm" "$d/wrap.log" && fail "nobody's QEMU was given KVM"
grep -q -- "-accel tcg" "$d/wrap.log" || fail "nobody's QEMU was not given TCG"
# Stopped by its power button once it is up (a press before the guest's
# ACPI driver is loaded goes unheard, as on a real machine).
for _ in $(seq 120); do
	grep -q "up as runall-guest" "$nb/logs/nb-x86.console" && break
	sleep 0.5
done
as_nobody --stop >"$d/nbs.out" 2>&1 || fail "nobody's --stop: $(cat "$d/nbs.out")"
grep -q "powered off by the power button" "$d/nbs.out" || fail "nobody's --stop: $(cat "$d/nbs.out")"
ok "nobody, who may not open /dev/kvm, was told why and how to fix it"
[ -z "$(e2e_qemu_pids)" ] || fail "QEMU left running: $(e2e_qemu_pids)"
echo PASS
