#!/bin/bash
# resume = yes on QEMU's user-mode network, as an unprivileged user (carol,
# as tests/root/usernet_stage.bash arranges it): the first run boots the
# x86_64 test guest and saves it; after --stop and a pause a run resumes it,
# and the port record names the new QEMU and the port it really forwards,
# as after a boot; the script finds the host's time (within a second),
# ~/hostname, its address (10.0.2.15, as ever in user mode) and the shares.
# shellcheck disable=SC2034 # read by usernet_stage.bash
UN_TAG=resume
# shellcheck disable=SC1091 # usernet_stage.bash is checked on its own
. "$RUNALL_TOP/tests/root/usernet_stage.bash"

g=urs
un_guest "$g" x86_64 "resume = yes"
launch=$UN_DATA/launch
state=$launch/.state-$UN_UID/$g.qcow2
own=$UN_DATA/netshare/$g
cat >"$UN_HOME/check" <<'EOF2'
#!/bin/sh
echo "hostname=$(~/hostname)"
echo "addr=$(ip -4 -o addr show | awk '$2 != "lo" { print $4 }')"
date +%s >clock
cat own-marker
EOF2
chmod 0755 "$UN_HOME/check"
chown "$UN_UID:$UN_UID" "$UN_HOME/check"

# check_record WHEN: the port record names the live QEMU and the port it
# listens on.
check_record() {
	local pid rpid port listening
	pid=$(cat "$launch/$g") || fail "$1: no launch file"
	read -r rpid port <"$launch/$g:port" || fail "$1: no port record"
	[ "$rpid" = "$pid" ] || fail "$1: the record names pid $rpid, the launch file $pid"
	listening=$(un_forwarded "$g")
	[ "$listening" = "$port" ] || fail "$1: QEMU listens on '$listening', the record says $port"
}

run() {
	local name=$1
	shift
	mkdir -p "$own"
	echo "own-$name" >"$own/own-marker"
	chown -R "$UN_UID:$UN_UID" "$own"
	rm -f "$own/clock"
	un_run "$name" "$@" -sf "$UN_HOME/check" "$g"
	[ "$(un_rc "$name")" = 0 ] || fail "$name run: exit $(un_rc "$name")"
	local o=$UN_DIR/$name.out guest h
	grep -qx "hostname=$g" "$o" || fail "$name: ~/hostname"
	grep -qx "addr=10.0.2.15/24" "$o" || fail "$name: address: $(grep addr= "$o")"
	grep -qx "own-$name" "$o" || fail "$name: own share"
	guest=$(cat "$own/clock") || fail "$name: no clock file"
	h=$(stat -c %Y "$own/clock")
	if [ $((guest - h)) -gt 1 ] || [ $((h - guest)) -gt 1 ]; then
		fail "$name: guest clock $guest, host $h"
	fi
	check_record "$name"
}

run boot
grep -q "$g:: Saved the guest's state in $state" "$UN_DIR/boot.err" || fail "boot: not saved"
ok "user mode: the first run booted and saved the state"
un_run stop1 --stop "$g"
[ "$(un_rc stop1)" = 0 ] || fail "--stop: exit $(un_rc stop1)"
sleep 3
run resume
grep -q "$g:: Resuming from the saved state $state" "$UN_DIR/resume.err" || fail "resume: not resumed"
grep -q "Booting on a new state" "$UN_DIR/resume.err" && fail "resume: booted"
ok "user mode: a run resumed the state: port record, clock, address, share"
un_run stop2 --stop "$g"
[ "$(un_rc stop2)" = 0 ] || fail "--stop: exit $(un_rc stop2)"
[ -z "$(un_qemu_pids)" ] || fail "QEMU left running"
echo PASS
