#!/bin/bash
# Two guests at once: tap5 and tap6 each get their own address and their
# own DHCP server, each guest gets its own lease and name, and restarting
# one interface's server leaves the other's alone.
set -u
# shellcheck disable=SC1091 # start_tun_helpers.bash is linted on its own
source "$RUNALL_TOP/tests/root/start_tun_helpers.bash"
command -v busybox >/dev/null || fail "busybox is not installed"

host=${PREFIX}h g5=${PREFIX}g5 g6=${PREFIX}g6
make_ns "$host"
make_ns "$g5"
make_ns "$g6"
make_guest_link "$host" tap5 "$g5"
make_guest_link "$host" tap6 "$g6"

for n in 5 6; do
  # shellcheck disable=SC2016 # expanded by the inner bash
  bash -c 'echo "guest$5" >"$1/$$"; exec ip netns exec "$2" "$3" -C "$4" "tap$5"' \
    _ "$HN_DIR" "$host" "$STI" "$CONF" "$n" >"$TMP/sti-$n.log" 2>&1 ||
    fail "start-tun-interface tap$n: $(cat "$TMP/sti-$n.log")"
  expect_host_addr "$host" "tap$n"
done
p5=$(daemon_pid "$host" tap5) p6=$(daemon_pid "$host" tap6)
[ "$p5" != "$p6" ] || fail "one server for two interfaces"
alive "$p5" || fail "tap5's server is missing"
alive "$p6" || fail "tap6's server is missing"

lease "$g5" 5 & l5=$!
lease "$g6" 6 & l6=$!
wait "$l5" || fail "no lease on tap5: $(cat "$TMP/udhcpc-5.log")"
wait "$l6" || fail "no lease on tap6: $(cat "$TMP/udhcpc-6.log")"
for n in 5 6; do
  expect_env "$TMP/env.bound.$n" ip "172.20.$n.2"
  expect_env "$TMP/env.bound.$n" router "172.20.$n.1"
  expect_env "$TMP/env.bound.$n" hostname "guest$n"
  grep -qx "172.20.$n.2[[:space:]]guest$n # uid=0" "$HOSTS" || fail "guest$n not mapped"
done

sti "$host" tap5 >"$TMP/sti-5b.log" 2>&1 || fail "restart of tap5"
alive "$p5" && fail "the old tap5 server still runs"
alive "$p6" || fail "restarting tap5 stopped tap6's server"
[ "$(daemon_pid "$host" tap6)" = "$p6" ] || fail "tap6's pid file changed"
lease "$g6" 6b || fail "tap6 stopped answering"
lease "$g5" 5b || fail "the new tap5 server does not answer"
expect_env "$TMP/env.bound.5b" ip 172.20.5.2
echo PASS
