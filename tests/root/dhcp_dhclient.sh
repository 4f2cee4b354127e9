#!/bin/bash
# ISC dhclient gets a lease from the embedded DHCP server. It starts with a
# remembered lease for an address that is not ours (INIT-REBOOT): the
# daemon must NAK it, and dhclient must then get the right lease, with
# routers, hostname, domain, DNS and the lease time.
set -u
# shellcheck disable=SC1091 # dhcp_helpers.bash is linted on its own
source "$RUNALL_TOP/tests/root/dhcp_helpers.bash"
command -v dhclient >/dev/null || fail "dhclient (isc-dhcp-client) is not installed"

host=${PREFIX}h guest=${PREFIX}g
make_ns "$host"
make_ns "$guest"
make_link 42 "$host" "$guest"
start_daemon "$host" 42 -n guest42 -d example.test -D 192.0.2.53
daemon=$DAEMON_PID

hook=$TMP/hook
write_env_hook "$hook" "$TMP"
cat >"$TMP/dhclient.conf" <<'CONF'
request subnet-mask, broadcast-address, routers, domain-name,
        domain-name-servers, host-name;
CONF
cat >"$TMP/leases" <<'LEASES'
lease {
  interface "dg42";
  fixed-address 172.20.42.99;
  option subnet-mask 255.255.255.0;
  option dhcp-server-identifier 172.20.42.1;
  renew 4 2037/01/01 00:00:00;
  rebind 4 2037/01/01 00:00:00;
  expire 4 2037/01/01 00:00:00;
}
LEASES

# -d keeps it in the foreground (so its pid is ours to kill), -1 makes one
# attempt; every file it writes is in $TMP.
ip netns exec "$guest" dhclient -4 -1 -d -v -cf "$TMP/dhclient.conf" \
  -sf "$hook" -lf "$TMP/leases" -pf "$TMP/dhclient.pid" dg42 \
  >"$TMP/dhclient.log" 2>&1 &
client=$!
STARTED+=("$client")
bound=$TMP/env.BOUND
wait_for_file "$bound" 200 || fail "dhclient got no lease"
kill "$client"
wait "$client" 2>/dev/null

grep -q "DHCPREQUEST for 172.20.42.99" "$TMP/dhclient.log" ||
  fail "dhclient did not try its old address first"
grep -q "DHCPNAK" "$TMP/dhclient.log" || fail "dhclient saw no NAK"
grep -q "DHCPNAK to 255.255.255.255" "$TMP/dhcpd-42.log" ||
  fail "the daemon did not broadcast a NAK"
expect_env "$bound" new_ip_address 172.20.42.2
expect_env "$bound" new_subnet_mask 255.255.255.0
expect_env "$bound" new_routers 172.20.42.1
expect_env "$bound" new_host_name guest42
expect_env "$bound" new_domain_name example.test
expect_env "$bound" new_domain_name_servers 192.0.2.53
expect_env "$bound" new_dhcp_lease_time 120
expect_env "$bound" new_dhcp_renewal_time 60
expect_env "$bound" new_dhcp_rebinding_time 105
expect_env "$bound" new_dhcp_server_identifier 172.20.42.1
grep -q "fixed-address 172.20.42.2;" "$TMP/leases" ||
  fail "dhclient did not record the lease"

alive "$daemon" || fail "the daemon died"
stop_daemon "$daemon"
echo "PASS"
