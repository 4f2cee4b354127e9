#!/bin/bash
# test-timeout: 900
# resume = yes on a real Debian 12 guest with systemd, ifupdown and
# isc-dhcp-client (tests/guest/build-guest debian12-systemd), driven as an
# ordinary user (tester) as in tests/root/real_guest.bash, sharing one
# boot among the assertions:
#   - the first run boots the guest on a new state, saves it once it is up
#     (the kit's runall-resume-watch unmounting the 9p shares for the save
#     and mounting them again after it), and the script finds the shares;
#   - after --stop and a pause, a run resumes the state instead of booting:
#     the script finds the host's time (within a second; the state is
#     seconds old), the guest's address and hosts line, ~/hostname, and the
#     three shares live;
#   - two runs with resume = throwaway from the same state: the second finds
#     nothing the first wrote to the guest's disk; nothing is left running.
# shellcheck disable=SC1091 # real_guest.bash is checked on its own
. "$RUNALL_TOP/tests/root/real_guest.bash"
# (tests/root/real_guest_resume_sysv.sh runs it on debian12-sysv.)
name=${RG_RESUME_GUEST:-debian12-systemd} host=rg-resume
e2e_setup rg-resume
d=$E2E_DIR
env_out=$("$E2E_TOP/tests/guest/build-guest" "$name") || fail "build-guest $name"
GUEST_DISK='' GUEST_MACHINE_ARGS='' GUEST_MEM='' GUEST_KEY=''
eval "$(printf '%s\n' "$env_out" | grep -E '^GUEST_(DISK|MACHINE_ARGS|MEM|KEY)=')"
ln -f "$GUEST_DISK" "$d/images/$name.qcow2" 2>/dev/null ||
	cp "$GUEST_DISK" "$d/images/$name.qcow2" || fail "staging the image"
qemu-img create -q -f qcow2 -b "$d/images/$name.qcow2" -F qcow2 "$d/images/$host.qcow2" ||
	fail "qemu-img create"
install -m 0600 "$GUEST_KEY" "$d/ssh/guest_key"
sed -i -e "s/^start_timeout = .*/start_timeout = $RG_START/" \
	-e "s/^stop_timeout = .*/stop_timeout = $RG_STOP/" "$E2E_CONF"
{
	printf '\n# %s (tests/guest/build-guest %s), from an overlay of its image\n' "$name" "$name"
	printf '%s %s.qcow2 %s %s %s\n' "$host" "$host" "$RG_START" "$RG_STOP" "$GUEST_MEM"
	printf 'share = 9p\ndisplay = none\nresume = yes\n'
	printf '%s\n' "-nodefaults -no-user-config -no-reboot -smp 1" "$GUEST_MACHINE_ARGS"
} >>"$E2E_GUESTS"
e2e_stage_tools
rg_stage
mkdir -p "$d/share/$host/common"
chown -R "$RG_UID:$RG_UID" "$d/hostnames" "$d/launch" "$d/images" "$d/logs" \
	"$d/share" "$d/ssh" "$d/home"
state=$d/launch/.state-$RG_UID/$host.qcow2

cat >"$d/check" <<'EOF2'
#!/bin/sh
# What a script sees after a boot and after a resume.
echo "hostname=$(~/hostname)"
echo "addr=$(ip -4 -o addr show dev eth0 | awk '{ print $4 }')"
echo "shares=$(awk '$3 == "9p" { print $2 }' /proc/mounts | sort | tr '\n' ' ')"
# The guest's clock, in a file whose mtime the host's clock gives.
date +%s >clock
cat /netshare-ro/marker /netshare-rw/common/marker own-marker
EOF2
chmod 0755 "$d/check"
chown "$RG_UID:$RG_UID" "$d/check"
cp -p "$d/check" "$d/share/common-ro/check"

run() {
	local name=$1
	shift
	echo "ro-$name" >"$d/share/common-ro/marker"
	echo "common-$name" >"$d/share/common-rw/marker"
	echo "own-$name" >"$d/share/$host/own-marker"
	rm -f "$d/share/$host/clock"
	local t0
	t0=$(rg_now)
	rg_driver "$@" -sn "$d/check" >"$d/$name.out" 2>"$d/$name.err" || fail "$name run: exit $?"
	echo "$name run: $(rg_since "$t0")s"
}

check() {
	local name=$1 out=$d/$1.out guest h
	grep -qx "hostname=$host" "$out" || fail "$name: ~/hostname: $(cat "$out")"
	grep -qx "addr=172.20.0.2/24" "$out" || fail "$name: address: $(grep addr= "$out")"
	grep -qx "shares=/netshare-ro /netshare-rw /netshare-rw/common " "$out" ||
		fail "$name: shares: $(grep shares= "$out")"
	grep -qx "ro-$name" "$out" || fail "$name: read-only share"
	grep -qx "common-$name" "$out" || fail "$name: common share"
	grep -qx "own-$name" "$out" || fail "$name: own share"
	guest=$(cat "$d/share/$host/clock") || fail "$name: no clock file"
	h=$(stat -c %Y "$d/share/$host/clock")
	if [ $((guest - h)) -gt 1 ] || [ $((h - guest)) -gt 1 ]; then
		fail "$name: guest clock $guest, host $h"
	fi
	awk '/^##STARTDYNAMIC/ { s = 1; next } /^##ENDDYNAMIC/ { s = 0 } s' "$E2E_NETNS_DIR/hosts" |
		grep -Eq "^172\.20\.0\.2[[:space:]]+$host([[:space:]]|$)" ||
		fail "$name: not in the dynamic section: $(cat "$E2E_NETNS_DIR/hosts")"
}

stop() {
	rg_driver --stop >"$d/stop.out" 2>&1 || fail "--stop: $(cat "$d/stop.out")"
	for _ in $(seq 100); do [ -z "$(e2e_qemu_pids)" ] && break; sleep 0.1; done
	[ -z "$(e2e_qemu_pids)" ] || fail "--stop left QEMU running"
}

tester_run sudo -n "$RG_SBIN/start-tun-interface" -c -n 1 >"$d/tap.out" 2>&1 ||
	fail "sudo start-tun-interface -c -n 1: $(cat "$d/tap.out")"

run boot
grep -q "$host:: Booting on a new state $state" "$d/boot.err" || fail "boot: no new state"
grep -q "$host:: Saved the guest's state in $state" "$d/boot.err" ||
	fail "boot: not saved: $(grep -i 'state\|ERROR' "$d/boot.err")"
check boot
ok "the first run booted, $(grep -o "Saved the guest's state.*" "$d/boot.err"), and the script found the shares"
stop
sleep 3

run resume
grep -q "$host:: Resuming from the saved state $state" "$d/resume.err" || fail "resume: not resumed"
grep -q "Booting on a new state" "$d/resume.err" && fail "resume: booted"
check resume
ok "a run resumed the real guest: clock, address, hosts line, shares, ~/hostname"
stop

# --- throw-away runs from the same state ------------------------------------------------
# What one run writes to the guest's disk is gone in the next; the state
# is unchanged and no guest or copy is left.
cat >"$d/share/common-ro/tw" <<'EOF2'
#!/bin/sh
echo "before=$(cat ~/left-behind 2>/dev/null)"
date >~/left-behind && sync && echo "after=$(cat ~/left-behind)"
EOF2
chmod 0755 "$d/share/common-ro/tw"
sed -i 's/^resume = yes$/resume = throwaway/' "$E2E_GUESTS"
sum=$(sha256sum <"$state")
for n in tw1 tw2; do
	t0=$(rg_now)
	rg_driver -sn "$d/share/common-ro/tw" >"$d/$n.out" 2>"$d/$n.err" || fail "$n run: exit $?: $(cat "$d/$n.out")"
	echo "$n run: $(rg_since "$t0")s"
	grep -q "$host:: Resuming from a copy of the saved state $state" "$d/$n.err" || fail "$n: no copy"
	grep -qx "before=" "$d/$n.out" || fail "$n: an earlier run's file: $(cat "$d/$n.out")"
	grep -q "^after=." "$d/$n.out" || fail "$n: nothing written: $(cat "$d/$n.out")"
	[ -z "$(e2e_qemu_pids)" ] || fail "$n: QEMU left running"
	[ -z "$(find "$d/launch/.state-$RG_UID" -name "$host.run-*" ! -name "$host.run-lock")" ] ||
		fail "$n: a copy left"
done
[ "$(sha256sum <"$state")" = "$sum" ] || fail "throw-away runs changed the saved state"
ok "two throw-away runs of the real guest: the second found nothing of the first; the state unchanged"
tester_run sudo -n "$RG_SBIN/start-tun-interface" -k tap0 >/dev/null 2>&1
echo PASS
