#!/bin/bash
# runall-os-test with no root at any point: an ordinary user (carol, made
# by the stage, with no sudo rule, no tap, no group and no system-wide
# settings) runs the test guests on QEMU's user-mode network, from files of
# her own under ~/.config/runall and ~/.local/share/runall:
#   - a cold run (-j 2) boots two guests at once, each reached through its
#     own forwarded port of 127.0.0.1, and runs the script there as carol
#     (same name and uid, ~/hostname answering the guest's name, which it
#     got from QEMU's DHCP server); the port QEMU bound is the one recorded
#     beside the launch file; no tap, no hostname file, no sudo;
#   - a warm run reuses both (no launch);
#   - a second driver finds a running guest's port: from the record, or,
#     with the record gone, from QEMU's monitor (and records it again);
#   - two drivers started at once on a guest that is down boot it once,
#     and the one that did not launch it reaches it through the port the
#     other's runqemuos recorded;
#   - --stop powers both off and leaves no QEMU and no monitor socket.
# shellcheck disable=SC2034 # read by usernet_stage.bash
UN_TAG=main
# shellcheck disable=SC1091 # usernet_stage.bash is checked on its own
. "$RUNALL_TOP/tests/root/usernet_stage.bash"

un_guest ux1 x86_64
un_guest ux2 x86_64
launch=$UN_DATA/launch
cat >"$UN_HOME/contract" <<'EOF'
#!/bin/sh
# The guest-side contract of runall-os-test(1), as carol.
echo "cwd=$(pwd)"
echo "user=$(id -un):$(id -u)"
echo "hostname=$(~/hostname)"
hostname > "own-$(hostname)"
EOF
chmod 0755 "$UN_HOME/contract"
chown "$UN_UID:$UN_UID" "$UN_HOME/contract"

# The port record says what QEMU really listens on, for the pid of the
# launch file; that port in REC_PORT.
check_record() {  # check_record HOST WHEN
	local pid port listening
	pid=$(cat "$launch/$1") || fail "$2: no launch file for $1"
	read -r rpid port <"$launch/$1:port" || fail "$2: no port record for $1"
	[ "$rpid" = "$pid" ] || fail "$2: the record of $1 names pid $rpid, the launch file $pid"
	listening=$(un_forwarded "$1")
	[ -n "$listening" ] || fail "$2: $1's QEMU listens on no port"
	[ "$listening" = "$port" ] ||
		fail "$2: $1's QEMU listens on '$listening', the record says $port"
	REC_PORT=$port
}

# --- cold, two guests at once ---------------------------------------------
un_run cold -j 2 -sf "$UN_HOME/contract"
[ "$(un_rc cold)" = 0 ] || fail "cold run: exit $(un_rc cold)"
for g in ux1 ux2; do
	[ "$(un_result cold "$g")" = passed ] || fail "cold: $g is '$(un_result cold "$g")'"
	grep -q "$g:: QEMU started as pid" "$UN_DIR/cold.err" || fail "cold: $g not launched"
	grep -qx "\[$g\] cwd=/netshare-rw" "$UN_DIR/cold.out" || fail "cold: $g's cwd"
	grep -qx "\[$g\] user=carol:$UN_UID" "$UN_DIR/cold.out" || fail "cold: $g's user"
	grep -qx "\[$g\] hostname=$g" "$UN_DIR/cold.out" || fail "cold: $g's ~/hostname"
	[ "$(cat "$UN_DATA/netshare/$g/own-$g")" = "$g" ] || fail "cold: $g's own directory"
	grep -q "$g:: ssh goes to 127.0.0.1:[0-9]*, which QEMU" "$UN_STATE/logs/$g.log" ||
		fail "cold: $g's log does not say where ssh goes"
	# runqemuos ran in user mode, with no hostname directory.
	grep -q "$g:: CMD:: .*runqemuos .* -u $g - $launch " "$UN_DIR/cold.err" ||
		fail "cold: runqemuos was not run in user mode for $g"
done
check_record ux1 cold
port1=$REC_PORT
check_record ux2 cold
port2=$REC_PORT
[ "$port1" != "$port2" ] || fail "cold: both guests on port $port1"
grep -q "No system-wide settings (.*): using yours, $UN_CONFIG/runall.conf (absent: the defaults) and $UN_GUESTS" \
	"$UN_DIR/cold.err" || fail "cold: the driver did not say whose settings it used"
[ ! -e "$UN_DATA/hostnames" ] || fail "cold: a hostname directory was made"
[ "$(un_links | tr '\n' ' ')" = "lo " ] || fail "cold: links in the namespace: $(un_links)"
[ ! -s "$UN_SUDO_LOG" ] || fail "cold: sudo was called: $(cat "$UN_SUDO_LOG")"
ssh-keygen -F ux1 -f "$UN_HOME/.ssh/runall_known_hosts" >/dev/null ||
	fail "cold: ux1's key is not filed under its name"
[ "$(un_qemu_pids | wc -l)" = 2 ] || fail "cold: not two QEMUs"
pids_before=$(un_qemu_pids | sort | tr '\n' ' ')
ok "cold: two user-mode guests booted at once, on ports $port1 and $port2, as carol, no sudo, no tap"

# --- warm -----------------------------------------------------------------------
un_run warm -sn "$UN_HOME/contract"
[ "$(un_rc warm)" = 0 ] || fail "warm run: exit $(un_rc warm)"
grep -q "QEMU started" "$UN_DIR/warm.err" && fail "warm run launched a guest"
[ "$(grep -c ":: Test succeeded" "$UN_DIR/warm.err")" = 2 ] || fail "warm: connection tests"
grep -qx "hostname=ux2" "$UN_DIR/warm.out" || fail "warm: output"
grep -q "ux1:: CMD:: .*-o HostKeyAlias=ux1 .*-o HostName=127.0.0.1 -o Port=$port1 " \
	"$UN_DIR/warm.err" || fail "warm: ssh did not go to ux1's recorded port"
[ "$(un_qemu_pids | sort | tr '\n' ' ')" = "$pids_before" ] || fail "warm: QEMUs changed"
ok "warm: both guests reused through their recorded ports"

# --- a driver that finds no record asks QEMU's monitor -------------------------
rm -f "$launch/ux1:port"
un_run asked -sn "$UN_HOME/contract" ux1
[ "$(un_rc asked)" = 0 ] || fail "no record: exit $(un_rc asked)"
grep -q "ux1:: No port recorded for QEMU (pid [0-9]*); asking its monitor $launch/.monitor-$UN_UID/ux1.qmp" \
	"$UN_DIR/asked.err" || fail "no record: the monitor was not asked"
grep -q "QEMU started" "$UN_DIR/asked.err" && fail "no record: a guest was launched"
check_record ux1 "no record"
[ "$REC_PORT" = "$port1" ] || fail "no record: recorded $REC_PORT, not $port1"
ok "a driver finding no port record asked QEMU's monitor and recorded port $port1 again"

# --- two drivers at once, one guest down -------------------------------------------
un_run stop2 --stop ux2
[ "$(un_result stop2 ux2)" = stopped ] || fail "--stop ux2: $(un_result stop2 ux2)"
rm -f "$UN_DIR/go"
for n in 1 2; do
	(
		while [ ! -e "$UN_DIR/go" ]; do sleep 0.01; done
		un_run "two$n" -s "$UN_DATA/netshare/common-ro/contract" ux2
	) &
	UN_PIDS+=("$!")
done
sleep 0.3
touch "$UN_DIR/go"
wait
for n in 1 2; do
	[ "$(un_rc "two$n")" = 0 ] || fail "driver $n: exit $(un_rc "two$n")"
	grep -qx "hostname=ux2" "$UN_DIR/two$n.out" || fail "driver $n: no script output"
done
launches=$(cat "$UN_DIR/two1.err" "$UN_DIR/two2.err" | grep -c "QEMU started as pid")
[ "$launches" = 1 ] || fail "$launches launches of ux2, expected 1"
check_record ux2 "two drivers"
port2=$REC_PORT
[ "$(grep -c "ux2:: ssh goes to 127.0.0.1:$port2, which QEMU" "$UN_DIR/two1.err" "$UN_DIR/two2.err" |
	awk -F: '{ s += $2 } END { print s }')" -ge 2 ] ||
	fail "the driver that did not launch ux2 did not find its port $port2"
ok "two drivers at once booted ux2 once; the other found its port $port2"

# --- --stop -----------------------------------------------------------------------------
un_run stop --stop
[ "$(un_rc stop)" = 0 ] || fail "--stop: exit $(un_rc stop)"
for g in ux1 ux2; do
	[ "$(un_result stop "$g")" = stopped ] || fail "--stop: $g is '$(un_result stop "$g")'"
	[ ! -e "$launch/.monitor-$UN_UID/$g.qmp" ] || fail "--stop: $g's monitor socket is left"
done
grep -q "powered off" "$UN_DIR/stop.out" || fail "--stop: not powered off"
[ -z "$(un_qemu_pids)" ] || fail "--stop left QEMU running: $(un_qemu_pids)"
[ ! -s "$UN_SUDO_LOG" ] || fail "sudo was called: $(cat "$UN_SUDO_LOG")"
ok "--stop powered both user-mode guests off"
echo PASS
