#!/bin/bash
# Two daemons serve two interfaces side by side, each bound to its own
# device on port 67: each client gets its own interface's lease, and
# neither daemon sees the other's traffic.
set -u
# shellcheck disable=SC1091 # dhcp_helpers.bash is linted on its own
source "$RUNALL_TOP/tests/root/dhcp_helpers.bash"
command -v busybox >/dev/null || fail "busybox is not installed"

host=${PREFIX}h guest1=${PREFIX}a guest2=${PREFIX}b
make_ns "$host"
make_ns "$guest1"
make_ns "$guest2"
make_link 44 "$host" "$guest1"
make_link 45 "$host" "$guest2"
start_daemon "$host" 44 -n first
first=$DAEMON_PID
start_daemon "$host" 45 -n second
# With no DNS server to offer, the log says so rather than saying nothing.
grep -q "serving 172.20.45.2 to one guest: .*, dns none" "$TMP/dhcpd-45.log" ||
  fail "the log does not say no DNS server is offered: $(head -3 "$TMP/dhcpd-45.log")"
second=$DAEMON_PID

mkdir "$TMP/a" "$TMP/b"
write_env_hook "$TMP/hook-a" "$TMP/a"
write_env_hook "$TMP/hook-b" "$TMP/b"
# Both at once, so that both daemons are busy together.
ip netns exec "$guest1" busybox udhcpc -i dg44 -f -q -n -t 5 -T 1 \
  -s "$TMP/hook-a" >"$TMP/udhcpc-a.log" 2>&1 &
a=$!
ip netns exec "$guest2" busybox udhcpc -i dg45 -f -q -n -t 5 -T 1 \
  -s "$TMP/hook-b" >"$TMP/udhcpc-b.log" 2>&1 &
b=$!
STARTED+=("$a" "$b")
wait "$a" || fail "the client on dg44 got no lease"
wait "$b" || fail "the client on dg45 got no lease"

expect_env "$TMP/a/env.bound" ip 172.20.44.2
expect_env "$TMP/a/env.bound" router 172.20.44.1
expect_env "$TMP/a/env.bound" hostname first
expect_env "$TMP/b/env.bound" ip 172.20.45.2
expect_env "$TMP/b/env.bound" router 172.20.45.1
expect_env "$TMP/b/env.bound" hostname second

for n in 44 45; do
  requests=$(grep -c "DHCPREQUEST" "$TMP/dhcpd-$n.log")
  [ "$requests" -eq 1 ] || fail "daemon $n saw $requests requests, not 1"
done
a_mac=$(ip -n "$guest1" link show dg44 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
grep -q "$a_mac" "$TMP/dhcpd-45.log" && fail "daemon 45 heard the client of dg44"

stop_daemon "$first"
stop_daemon "$second"
echo "PASS"
