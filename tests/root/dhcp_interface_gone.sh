#!/bin/bash
# The daemon exits by itself, with status 0, when its interface is deleted
# (as when qemu closes a non-persistent tap), and refuses to start on an
# interface that does not exist or with a configuration it cannot serve.
set -u
# shellcheck disable=SC1091 # dhcp_helpers.bash is linted on its own
source "$RUNALL_TOP/tests/root/dhcp_helpers.bash"

host=${PREFIX}h guest=${PREFIX}g
make_ns "$host"
make_ns "$guest"
make_link 46 "$host" "$guest"
start_daemon "$host" 46
daemon=$DAEMON_PID

ip -n "$host" link del dh46
for ((i = 0; i < 50; i++)); do
  alive "$daemon" || break
  sleep 0.1
done
alive "$daemon" && fail "the daemon still runs 5 s after its interface went"
wait "$daemon"
rc=$?
[ "$rc" -eq 0 ] || fail "exit status $rc when the interface went, not 0"
grep -q "interface gone" "$TMP/dhcpd-46.log" || fail "no log line saying why"

# Deleted and made again at once under the same name (a tap recreated for
# the next guest): the socket is tied to the old interface, so the daemon
# must go too and leave the new one to a new daemon.
make_link 48 "$host" "$guest"
start_daemon "$host" 48
daemon=$DAEMON_PID
ip -n "$host" link del dh48
make_link 48 "$host" "$guest"
for ((i = 0; i < 50; i++)); do
  alive "$daemon" || break
  sleep 0.1
done
alive "$daemon" && fail "the daemon still serves a recreated interface"
wait "$daemon" || fail "exit status $? when the interface was recreated"

ip netns exec "$host" "$HARNESS" -i dh99 -s 172.20.99.1 -c 172.20.99.2 \
  >"$TMP/missing.log" 2>&1
rc=$?
[ "$rc" -eq 111 ] || fail "missing interface: exit $rc, not 111"
grep -q "no such interface" "$TMP/missing.log" || fail "missing interface: no message"

ip netns exec "$host" "$HARNESS" -i lo -s 172.20.99.1 -c 172.20.98.2 \
  >"$TMP/invalid.log" 2>&1
rc=$?
[ "$rc" -eq 100 ] || fail "client outside the subnet: exit $rc, not 100"
grep -q "invalid configuration" "$TMP/invalid.log" || fail "invalid config: no message"
echo "PASS"
