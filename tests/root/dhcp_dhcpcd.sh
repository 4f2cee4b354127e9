#!/bin/bash
# dhcpcd gets a lease from the embedded DHCP server, then asks for
# configuration only (DHCPINFORM) from a static address: the answer carries
# router, DNS and hostname but no lease. dhcpcd runs in a private mount
# namespace with its own /run and /var/lib/dhcpcd, so that it neither sees
# nor touches another dhcpcd's pid files, sockets or leases.
set -u
# shellcheck disable=SC1091 # dhcp_helpers.bash is linted on its own
source "$RUNALL_TOP/tests/root/dhcp_helpers.bash"
command -v dhcpcd >/dev/null || fail "dhcpcd (dhcpcd-base) is not installed"

host=${PREFIX}h guest=${PREFIX}g
make_ns "$host"
make_ns "$guest"
make_link 43 "$host" "$guest"
start_daemon "$host" 43 -n guest43 -d example.test -D 192.0.2.53
daemon=$DAEMON_PID

hook=$TMP/hook
write_env_hook "$hook" "$TMP"
# Our own hook replaces dhcpcd-run-hooks, so nothing on this machine (its
# hostname, resolv.conf) is changed; noarp skips the 5 s address probe.
cat >"$TMP/dhcpcd.conf" <<'CONF'
option domain_name_servers, domain_name, host_name
noarp
CONF

# run_dhcpcd LOG ARGS...: dhcpcd -1 (once) -4 -B (foreground) in the guest.
run_dhcpcd() {
  local log=$1
  shift
  timeout 30 ip netns exec "$guest" unshare -m sh -c '
    mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/lib/dhcpcd &&
    exec dhcpcd "$@"' dhcpcd -f "$TMP/dhcpcd.conf" -c "$hook" -1 -4 -B \
    -t 20 "$@" >"$log" 2>&1
}

run_dhcpcd "$TMP/dhcpcd-lease.log" dg43 || fail "dhcpcd got no lease"
bound=$TMP/env.BOUND
[ -f "$bound" ] || fail "dhcpcd never ran its hook with BOUND"
expect_env "$bound" new_ip_address 172.20.43.2
expect_env "$bound" new_subnet_mask 255.255.255.0
expect_env "$bound" new_routers 172.20.43.1
expect_env "$bound" new_host_name guest43
expect_env "$bound" new_domain_name example.test
expect_env "$bound" new_domain_name_servers 192.0.2.53
expect_env "$bound" new_dhcp_lease_time 120
expect_env "$bound" new_dhcp_server_identifier 172.20.43.1
ip -n "$guest" addr show dg43 | grep -q "172.20.43.2/24" ||
  fail "dhcpcd did not configure the address"

# INFORM from an address configured by hand: configuration, no lease.
# (dhcpcd 9.4.1 may crash when it has to add the address itself.)
ip -n "$guest" addr flush dev dg43
ip -n "$guest" addr add 172.20.43.2/24 dev dg43
run_dhcpcd "$TMP/dhcpcd-inform.log" -s 172.20.43.2/24 dg43 ||
  fail "dhcpcd got no answer to DHCPINFORM"
inform=$TMP/env.INFORM
[ -f "$inform" ] || fail "dhcpcd never ran its hook with INFORM"
expect_env "$inform" new_routers 172.20.43.1
expect_env "$inform" new_domain_name_servers 192.0.2.53
expect_env "$inform" new_host_name guest43
[ -z "$(env_value "$inform" new_dhcp_lease_time)" ] ||
  fail "the INFORM answer carried a lease time"
grep -q "DHCPINFORM from .*: DHCPACK 172.20.43.2 to 172.20.43.2" \
  "$TMP/dhcpd-43.log" || fail "the INFORM was not answered by unicast"

alive "$daemon" || fail "the daemon died"
stop_daemon "$daemon"
echo "PASS"
