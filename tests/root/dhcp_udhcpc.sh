#!/bin/bash
# busybox udhcpc gets a lease from the embedded DHCP server over a veth pair:
# address, mask, router, hostname, domain, DNS, lease time, its client
# identifier echoed; a renewal by unicast; and a client with a new MAC
# (a rebooted guest) gets the same address while the first lease runs.
set -u
# shellcheck disable=SC1091 # dhcp_helpers.bash is linted on its own
source "$RUNALL_TOP/tests/root/dhcp_helpers.bash"
command -v busybox >/dev/null || fail "busybox is not installed"

host=${PREFIX}h guest=${PREFIX}g
make_ns "$host"
make_ns "$guest"
make_link 41 "$host" "$guest"
start_daemon "$host" 41 -n guest41 -d example.test -D 192.0.2.53 -D 192.0.2.54 -l 120
daemon=$DAEMON_PID
# Its log says what it offers, DNS servers included.
grep -q "serving 172.20.41.2 to one guest: .*, dns 192.0.2.53,192.0.2.54" "$TMP/dhcpd-41.log" ||
  fail "the log does not say which DNS servers are offered: $(head -3 "$TMP/dhcpd-41.log")"
hook=$TMP/hook
write_env_hook "$hook" "$TMP"

# One lease, then exit (-q); -n: fail rather than retry for ever.
ip netns exec "$guest" busybox udhcpc -i dg41 -f -q -n -t 5 -T 1 -s "$hook" \
  >"$TMP/udhcpc-1.log" 2>&1 || fail "udhcpc got no lease"
bound=$TMP/env.bound
[ -f "$bound" ] || fail "udhcpc never ran its script with 'bound'"
expect_env "$bound" ip 172.20.41.2
expect_env "$bound" subnet 255.255.255.0
expect_env "$bound" router 172.20.41.1
expect_env "$bound" serverid 172.20.41.1
expect_env "$bound" hostname guest41
expect_env "$bound" domain example.test
expect_env "$bound" dns "192.0.2.53 192.0.2.54"
expect_env "$bound" lease 120
# udhcpc sends option 61 (01 + its MAC); RFC 6842 wants it back.
mac=$(ip -n "$guest" link show dg41 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
expect_env "$bound" opt61 "01${mac//:/}"
ip -n "$guest" addr show dg41 | grep -q "172.20.41.2/24" ||
  fail "the hook did not configure the address"

# Renewing: udhcpc stays in the foreground; SIGUSR1 makes it renew, by
# unicast from its address, and the daemon must answer by unicast.
rm -f "$bound"
ip netns exec "$guest" busybox udhcpc -i dg41 -f -t 5 -T 1 -s "$hook" \
  >"$TMP/udhcpc-2.log" 2>&1 &
client=$!
STARTED+=("$client")
wait_for_file "$bound" 50 || fail "second udhcpc got no lease"
kill -USR1 "$client"
wait_for_file "$TMP/env.renew" 50 || fail "udhcpc did not renew"
expect_env "$TMP/env.renew" ip 172.20.41.2
wait_for_line "$TMP/dhcpd-41.log" "DHCPACK 172.20.41.2 to 172.20.41.2" 20 ||
  fail "the renewal was not answered by unicast"
kill "$client"
wait "$client" 2>/dev/null

# A new MAC while the lease runs: the guest rebooted with another NIC.
ip -n "$guest" addr flush dev dg41
ip -n "$guest" link set dg41 address 02:00:00:00:41:02
rm -f "$bound"
ip netns exec "$guest" busybox udhcpc -i dg41 -f -q -n -t 5 -T 1 -s "$hook" \
  >"$TMP/udhcpc-3.log" 2>&1 || fail "udhcpc with a new MAC got no lease"
expect_env "$bound" ip 172.20.41.2
grep -q "from 02:00:00:00:41:02 while another client's lease runs" \
  "$TMP/dhcpd-41.log" || fail "the takeover was not logged"

alive "$daemon" || fail "the daemon died"
stop_daemon "$daemon"
grep -q "stopping on SIGTERM" "$TMP/dhcpd-41.log" || fail "no stop message"
echo "PASS"
