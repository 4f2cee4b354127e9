#!/bin/bash
# One ssh connection per guest per run of runall-os-test (OpenSSH's
# ControlMaster), seen from the guests' side - their dropbear logs each
# authentication ("Pubkey auth succeeded") - on two test guests at once
# (-j 2), one on a tap and one on QEMU's user-mode network:
#   - a warm run with a script authenticates once per guest: the
#     connection test and the script share one connection; each guest's
#     control socket is its own, in a 0700 directory of the run under
#     $XDG_RUNTIME_DIR, and after the run no ssh process is left and that
#     directory is gone;
#   - with ssh_multiplex = no, every ssh authenticates again (two per warm
#     run), as before;
#   - a ^C (SIGINT to the driver's process group) during the script leaves
#     no ssh master behind and no control directory;
#   - a master that breaks mid-run (the script kills the guest's side of
#     the connection) does not hang the run: the shutdown command after it
#     (--shutdown, on a guest that ignores its power button) goes through
#     a master opened once more, and the run ends with no ssh left;
#   - --stop on such a guest sends its shutdown command over a master of
#     its own and closes it.
# shellcheck disable=SC1091 # runall_os_test.bash is checked on its own
. "$RUNALL_TOP/tests/root/runall_os_test.bash"
e2e_setup mux

# A stop timeout of 10 s: the power button (ignored, runall.nobutton=1)
# gets 5 s, then the shutdown command goes over ssh.
e2e_guest mux-tap x86_64 120 10 runall.nobutton=1
e2e_guest mux-user x86_64 120 10 runall.nobutton=1 "network = user"
d=$E2E_DIR
# The run's control directory is made under $XDG_RUNTIME_DIR: here, one
# the test can look into.
export XDG_RUNTIME_DIR=$d/xdg
mkdir -m 0700 "$XDG_RUNTIME_DIR"

cat >"$d/auths" <<'EOF'
#!/bin/sh
# How many authentications the guest's dropbear has logged so far.
echo "auths=$(grep -c 'auth succeeded' /var/log/dropbear.log)"
EOF
cat >"$d/sleeper" <<'EOF'
#!/bin/sh
echo started
sleep 60
EOF
cat >"$d/breaker" <<'EOF'
#!/bin/sh
# Kills this session's dropbear, the guest's end of the shared connection:
# as if sshd had been restarted under it.
echo breaking
p=$$
while [ "$p" -gt 1 ] && [ "$(cat "/proc/$p/comm")" != dropbear ]; do
	p=$(cut -d' ' -f4 "/proc/$p/stat")
done
[ "$p" -gt 1 ] && kill -9 "$p"
sleep 5
EOF
chmod 0755 "$d/auths" "$d/sleeper" "$d/breaker"

# The ssh processes in the namespace: the driver's, and any master it left.
ssh_pids() {
	local pid
	for pid in $(ip netns pids "$E2E_NS" 2>/dev/null); do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = ssh ] && echo "$pid"
	done
}
# no_leftovers WHEN: no ssh process, and nothing in $XDG_RUNTIME_DIR.
no_leftovers() {
	[ -z "$(ssh_pids)" ] || fail "$1: ssh left running: $(ssh_pids | while read -r p; do
		tr '\0' ' ' <"/proc/$p/cmdline"; echo; done)"
	[ -z "$(ls -A "$XDG_RUNTIME_DIR")" ] ||
		fail "$1: left in \$XDG_RUNTIME_DIR: $(ls -lAR "$XDG_RUNTIME_DIR")"
}
# auths OUT GUEST: the count the auths script printed on GUEST (-j 2).
auths() { sed -n "s/^\[$2\] auths=//p" "$1"; }

# --- cold, then warm: one authentication per guest per run --------------------
e2e_run -j 2 -sf "$d/auths" >"$d/cold.out" 2>"$d/cold.err" || fail "cold run: exit $?"
no_leftovers "cold run"
e2e_run -j 2 -sn "$d/auths" >"$d/warm1.out" 2>"$d/warm1.err" || fail "warm run: exit $?"
no_leftovers "first warm run"
e2e_run -j 2 -sn "$d/auths" >"$d/warm2.out" 2>"$d/warm2.err" || fail "warm run: exit $?"
no_leftovers "second warm run"
sockets=()
for g in mux-tap mux-user; do
	grep -q "$g:: QEMU started" "$d/warm2.err" && fail "warm: $g was launched"
	grep -q "$g:: Test succeeded" "$d/warm2.err" || fail "warm: no connection test on $g"
	a=$(auths "$d/warm1.out" "$g") b=$(auths "$d/warm2.out" "$g")
	[ -n "$a" ] || fail "warm: no count from $g: $(cat "$d/warm1.out")"
	[ -n "$b" ] || fail "warm: no count from $g: $(cat "$d/warm2.out")"
	[ $((b - a)) = 1 ] ||
		fail "warm run on $g: $((b - a)) authentications (the connection test and the script each made its own connection)"
	sock=$(sed -n "s/.*$g:: Opened the ssh master .*(control socket \(.*\))$/\1/p" "$d/warm2.err")
	[ -n "$sock" ] || fail "warm: no master opened for $g"
	case $sock in "$XDG_RUNTIME_DIR"/runall-ssh.*/"$g") ;; *) fail "$g's control socket: $sock" ;; esac
	sockets+=("$sock")
	grep -q "$g:: Closed the ssh master of this run (the guest's run ended)" "$d/warm2.err" ||
		fail "warm: $g's master not closed"
done
# -j 2: one directory for the run, a socket for each guest.
[ "$(dirname "${sockets[0]}")" = "$(dirname "${sockets[1]}")" ] ||
	fail "two control directories in one run: ${sockets[*]}"
ok "a warm run with -j 2 authenticated once per guest (tap and user mode); nothing left"

# --- without multiplexing: an authentication per ssh, as before ---------------
sed 's/^accel = tcg$/&\nssh_multiplex = no/' "$E2E_CONF" >"$d/plain.conf"
chmod 0644 "$d/plain.conf"
E2E_CONF_SAVED=$E2E_CONF E2E_CONF=$d/plain.conf
e2e_run -j 2 -sn "$d/auths" >"$d/plain.out" 2>"$d/plain.err" || fail "plain run: exit $?"
E2E_CONF=$E2E_CONF_SAVED
no_leftovers "run with ssh_multiplex = no"
for g in mux-tap mux-user; do
	a=$(auths "$d/warm2.out" "$g") b=$(auths "$d/plain.out" "$g")
	[ $((b - a)) = 2 ] || fail "ssh_multiplex = no on $g: $((b - a)) authentications, not 2"
	grep -q "$g:: Opened the ssh master" "$d/plain.err" && fail "ssh_multiplex = no: a master"
done
ok "ssh_multiplex = no: the connection test and the script authenticate each"

# --- ^C during the script -------------------------------------------------------------
# shellcheck disable=SC2016 # expanded by the inner bash
setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$d/driver.pid" \
	ip netns exec "$E2E_NS" "$E2E_BUILD/runall-os-test" -C "$E2E_CONF" \
	-i "$E2E_KEY" --log-dir "$E2E_LOGS" -j 2 -sn "$d/sleeper" \
	>"$d/int.out" 2>"$d/int.err" &
waiter=$!
E2E_PIDS+=("$waiter")
for _ in $(seq 300); do
	[ "$(grep -c '\] started$' "$d/int.out" 2>/dev/null)" = 2 ] && break
	sleep 0.1
done
[ "$(grep -c '\] started$' "$d/int.out")" = 2 ] || fail "^C: the scripts did not start"
[ -n "$(ssh_pids)" ] || fail "^C: no ssh running during the script"
t0=$SECONDS
kill -INT -- "-$(cat "$d/driver.pid")"
wait "$waiter"
rc=$?
[ "$rc" = 130 ] || fail "^C: exit $rc, expected 130"
# Not a speed target: the sleeper sleeps 60 s, and a driver that waited
# for it (the master holding the killed ssh's pipes) did not stop.
[ $((SECONDS - t0)) -lt 20 ] || fail "^C: the driver waited $((SECONDS - t0))s for the script"
for g in mux-tap mux-user; do
	[ "$(e2e_result "$d/int.out" "$g")" = interrupted ] ||
		fail "^C: $g is '$(e2e_result "$d/int.out" "$g")'"
	grep -q "$g:: Closed the ssh master" "$d/int.err" || fail "^C: $g's master not closed"
done
no_leftovers "^C"
ok "^C during the script: exit 130, no ssh master and no control directory left"

# --- a master that breaks mid-run; then --shutdown ------------------------------------
qemu=$(cat "$d/launch/mux-tap")
timeout 60 "$BASH" -c '"$@"' _ ip netns exec "$E2E_NS" "$E2E_BUILD/runall-os-test" \
	-C "$E2E_CONF" -i "$E2E_KEY" --log-dir "$E2E_LOGS" --shutdown -sn "$d/breaker" mux-tap \
	>"$d/break.out" 2>"$d/break.err"
rc=$?
[ "$rc" = 124 ] && fail "a broken master hung the run"
grep -q "^breaking" "$d/break.out" || fail "break: the script did not run"
[ "$(e2e_result "$d/break.out" mux-tap)" = passed ] && fail "break: passed"
grep -q "mux-tap:: Opened the ssh master" "$d/break.err" || fail "break: no first master"
grep -q "mux-tap:: Opened again the ssh master" "$d/break.err" ||
	fail "break: the shutdown command did not open a master again"
grep -q "mux-tap:: .*running the shutdown command" "$d/break.err" || fail "break: no shutdown command"
grep -q "powered off by its shutdown command" "$d/break.out" ||
	fail "break: not powered off by the command: $(cat "$d/break.out")"
e2e_wait_gone "$qemu" 10 || fail "break: QEMU $qemu still running"
no_leftovers "broken master"
ok "a master broken mid-run: the shutdown command went over a new one; no hang, nothing left"

# --- --stop: the shutdown command over a master, then closed --------------------------
qemu=$(cat "$d/launch/mux-user")
e2e_run --stop mux-user >"$d/stop.out" 2>"$d/stop.err" || fail "--stop: exit $?"
grep -q "powered off by its shutdown command" "$d/stop.out" ||
	fail "--stop: not by the command: $(cat "$d/stop.out")"
grep -q "mux-user:: Opened the ssh master" "$d/stop.err" || fail "--stop: no master"
grep -q "mux-user:: Closed the ssh master of this run (the guest is shutting down)" \
	"$d/stop.err" || fail "--stop: master not closed"
e2e_wait_gone "$qemu" 10 || fail "--stop: QEMU $qemu still running"
no_leftovers "--stop"
ok "--stop sent the shutdown command over a master and closed it"
echo PASS
