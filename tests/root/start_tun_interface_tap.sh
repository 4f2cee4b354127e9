#!/bin/bash
# Real persistent taps: -c creates them (TUNSETIFF, TUNSETOWNER,
# TUNSETPERSIST) and says so; start-tun-interface configures one (address
# with its mask at once, up; read back here with ip); the daemon it starts does not
# keep the tap fd that QEMU hands its ifup script (else the next QEMU could
# not attach) and is runall-dhcpd holding its pid file's lock; -k stops the
# server and removes only taps -c made, and not one in use; -c -n picks free
# names; without runall-dhcpd beside it the tool fails and says why.
set -u
# shellcheck disable=SC1091 # start_tun_helpers.bash is linted on its own
source "$RUNALL_TOP/tests/root/start_tun_helpers.bash"
[ -x "$TAP_HOLDER" ] || fail "$TAP_HOLDER is not built (make check builds it)"

ns=${PREFIX}t
make_ns "$ns"

sti "$ns" -c tap3 >"$TMP/create.log" 2>&1 || fail "-c tap3: $(cat "$TMP/create.log")"
grep -qx "created tap3: persistent tap, owner uid 0" "$TMP/create.log" ||
  fail "-c did not say what it made: $(cat "$TMP/create.log")"
ip -n "$ns" -d link show tap3 | grep -q "tun type tap .*persist on user root" ||
  fail "tap3 is not a persistent tap of root: $(ip -n "$ns" -d link show tap3)"
nsdir=$(ns_run_dir "$ns")
[ -f "$nsdir/tap3.created" ] || fail "no creation mark"
# A name that exists already is refused, and nothing else happens.
sti "$ns" -c tap3 >"$TMP/again.log" 2>&1
[ $? -eq 1 ] || fail "-c of an existing tap did not exit 1"

# Every address the tap gets on the way is watched: it must never hold
# another mask than its /24 (SIOCSIFADDR gave it 172.20.3.1/16 for a moment,
# with a route taking the neighbouring taps' networks). The monitor is
# ready once it reports an address given to lo (one given before it
# listened is never reported, hence a new one each time).
ip -n "$ns" monitor address >"$TMP/monitor.log" 2>&1 &
monitor=$!
STARTED+=("$monitor")
for i in $(seq 2 200); do
  ip -n "$ns" addr add "127.0.0.$i/8" dev lo
  sleep 0.05
  grep -q "inet 127\.0\.0\." "$TMP/monitor.log" && break
done
grep -q "inet 127\.0\.0\." "$TMP/monitor.log" || fail "ip monitor did not start"
# QEMU attaches the tap and runs its ifup script with the fd open; so does
# tap_holder, which exits (closing its fd) once the script is done.
ip netns exec "$ns" "$TAP_HOLDER" tap3 "$STI" -C "$CONF" tap3 \
  >"$TMP/sti.log" 2>&1 || fail "start-tun-interface tap3: $(cat "$TMP/sti.log")"
expect_host_addr "$ns" tap3
kill "$monitor"
wait "$monitor" 2>/dev/null
grep "tap3" "$TMP/monitor.log" | grep -v "inet 172.20.3.1/24 " | grep inet &&
  fail "tap3 had another address or mask on the way: $(cat "$TMP/monitor.log")"
addr=$(ip -n "$ns" -o -4 addr show dev tap3 | awk '{print $4}')
[ "$addr" = 172.20.3.1/24 ] || fail "tap3 has $addr"
pid=$(daemon_pid "$ns" tap3) || fail "no pid file"
# Nobody but root may open what is in the run directory.
[ "$(stat -c %a "$RUN_DIR") $(stat -c %a "$nsdir") $(stat -c %a "$nsdir/dhcpd-tap3.pid")" = "700 700 600" ] ||
  fail "run directory modes: $(ls -ld "$RUN_DIR" "$nsdir" "$nsdir"/*)"
alive "$pid" || fail "no DHCP server"
# The daemon holds no inherited fd: not the tap, nothing but /dev/null,
# its own sockets, its pid file, and pipes whose both ends it holds (the
# server's signal self-pipe; an inherited pipe would have one end here).
fds=$TMP/daemon-fds
for fd in /proc/"$pid"/fd/*; do readlink "$fd"; done >"$fds"
cp "$fds" "$fds.all"
while read -r target; do
  case $target in
    /dev/null | socket:* | "$nsdir/dhcpd-tap3.pid") ;;
    pipe:*) [ "$(grep -cxF "$target" "$fds.all")" -eq 2 ] ||
      fail "the daemon holds one end of $target" ;;
    *) fail "the daemon holds $target" ;;
  esac
done <"$fds"
# The server is runall-dhcpd, exec'd in the detached child (same pid), with
# the pid file's lock carried across the exec and none of our environment.
[ "$(readlink "/proc/$pid/exe")" = "$BUILD/runall-dhcpd" ] ||
  fail "the daemon runs $(readlink "/proc/$pid/exe"), not runall-dhcpd"
inode=$(stat -c %i "$nsdir/dhcpd-tap3.pid")
grep -Eq "^[0-9]+: POSIX +ADVISORY +WRITE +$pid [0-9a-f:]+:$inode " /proc/locks ||
  fail "the daemon does not hold the lock of its pid file: $(grep " $pid " /proc/locks)"
tr '\0' '\n' <"/proc/$pid/environ" | grep -v '^PATH=' | grep . &&
  fail "the daemon inherited the environment above"
# So the tap is free again for the next QEMU.
ip netns exec "$ns" "$TAP_HOLDER" tap3 /bin/true ||
  fail "the tap is still attached after its ifup script ended"

# In use, a tap is not removed by -k (but its server is stopped).
ip netns exec "$ns" "$TAP_HOLDER" tap3 >"$TMP/holder.log" 2>&1 &
holder=$!
STARTED+=("$holder")
for _ in $(seq 50); do
  grep -q attached "$TMP/holder.log" && break
  sleep 0.1
done
grep -q attached "$TMP/holder.log" || fail "tap_holder did not attach"
sti "$ns" -k tap3 >"$TMP/k1.log" 2>&1
[ $? -eq 1 ] || fail "-k of a tap in use did not exit 1: $(cat "$TMP/k1.log")"
grep -q "in use" "$TMP/k1.log" || fail "no 'in use' message"
alive "$pid" && fail "-k left the DHCP server running"
ip -n "$ns" link show tap3 >/dev/null 2>&1 || fail "-k removed a tap in use"
kill "$holder"
wait "$holder" 2>/dev/null

sti "$ns" -k tap3 >"$TMP/k2.log" 2>&1 || fail "-k tap3: $(cat "$TMP/k2.log")"
grep -qx "tap3: removed" "$TMP/k2.log" || fail "no 'removed': $(cat "$TMP/k2.log")"
ip -n "$ns" link show tap3 >/dev/null 2>&1 && fail "tap3 still exists"
[ -e "$nsdir/tap3.created" ] && fail "the creation mark stayed"

# A tap -c did not make is left in place by -k.
ip -n "$ns" tuntap add dev tap4 mode tap || fail "ip tuntap add"
sti "$ns" tap4 >"$TMP/sti4.log" 2>&1 || fail "start-tun-interface tap4"
sti "$ns" -k tap4 >"$TMP/k4.log" 2>&1 || fail "-k tap4: $(cat "$TMP/k4.log")"
grep -q "tap4: DHCP server (pid [0-9]*) stopped" "$TMP/k4.log" ||
  fail "-k tap4 did not stop the server: $(cat "$TMP/k4.log")"
ip -n "$ns" link show tap4 >/dev/null 2>&1 || fail "-k removed a tap it did not make"
grep -qx "tap4: address 172.20.4.1/24 removed" "$TMP/k4.log" ||
  fail "-k tap4 did not say it took the address off: $(cat "$TMP/k4.log")"
ip -n "$ns" -4 addr show dev tap4 | grep -q inet &&
  fail "-k left the plan address on tap4: $(ip -n "$ns" -4 addr show dev tap4)"

# -c -n COUNT takes the first free names: tap0 exists, tap4 too.
ip -n "$ns" tuntap add dev tap0 mode tap || fail "ip tuntap add"
sti "$ns" -c -n 4 >"$TMP/n.log" 2>&1 || fail "-c -n 4: $(cat "$TMP/n.log")"
got=$(sed -n 's/^created \(tap[0-9]*\):.*/\1/p' "$TMP/n.log" | tr '\n' ' ')
[ "$got" = "tap1 tap2 tap3 tap5 " ] || fail "-c -n 4 made '$got'"
sti "$ns" -k tap1 tap2 tap3 tap5 >"$TMP/kn.log" 2>&1 || fail "-k of four taps"
[ "$(grep -c ': removed$' "$TMP/kn.log")" -eq 4 ] || fail "not all four removed"

# Installed without runall-dhcpd beside it, the tool says so and fails; no
# server is left running.
mkdir "$TMP/alone"
cp "$STI" "$TMP/alone/"
ip netns exec "$ns" "$TMP/alone/start-tun-interface" -C "$CONF" tap4 >"$TMP/alone.log" 2>&1
rc=$?
[ "$rc" -eq 111 ] || fail "without runall-dhcpd: exit $rc, not 111: $(cat "$TMP/alone.log")"
grep -q "tap4: DHCP server did not start: $TMP/alone/runall-dhcpd: No such file" "$TMP/alone.log" ||
  fail "without runall-dhcpd: $(cat "$TMP/alone.log")"
[ -z "$(ip netns pids "$ns")" ] || fail "a process runs in the namespace: $(ip netns pids "$ns")"
echo PASS
