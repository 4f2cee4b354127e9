#!/bin/bash
# start-tun-interface tap5, run the way QEMU's ifup runs it (by a process
# whose ancestor left HOSTNAMEDIR/<pid>): the host end gets 172.20.5.1/24,
# the guest's busybox udhcpc gets 172.20.5.2 with router, mask, DNS, domain,
# lease time and its hostname (option 12), the hostname is mapped in the
# hosts file, and the hostname file is used up. Run again, the tool replaces
# the old DHCP server with a new one that answers too.
set -u
# shellcheck disable=SC1091 # start_tun_helpers.bash is linted on its own
source "$RUNALL_TOP/tests/root/start_tun_helpers.bash"
command -v busybox >/dev/null || fail "busybox is not installed"

host=${PREFIX}h guest=${PREFIX}g
make_ns "$host"
make_ns "$guest"
make_guest_link "$host" tap5 "$guest"

# The parent writes its own pid's file, then execs into the chain: bash's
# exec keeps the pid, `ip netns exec` execs too, so the tool runs with the
# very pid the file is named after.
# shellcheck disable=SC2016 # expanded by the inner bash
bash -c 'echo guest5 >"$1/$$"; exec ip netns exec "$2" "$3" -C "$4" tap5' \
  _ "$HN_DIR" "$host" "$STI" "$CONF" >"$TMP/sti-1.log" 2>&1 ||
  fail "start-tun-interface tap5 failed: $(cat "$TMP/sti-1.log")"
expect_host_addr "$host" tap5
[ -z "$(ls -A "$HN_DIR")" ] || fail "the used hostname file was not deleted"
grep -q "not found" "$TMP/sti-1.log" && fail "hostname not found"
grep -qx "172.20.5.2[[:space:]]guest5 # uid=0" "$HOSTS" ||
  fail "guest5 not mapped: $(cat "$HOSTS")"
sed -n '/##STARTDYNAMIC/,/##ENDDYNAMIC/p' "$HOSTS" | grep -q guest5 ||
  fail "the mapping is outside the dynamic section"

first=$(daemon_pid "$host" tap5) || fail "no pid file for tap5"
alive "$first" || fail "the DHCP server $first is not running"
# Fully detached: its own session, stdio on /dev/null.
[ "$(ps -o sid= -p "$first" | tr -d ' ')" != "$(ps -o sid= -p $$ | tr -d ' ')" ] ||
  fail "the daemon shares the test's session"
for fd in 0 1 2; do
  [ "$(readlink "/proc/$first/fd/$fd")" = /dev/null ] ||
    fail "daemon fd $fd is $(readlink "/proc/$first/fd/$fd")"
done

# The tool returned only once the server was answering: the lease is
# asked for at once.
lease "$guest" g || fail "udhcpc got no lease: $(cat "$TMP/udhcpc-g.log")"
bound=$TMP/env.bound.g
expect_env "$bound" ip 172.20.5.2
expect_env "$bound" subnet 255.255.255.0
expect_env "$bound" router 172.20.5.1
expect_env "$bound" serverid 172.20.5.1
expect_env "$bound" hostname guest5
expect_env "$bound" domain example.test
expect_env "$bound" dns "192.0.2.53 192.0.2.54"
expect_env "$bound" lease 300

# Again (QEMU restarted): the old server goes, a new one answers. No
# hostname file this time: said on stderr, and everything else still done.
sti "$host" tap5 >"$TMP/sti-2.log" 2>&1 ||
  fail "second start-tun-interface tap5 failed: $(cat "$TMP/sti-2.log")"
grep -q "hostname not found" "$TMP/sti-2.log" ||
  fail "no 'hostname not found' message: $(cat "$TMP/sti-2.log")"
second=$(daemon_pid "$host" tap5) || fail "no pid file after the restart"
[ "$second" != "$first" ] || fail "the DHCP server was not replaced"
alive "$first" && fail "the old DHCP server $first still runs"
alive "$second" || fail "the new DHCP server $second is not running"
lease "$guest" g2 || fail "no lease from the new server"
expect_env "$TMP/env.bound.g2" ip 172.20.5.2
expect_env "$TMP/env.bound.g2" router 172.20.5.1
# Without a name there is no option 12.
[ -z "$(env_value "$TMP/env.bound.g2" hostname)" ] ||
  fail "hostname sent though none was found"
grep -c guest5 "$HOSTS" | grep -qx 1 || fail "hosts file changed: $(cat "$HOSTS")"

# -k stops it; a veth is not a tap -c made, so it stays.
sti "$host" -k tap5 >"$TMP/sti-k.log" 2>&1 || fail "-k tap5 failed"
alive "$second" && fail "-k left the DHCP server $second running"
ip -n "$host" link show tap5 >/dev/null 2>&1 || fail "-k removed a veth"
echo PASS
