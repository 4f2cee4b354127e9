#!/bin/bash
# shellcheck disable=SC1091,SC2154,SC2016 # runqemuos.lib and its variables; sh -c scripts
# runqemuos keeps the article's contract with a stand-in QEMU (fake-qemu):
# the pid in the launch file is the pid of the program it exec'd and the
# name of the hostname file; the image lock passes into that program, stays
# held while it opens and closes its own descriptors on the image, refuses a
# second runqemuos, and is free once it exits. In background mode (-b) the
# program runs in its own session with stdin from /dev/null and its output
# in the console log, and a ^C to the caller's process group leaves it be.
# shellcheck source=tests/root/runqemuos.lib
. "$RUNALL_TOP/tests/root/runqemuos.lib"
rq_setup
img=$(rq_image guest.img)

# --- foreground: runqemuos execs, so $! is the program's pid -------------
"$runqemuos" g1 "$work/hn" "$work/launch" "$fake_qemu" \
	-drive "file=$img,format=raw" -fake-report "$work/rep1" &
pid=$!
rq_pids+=("$pid")
rq_wait_for "$work/rep1" || fail "fake-qemu did not start"
[ "$(rq_field "$work/rep1" pid)" = "$pid" ] || fail "exec'd program has another pid"
[ "$(cat "$work/launch/g1")" = "$pid" ] || fail "launch file does not hold the pid"
rq_hostname_file "$pid"
[ "$(cat "$hnfile")" = g1 ] || fail "hostname file $hnfile"
[ "$(stat -c %a "$work/launch/g1")" = 644 ] || fail "launch file mode"
[ "$(stat -c %a "$hnfile")" = 644 ] || fail "hostname file mode"
[ "$(rq_field "$work/rep1" lock_fd)" = yes ] || fail "lock fd not inherited"
[ "$(rq_field "$work/rep1" lock_seen)" = yes ] || fail "byte 0 not locked in QEMU"
[ "$(rq_field "$work/rep1" tap)" = none ] || fail "a tap without -N"
ok "pid $pid: launch file, hostname file ${hnfile##*/}, lock fd"

# The stand-in opens and closes descriptors on the image ten times a
# second, as QEMU does; the lock must survive that.
sleep 3
out=$("$image_in_use" "$img")
[ "${out%%:*}" = runall ] || fail "after 3 s of fd churn: $out"
out=$("$runqemuos" -b g1b "$work/hn" "$work/launch" "$fake_qemu" \
	-drive "file=$img,format=raw" 2>&1)
rc=$?
[ "$rc" = 2 ] || fail "second runqemuos on the image: exit $rc, not 2 (image in use) ($out)"
[[ $out == *"$img: in use: locked by a guest that runqemuos started"* ]] ||
	fail "second runqemuos message: $out"
[ ! -e "$work/launch/g1b" ] || fail "refused launch left a launch file"
[ "$(ls "$work/hn")" = "${hnfile##*/}" ] || fail "refused launch left a hostname file"
ok "second runqemuos refused: $out"

kill "$pid"
wait "$pid"
out=$("$image_in_use" "$img")
[ "$out" = free ] || fail "lock not freed after exit: $out"
ok "lock free after the program exited"

# --- background: own session, detached, console log ----------------------
rm -f "$work/hn"/* "$work/launch"/*
pid=$("$runqemuos" -b -o "$work/console" g2 "$work/hn" "$work/launch" \
	"$fake_qemu" -drive "file=$img,format=raw" -fake-report "$work/rep2")
rc=$?
[ "$rc" = 0 ] || fail "runqemuos -b: exit $rc"
rq_pids+=("$pid")
rq_wait_for "$work/rep2" || fail "fake-qemu did not start in background"
[ "$(rq_field "$work/rep2" pid)" = "$pid" ] || fail "-b printed $pid, program is $(rq_field "$work/rep2" pid)"
[ "$(cat "$work/launch/g2")" = "$pid" ] || fail "-b launch file"
rq_hostname_file "$pid"
[ "$(rq_field "$work/rep2" sid)" = "$pid" ] || fail "-b: not its own session leader"
[ "$(rq_field "$work/rep2" sid)" != "$(ps -o sid= -p $$ | tr -d ' ')" ] || fail "-b: caller's session"
[ "$(rq_field "$work/rep2" stdin)" = devnull ] || fail "-b: stdin not /dev/null"
[ "$(rq_field "$work/rep2" lock_seen)" = yes ] || fail "-b: lock"
sleep 0.3
grep -q "fake-qemu: running as pid $pid" "$work/console" || fail "stdout not in console log"
grep -q "fake-qemu: a line on stderr" "$work/console" || fail "stderr not in console log"
ok "-b: pid $pid in its own session, output in the console log"

# A ^C in the terminal reaches the caller's whole process group: make a
# caller in a group of its own that starts one guest with -b and, as a
# control, one without; then interrupt the group. (Background jobs of a
# non-interactive shell ignore SIGINT, hence env --default-signal.)
setsid env --default-signal=INT bash -c '
	"$1" -b "$2" "$3" "$4" "$5" -drive "file=$6,format=raw" -fake-report "$7" >"$8"
	env --default-signal=INT "$1" g4 "$3" "$4" "$5" -drive "file=$9,format=raw" \
		-fake-report "${10}" &
	echo $! >"${11}"
	exec sleep 30' _ "$runqemuos" g3 "$work/hn" "$work/launch" "$fake_qemu" \
	"$(rq_image g3.img)" "$work/rep3" "$work/pid3" \
	"$(rq_image g4.img)" "$work/rep4" "$work/pid4" &
caller=$!
rq_pids+=("$caller")
rq_wait_for "$work/rep3" || fail "-b guest of the interrupted caller did not start"
rq_wait_for "$work/rep4" || fail "foreground guest of the interrupted caller did not start"
pid3=$(cat "$work/pid3")
pid4=$(cat "$work/pid4")
rq_pids+=("$pid3" "$pid4")
[ "$(rq_field "$work/rep4" pid)" = "$pid4" ] || fail "control guest pid"
kill -INT -- "-$caller"
rq_wait_gone "$caller" 5 || fail "caller survived SIGINT"
rq_wait_gone "$pid4" 5 || fail "control: the foreground guest survived ^C (test is void)"
sleep 0.3
kill -0 "$pid3" 2>/dev/null || fail "^C to the caller's group killed the -b guest"
ok "^C to the caller's process group killed the foreground guest, not the -b one"

kill "$pid" "$pid3"
rq_wait_gone "$pid" || fail "program did not exit on SIGTERM"
rq_wait_gone "$pid3" || fail "program did not exit on SIGTERM"
out=$("$image_in_use" "$img")
[ "$out" = free ] || fail "lock not freed after the background program exited: $out"
ok "background lock freed after exit"
