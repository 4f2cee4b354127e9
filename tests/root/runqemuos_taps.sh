#!/bin/bash
# shellcheck disable=SC1091,SC2154,SC2016 # runqemuos.lib and its variables; sh -c scripts
# runqemuos -N claims a tap and hands its fd to QEMU: eight runqemuos
# started at once against a pool of five persistent taps (in a network
# namespace made here) all get different taps - the five of the pool, then,
# as root, three it creates and the kernel removes when QEMU exits.
# start-tun-interface (a fake beside runqemuos) runs once per guest, with
# the claimed tap, after the hostname file for its parent exists. QEMU gets
# -netdev tap,id=runall0,fd=N and a card with the MAC derived from the
# hostname.
# shellcheck source=tests/root/runqemuos.lib
. "$RUNALL_TOP/tests/root/runqemuos.lib"
rq_setup
rq_netns
for n in 0 1 2 3 4; do
	ip -n "$ns" tuntap add dev "tap$n" mode tap || fail "cannot make tap$n"
done

# The MAC runall derives from a hostname (runall-guests(5)), in bash.
mac_for() {
	local h=2166136261 c i s=${1,,} low
	for ((i = 0; i < ${#s}; i++)); do
		printf -v c '%d' "'${s:i:1}"
		h=$(( ((h ^ c) * 16777619) & 0xffffffff ))
	done
	low=$(( (h >> 24) ^ (h & 0xffffff) ))
	printf '52:54:00:%02x:%02x:%02x' $((low >> 16 & 255)) $((low >> 8 & 255)) $((low & 255))
}

launch() {  # launch HOST: runqemuos -b -N in the namespace, pid in $work/HOST.pid
	ip netns exec "$ns" "$runqemuos" -b -N virtio-net-pci "$1" "$work/hn" \
		"$work/launch" "$fake_qemu" -drive "file=$(rq_image "$1.img"),format=raw" \
		-fake-report "$work/$1.rep" >"$work/$1.pid" 2>"$work/$1.err"
	echo $? >"$work/$1.rc"
}

hosts=(g0 g1 g2 g3 g4 g5 g6 g7)
for h in "${hosts[@]}"; do launch "$h" & done
wait
taps=()
for h in "${hosts[@]}"; do
	[ "$(cat "$work/$h.rc")" = 0 ] || fail "$h: exit $(cat "$work/$h.rc"): $(cat "$work/$h.err")"
	pid=$(cat "$work/$h.pid")
	rq_pids+=("$pid")
	rq_wait_for "$work/$h.rep" || fail "$h: fake-qemu did not start"
	[ "$(rq_field "$work/$h.rep" pid)" = "$pid" ] || fail "$h: pid"
	tap=$(rq_field "$work/$h.rep" tap)
	[[ $tap == tap[0-9]* ]] || fail "$h: QEMU's tap fd is $tap"
	taps+=("$tap")
	args=$(rq_field "$work/$h.rep" args)
	mac=$(mac_for "$h")
	[[ $args =~ -netdev\ tap,id=runall0,fd=([0-9]+)\ -device\ virtio-net-pci,netdev=runall0,mac=$mac$ ]] ||
		fail "$h: QEMU arguments: $args"
	grep -qx "args=$tap ppid=$pid hostname=$h" "$work/sti.log" ||
		fail "$h: start-tun-interface was not run for $tap with the hostname file: $(cat "$work/sti.log")"
done
ok "eight guests on taps: ${taps[*]}"
dups=$(printf '%s\n' "${taps[@]}" | sort | uniq -d)
[ -z "$dups" ] || fail "tap given twice: $dups"
[ "$(wc -l <"$work/sti.log")" = 8 ] || fail "start-tun-interface runs: $(cat "$work/sti.log")"
for n in 0 1 2 3 4; do
	printf '%s\n' "${taps[@]}" | grep -qx "tap$n" || fail "pool tap$n left unused"
done
created=$(printf '%s\n' "${taps[@]}" | grep -vx 'tap[0-4]' | sort | tr '\n' ' ')
for t in $created; do
	flags=$(ip netns exec "$ns" cat "/sys/class/net/$t/tun_flags")
	(( (flags & 0x800) == 0 )) || fail "$t created persistent ($flags)"
done
ok "all different: the pool's five, and created $created"

for h in "${hosts[@]}"; do kill "$(cat "$work/$h.pid")"; done
for h in "${hosts[@]}"; do rq_wait_gone "$(cat "$work/$h.pid")" || fail "$h did not exit"; done
for t in $created; do
	for _ in $(seq 40); do ip -n "$ns" link show "$t" >/dev/null 2>&1 || break; sleep 0.05; done
	! ip -n "$ns" link show "$t" >/dev/null 2>&1 || fail "created $t outlived its QEMU"
done
for n in 0 1 2 3 4; do
	ip -n "$ns" link show "tap$n" >/dev/null 2>&1 || fail "pool tap$n gone"
done
ok "created taps gone with their QEMU, the pool's remain"

# Freed pool taps are claimed again, lowest first.
: >"$work/sti.log"
launch again
pid=$(cat "$work/again.pid")
rq_pids+=("$pid")
rq_wait_for "$work/again.rep" || fail "relaunch did not start"
[ "$(rq_field "$work/again.rep" tap)" = tap0 ] || fail "relaunch got $(rq_field "$work/again.rep" tap)"
ok "freed tap0 claimed again"
