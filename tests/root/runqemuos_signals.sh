#!/bin/bash
# shellcheck disable=SC1091,SC2154,SC2016 # runqemuos.lib and its variables; perl scripts
# runqemuos gives QEMU and start-tun-interface a fresh signal state,
# whatever its caller left: a caller that ignores SIGCHLD (so that every
# waitpid fails with ECHILD) and blocks SIGTERM and SIGINT (a mask survives
# exec) still gets its guest started, start-tun-interface run and waited
# for, and a QEMU that SIGTERM stops - in the background (-b) and in the
# foreground. And with -b, a child killed before it could become QEMU is
# reported as such, not as a started QEMU.
# shellcheck source=tests/root/runqemuos.lib
. "$RUNALL_TOP/tests/root/runqemuos.lib"
rq_setup
rq_netns
ip -n "$ns" tuntap add dev tap0 mode tap || fail "cannot make tap0"
img=$(rq_image guest.img)

# "${hostile[@]}" CMD...: CMD in the namespace, with SIGCHLD ignored and
# SIGTERM, SIGINT blocked; every step execs, so CMD keeps the pid.
hostile=(ip netns exec "$ns" perl -e 'use POSIX;
	$SIG{CHLD} = "IGNORE";
	sigprocmask(SIG_BLOCK, POSIX::SigSet->new(SIGTERM, SIGINT)) or die "sigprocmask";
	exec { $ARGV[0] } @ARGV or die "exec: $!"' --)
# check_fresh PID WHAT: PID blocks no signal and does not ignore SIGCHLD
# (bit 17 - 1 of SigIgn), and SIGTERM stops it.
check_fresh() {
	local blk ign
	blk=$(sed -n 's/^SigBlk:[[:space:]]*//p' "/proc/$1/status")
	ign=$(sed -n 's/^SigIgn:[[:space:]]*//p' "/proc/$1/status")
	[ "$blk" = 0000000000000000 ] || fail "$2: blocked signals $blk"
	[ $((0x$ign & 0x10000)) = 0 ] || fail "$2: SIGCHLD ignored ($ign)"
	kill "$1"
	rq_wait_gone "$1" 5 || fail "$2: SIGTERM did not stop it"
}

pid=$("${hostile[@]}" "$runqemuos" -b -N virtio-net-pci g1 "$work/hn" "$work/launch" \
	"$fake_qemu" -drive "file=$img,format=raw" -fake-report "$work/rep1" 2>"$work/b.err")
rc=$?
[ "$rc" = 0 ] || fail "runqemuos -b under a hostile caller: exit $rc: $(cat "$work/b.err")"
rq_pids+=("$pid")
rq_wait_for "$work/rep1" || fail "fake-qemu did not start"
[ "$(rq_field "$work/rep1" tap)" = tap0 ] || fail "tap: $(rq_field "$work/rep1" tap)"
grep -q '^args=tap0 ' "$FAKE_STI_LOG" || fail "start-tun-interface not run: $(cat "$FAKE_STI_LOG")"
check_fresh "$pid" "-b"
ok "-b: started, start-tun-interface waited for, QEMU stops on SIGTERM"

"${hostile[@]}" "$runqemuos" -N virtio-net-pci g2 "$work/hn" "$work/launch" \
	"$fake_qemu" -drive "file=$img,format=raw" -fake-report "$work/rep2" \
	>"$work/fg.log" 2>&1 &
pid=$!
rq_pids+=("$pid")
rq_wait_for "$work/rep2" || fail "foreground: fake-qemu did not start: $(cat "$work/fg.log")"
[ "$(rq_field "$work/rep2" pid)" = "$pid" ] || fail "foreground: not exec'd"
check_fresh "$pid" "foreground"
ok "foreground: started, QEMU stops on SIGTERM"

# -b whose child is killed before it becomes QEMU: a failure, with the
# signal named, no pid printed, no hostname or launch file left.
rm -f "$work/hn"/* "$work/launch"/*
out=$(FAKE_STI_KILL=KILL ip netns exec "$ns" "$runqemuos" -b -N virtio-net-pci g3 \
	"$work/hn" "$work/launch" "$fake_qemu" -drive "file=$img,format=raw" \
	-fake-report "$work/rep3" 2>"$work/k.err")
rc=$?
[ "$rc" = 111 ] || fail "-b, child killed before exec: exit $rc, not 111: $(cat "$work/k.err")"
[ -z "$out" ] || fail "-b, child killed before exec: printed '$out'"
grep -q "QEMU is not running: its process (pid [0-9]*) was killed by signal 9" "$work/k.err" ||
	fail "-b, child killed before exec: $(cat "$work/k.err")"
[ -e "$work/rep3" ] && fail "-b, child killed before exec: fake-qemu ran"
rq_no_files "-b, child killed before exec"
ok "-b: a child killed before its exec is reported as such, its files removed"

