#!/bin/bash
# shellcheck disable=SC1091,SC2154 # runqemuos.lib and its variables
# What runqemuos gives every guest beside its lock and tap:
#   - a QMP monitor on LAUNCHDIR/.monitor-UID/HOST.qmp, in a directory of
#     the user's own (0700), answered by the very QEMU the launch file
#     names, removed when QEMU quits; none added when the QEMU arguments
#     bring a QMP monitor of their own;
#   - with -o, the serial console and QEMU's output in the console log,
#     each line stamped with the seconds since QEMU started, after a header
#     naming the launch, through a logger process that holds no lock or
#     tap; -serial stdio added unless the arguments direct the serial port;
#   - refusals that change nothing: a monitor directory that is a symbolic
#     link or another user's, a launch directory too long for a socket.
# shellcheck source=tests/root/runqemuos.lib
. "$RUNALL_TOP/tests/root/runqemuos.lib"
rq_setup
img=$(rq_image guest.img)
qmp=$RUNALL_BUILD/tests/qmp
[ -x "$qmp" ] || fail "build the test tools first (make check)"
command -v qemu-system-x86_64 >/dev/null || fail "qemu-system-x86_64 is not installed"
mon=$work/launch/.monitor-0

# --- the monitor, on a real QEMU (paused: no guest needed) -----------------------
pid=$("$runqemuos" -b -o "$work/q.console" g1 "$work/hn" "$work/launch" \
	qemu-system-x86_64 -S -nodefaults -display none -m 64 \
	-drive "file=$img,format=raw,if=virtio")
rc=$?
[ "$rc" = 0 ] || fail "runqemuos -b with QEMU: exit $rc"
rq_pids+=("$pid")
rq_wait_for "$mon/g1.qmp" 10 || fail "no monitor socket $mon/g1.qmp"
[ -S "$mon/g1.qmp" ] || fail "$mon/g1.qmp is not a socket"
[ "$(stat -c '%a %u' "$mon")" = "700 0" ] || fail "monitor directory: $(stat -c '%a %u' "$mon")"
tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "-qmp unix:$mon/g1.qmp,server=on,wait=off" ||
	fail "QEMU's command line: $(tr '\0' ' ' <"/proc/$pid/cmdline")"
out=$("$qmp" "$mon/g1.qmp" query-status)
[ "$out" = "$(printf 'peer %s\nreturn' "$pid")" ] || fail "query-status: $out"
ok "QMP on $mon/g1.qmp, answered by the QEMU of the launch file (pid $pid)"
out=$("$qmp" "$mon/g1.qmp" quit)
rq_wait_gone "$pid" 10 || fail "QEMU did not quit"
[ ! -e "$mon/g1.qmp" ] || fail "the socket outlived QEMU"
head -1 "$work/q.console" | grep -qx -- "--- QEMU for g1, pid $pid, started [0-9-]* [0-9:]* ---" ||
	fail "console header: $(head -1 "$work/q.console")"
ok "QMP quit ends QEMU and its socket; the console log starts with the launch's header"

# --- the console log, with a stand-in QEMU that writes to stdout and stderr --
pid=$("$runqemuos" -b -o "$work/f.console" g2 "$work/hn" "$work/launch" \
	"$fake_qemu" -drive "file=$img,format=raw" -fake-report "$work/rep2")
[ -n "$pid" ] || fail "runqemuos -b with fake-qemu"
rq_pids+=("$pid")
rq_wait_for "$work/rep2" || fail "fake-qemu did not start"
args=$(rq_field "$work/rep2" args)
[[ " $args " == *" -qmp unix:$mon/g2.qmp,server=on,wait=off "* ]] ||
	fail "monitor not added: $args"
[[ " $args " == *" -serial stdio "* ]] || fail "serial not added: $args"
sleep 0.5
# The logger: the runqemuos left in QEMU's session.
logger=''
for p in $(pgrep -x runqemuos); do
	[ "$(ps -o sid= -p "$p" | tr -d ' ')" = "$pid" ] && logger=$p
done
[ -n "$logger" ] || fail "no console logger in QEMU's session"
rq_pids+=("$logger")
# Its descriptors: the pipe, the log, /dev/null - no image, no tap.
fds=$(for f in "/proc/$logger/fd"/*; do readlink "$f"; done | sort | tr '\n' ' ')
[[ $fds == "/dev/null $work/f.console pipe:["*"] " ]] || fail "the logger holds: $fds"
grep -Eq '^\[ +0\.[0-9]{3}\] fake-qemu: running as pid '"$pid"'$' "$work/f.console" ||
	fail "stdout not stamped in the console log: $(cat "$work/f.console")"
grep -Eq '^\[ +0\.[0-9]{3}\] fake-qemu: a line on stderr$' "$work/f.console" ||
	fail "stderr not stamped in the console log"
kill "$pid"
rq_wait_gone "$pid" 5 || fail "fake-qemu survived SIGTERM"
rq_wait_gone "$logger" 5 || fail "the logger outlived QEMU"
ok "console logger (pid $logger) stamped QEMU's output, held only its pipe and log, ended with QEMU"

# Arguments that bring their own monitor and serial port get neither added.
pid=$("$runqemuos" -b -o "$work/f3.console" g3 "$work/hn" "$work/launch" \
	"$fake_qemu" -drive "file=$img,format=raw" -fake-report "$work/rep3" \
	-qmp "unix:$work/own.qmp,server=on,wait=off" -serial "file:$work/serial")
rq_pids+=("$pid")
rq_wait_for "$work/rep3" || fail "fake-qemu did not start"
args=$(rq_field "$work/rep3" args)
[ "$(grep -o -- '-qmp' <<<"$args" | wc -l)" = 1 ] || fail "a second -qmp: $args"
[ "$(grep -o -- '-serial' <<<"$args" | wc -l)" = 1 ] || fail "a second -serial: $args"
kill "$pid"
rq_wait_gone "$pid" 5
ok "own -qmp and -serial are left alone"

# --- refusals -------------------------------------------------------------------------------
rm -f "$work/launch"/g* "$work/hn"/*
rmdir "$mon" || fail "monitor directory not empty: $(ls -A "$mon")"
mkdir "$work/elsewhere"
ln -s "$work/elsewhere" "$mon"
out=$("$runqemuos" -b g4 "$work/hn" "$work/launch" "$fake_qemu" -drive "file=$img,format=raw" 2>&1)
rc=$?
[ "$rc" = 1 ] || fail "symlinked monitor directory: exit $rc ($out)"
[ "$out" = "runqemuos: $mon: not a directory (a symbolic link is not followed)" ] ||
	fail "symlinked monitor directory: $out"
[ -z "$(ls -A "$work/elsewhere")" ] || fail "something was made through the link"
[ "$("$image_in_use" "$img")" = free ] || fail "image left locked"
rm "$mon"
rq_no_files "symlinked monitor directory"
ok "a monitor directory reached through a symbolic link is refused: $out"

mkdir -m 0700 "$mon"
chown 65534 "$mon"
out=$("$runqemuos" -b g4 "$work/hn" "$work/launch" "$fake_qemu" -drive "file=$img,format=raw" 2>&1)
rc=$?
[ "$rc" = 1 ] || fail "another user's monitor directory: exit $rc ($out)"
[ "$out" = "runqemuos: $mon: belongs to uid 65534, not to this user (uid 0); it must be this user's own" ] ||
	fail "another user's monitor directory: $out"
[ "$(stat -c %u "$mon")" = 65534 ] || fail "the directory was taken over"
rmdir "$mon"
rq_no_files "another user's monitor directory"
ok "another user's monitor directory is refused"

long=$work/$(printf 'd%.0s' $(seq 90))
mkdir -p "$long"
out=$("$runqemuos" -b g5 "$work/hn" "$long" "$fake_qemu" -drive "file=$img,format=raw" 2>&1)
rc=$?
[ "$rc" = 100 ] || fail "long launch directory: exit $rc ($out)"
[[ $out == "runqemuos: LAUNCHDIR $long is too long: the guest's monitor socket $long/.monitor-0/g5.qmp would not fit a unix socket's path (107 bytes); choose a shorter launch_dir" ]] ||
	fail "long launch directory: $out"
[ -z "$(ls -A "$long")" ] || fail "files made in the long launch directory"
ok "a launch directory too long for the socket is refused before anything is made"
echo PASS
