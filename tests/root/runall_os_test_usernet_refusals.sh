#!/bin/bash
# What an ordinary user without any setup is told, and what is left when a
# user-mode guest cannot be started (the stage of usernet_stage.bash: carol,
# no sudo rule, no tap, an empty SYSCONFDIR):
#   - with no guest config anywhere, where runall-os-test looked (exit 100);
#   - system-wide files, once they exist, win over hers;
#   - a record bringing its own -netdev in user mode (exit 100, nothing
#     made);
#   - a QEMU built without user-mode networking (the guest "boot failed",
#     exit 1, no launch file, no QEMU);
#   - a fixed ssh_port another program holds (the same, and that program
#     is never connected to), or takes as QEMU starts (QEMU exits at once,
#     and what it said is shown);
#   - a guest's old port, recorded beside a stale launch file, now held by
#     another program: the guest boots on another port, and the other
#     program is never connected to.
# shellcheck disable=SC2034 # read by usernet_stage.bash
UN_TAG=refuse
# shellcheck disable=SC1091 # usernet_stage.bash is checked on its own
. "$RUNALL_TOP/tests/root/usernet_stage.bash"
launch=$UN_DATA/launch

# The run NAME (un_run) ended with the guest "mine" not booted: exit 1,
# "boot failed" in the summary.
boot_failed() {  # boot_failed NAME WHAT
	[ "$(un_rc "$1")" = 1 ] || fail "$2: exit $(un_rc "$1"), expected 1"
	[ "$(un_result "$1" mine)" = "boot failed" ] || fail "$2: $(cat "$UN_DIR/$1.out")"
}

# Nothing of the guest's may be left: no launch file, port record,
# monitor socket or QEMU.
nothing_left() {  # nothing_left HOST WHEN
	local f
	for f in "$launch/$1" "$launch/$1:port" "$launch/.monitor-$UN_UID/$1.qmp"; do
		[ ! -e "$f" ] || fail "$2: $f is left"
	done
	[ -z "$(un_qemu_pids)" ] || fail "$2: QEMU left: $(un_qemu_pids)"
	[ ! -s "$UN_SUDO_LOG" ] || fail "$2: sudo was called: $(cat "$UN_SUDO_LOG")"
}

# --- no guest config anywhere ----------------------------------------------------
rm -f "$UN_GUESTS"
un_run none
[ "$(un_rc none)" = 100 ] || fail "no config: exit $(un_rc none), expected 100"
grep -qx "runall-os-test: no guest config: neither the system-wide $UN_SYSCONF/runall-guests nor yours, $UN_GUESTS, exists (see runall-guests(5); -c names another)" \
	"$UN_DIR/none.err" || fail "no config: $(cat "$UN_DIR/none.err")"
[ ! -e "$UN_STATE" ] || fail "no config: $UN_STATE was made"
[ ! -e "$launch" ] || fail "no config: $launch was made"
ok "no guest config: it says where it looked"

# --- system-wide files win -----------------------------------------------------------
cat >"$UN_DIR/stage/sysconf/runall-guests" <<EOF
sysguest $UN_DIR/stage/sys.img
EOF
: >"$UN_DIR/stage/sys.img"
: >"$UN_GUESTS"
chown "$UN_UID:$UN_UID" "$UN_GUESTS"
un_guest mine x86_64
un_run sys --stop
[ "$(un_rc sys)" = 0 ] || fail "system-wide: exit $(un_rc sys)"
[ "$(un_result sys sysguest)" = stopped ] || fail "system-wide: $(cat "$UN_DIR/sys.out")"
grep -q "^mine " "$UN_DIR/sys.out" && fail "system-wide: her own guest config was read"
grep -q "No system-wide settings" "$UN_DIR/sys.err" && fail "system-wide: said there were none"
rm -f "$UN_DIR/stage/sysconf/runall-guests"
ok "system-wide files win over hers"

# --- a record with its own network -------------------------------------------------------
cp "$UN_GUESTS" "$UN_DIR/guests.good"
cat >>"$UN_GUESTS" <<'EOF'

own own.img
-netdev user,id=n0 -device virtio-net-pci,netdev=n0
EOF
un_run own -s "$UN_DIR/nothing" own
[ "$(un_rc own)" = 100 ] || fail "own -netdev: exit $(un_rc own), expected 100"
grep -q "runall-os-test: $UN_GUESTS:[0-9]*: record for own: network = user (the default of the settings), but its option lines bring their own network (-net, -netdev or -nic): runall adds the card and forwards ssh to it itself; remove them, or set network = tap" \
	"$UN_DIR/own.err" || fail "own -netdev: $(cat "$UN_DIR/own.err")"
[ ! -e "$launch" ] || fail "own -netdev: $launch was made"
[ ! -e "$UN_STATE/logs/own.log" ] || fail "own -netdev: a log was made"
nothing_left own "own -netdev"
cp "$UN_DIR/guests.good" "$UN_GUESTS"
cat >>"$UN_GUESTS" <<'EOF'

own own.img
-qmp unix:/tmp/own-monitor,server=on,wait=off
EOF
un_run ownqmp -s "$UN_DIR/nothing" own
[ "$(un_rc ownqmp)" = 100 ] || fail "own -qmp: exit $(un_rc ownqmp), expected 100"
grep -q "record for own: network = user (the default of the settings), but its option lines bring their own QMP monitor" \
	"$UN_DIR/ownqmp.err" || fail "own -qmp: $(cat "$UN_DIR/ownqmp.err")"
nothing_left own "own -qmp"
cp "$UN_DIR/guests.good" "$UN_GUESTS"
ok "a record with its own -netdev is refused in user mode, nothing made"

# --- a QEMU without user-mode networking ---------------------------------------------------
cat >"$UN_DIR/qemu-nouser" <<'EOF'
#!/bin/sh
# A QEMU built without libslirp, as far as anyone asking can tell.
if [ "$*" = "-netdev help" ]; then
	printf 'Available netdev backend types:\nsocket\nstream\ndgram\nhubport\ntap\nvhost-user\n'
	exit 0
fi
for a; do
	case $a in
		user,*) echo "qemu-nouser: -netdev $a: network backend 'user' is not compiled into this binary" >&2
			exit 1 ;;
	esac
done
exec qemu-system-x86_64 "$@"
EOF
chmod 0755 "$UN_DIR/qemu-nouser"
sed -i "s|^arch = x86_64\$|arch = x86_64\nqemu = $UN_DIR/qemu-nouser|" "$UN_GUESTS"
un_run noslirp mine
boot_failed noslirp "no user net"
grep -q "runqemuos failed (exit 100): runqemuos: $UN_DIR/qemu-nouser was built without user-mode networking (its \"-netdev help\" lists no \"user\"): use network = tap, or a QEMU built with libslirp" \
	"$UN_DIR/noslirp.out" || fail "no user net: $(cat "$UN_DIR/noslirp.out")"
nothing_left mine "no user net"
cp "$UN_DIR/guests.good" "$UN_GUESTS"
ok "a QEMU without user-mode networking: boot failed, said why, nothing left"

# --- a QEMU that exits at once -----------------------------------------------------------------------
# As QEMU does when another program binds a fixed port in the moment
# between runqemuos's look and QEMU's bind.
cat >"$UN_DIR/qemu-exits" <<'EOF'
#!/bin/sh
if [ "$*" = "-netdev help" ]; then
	printf 'Available netdev backend types:\ntap\nuser\n'
	exit 0
fi
echo "qemu-exits: -netdev user,id=runall0: Could not set up host forwarding rule 'tcp:127.0.0.1:2222-:22'" >&2
exit 1
EOF
chmod 0755 "$UN_DIR/qemu-exits"
sed -i "s|^arch = x86_64\$|arch = x86_64\nqemu = $UN_DIR/qemu-exits\nssh_port = 2222|" "$UN_GUESTS"
un_run exits mine
boot_failed exits "QEMU exiting"
grep -q "runqemuos: -p 2222: 127.0.0.1:2222 was taken by another program as QEMU started (QEMU is not running: its process (pid [0-9]*) exited at once with status 1; see $UN_STATE/logs/mine.console; QEMU said: qemu-exits: -netdev user,id=runall0: Could not set up host forwarding rule 'tcp:127.0.0.1:2222-:22')" \
	"$UN_DIR/exits.err" || fail "QEMU exiting: $(cat "$UN_DIR/exits.err")"
nothing_left mine "QEMU exiting"
cp "$UN_DIR/guests.good" "$UN_GUESTS"
ok "a QEMU that exits at once: its last words shown, nothing left"

# --- a fixed port another program holds ----------------------------------------------------------
un_bg "$UN_TOOLS/port-holder" 0 "$UN_HOME/held.port" "$UN_HOME/held.accepted"
for _ in $(seq 100); do [ -s "$UN_HOME/held.port" ] && break; sleep 0.05; done
held=$(cat "$UN_HOME/held.port") || fail "port-holder did not start"
sed -i "s|^arch = x86_64\$|arch = x86_64\nssh_port = $held|" "$UN_GUESTS"
un_run clash mine
boot_failed clash "port clash"
grep -q "runqemuos failed (exit 1): runqemuos: -p $held: 127.0.0.1:$held is in use by another program; choose another ssh_port, or leave it out for a free one" \
	"$UN_DIR/clash.out" || fail "port clash: $(cat "$UN_DIR/clash.out")"
nothing_left mine "port clash"
[ "$(cat "$UN_HOME/held.accepted")" = 0 ] || fail "port clash: the other program was connected to"
kill "$UN_BG_PID"
cp "$UN_DIR/guests.good" "$UN_GUESTS"
ok "a fixed ssh_port held by another program: boot failed, said why, nothing left"

# --- an old port, now another program's ------------------------------------------------------------
un_run first mine
[ "$(un_rc first)" = 0 ] || fail "first boot: exit $(un_rc first)"
read -r _ old <"$launch/mine:port" || fail "first boot: no port record"
un_run down --stop mine
[ -z "$(un_qemu_pids)" ] || fail "--stop left QEMU"
[ -e "$launch/mine:port" ] || fail "the record went with QEMU (the test needs it stale)"
rm -f "$UN_HOME/held.port"
un_bg "$UN_TOOLS/port-holder" "$old" "$UN_HOME/held.port" "$UN_HOME/held.accepted"
for _ in $(seq 100); do [ -s "$UN_HOME/held.port" ] && break; sleep 0.05; done
[ "$(cat "$UN_HOME/held.port")" = "$old" ] || fail "port-holder could not take port $old"
cat >"$UN_HOME/who" <<'EOF'
#!/bin/sh
~/hostname
EOF
chmod 0755 "$UN_HOME/who"
chown "$UN_UID:$UN_UID" "$UN_HOME/who"
un_run again -sf "$UN_HOME/who" mine
[ "$(un_rc again)" = 0 ] || fail "second boot: exit $(un_rc again)"
grep -qx mine "$UN_DIR/again.out" || fail "second boot: the script did not run on mine"
read -r _ new <"$launch/mine:port" || fail "second boot: no port record"
[ "$new" != "$old" ] || fail "second boot: port $old again, though another program holds it"
[ "$(cat "$UN_HOME/held.accepted")" = 0 ] ||
	fail "the program on the guest's old port $old was connected to"
ok "the guest's old port $old, now another program's, was never knocked on; it got $new"
echo PASS
