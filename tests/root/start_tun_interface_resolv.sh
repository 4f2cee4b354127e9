#!/bin/bash
# Without a `dns` setting the guest gets the host's nameservers from
# /etc/resolv.conf - also when that is a symlink, as with systemd-resolved
# or resolvconf - minus the loopback ones (a guest's 127/8 is not the
# host's), and only when the host forwards the guest's packets: otherwise
# no resolver is offered (one out of reach makes every lookup in the guest
# wait for its timeout), and start-tun-interface and the DHCP server's log
# say so. /etc is a tmpfs in a private mount namespace here, so the real
# /etc/resolv.conf is never touched.
set -u
# shellcheck disable=SC1091 # start_tun_helpers.bash is linted on its own
source "$RUNALL_TOP/tests/root/start_tun_helpers.bash"
command -v busybox >/dev/null || fail "busybox is not installed"

host=${PREFIX}h guest=${PREFIX}g
make_ns "$host"
make_ns "$guest"
make_guest_link "$host" tap4 "$guest"

grep -v '^dns = ' "$CONF" >"$TMP/nodns.conf"
chmod 0644 "$TMP/nodns.conf"
printf 'search example.test\nnameserver 127.0.0.53\nnameserver 192.0.2.77\nnameserver ::1\nnameserver 198.51.100.9\n' \
  >"$TMP/resolv.real"
configure() {  # configure LOG: start-tun-interface tap4 with that resolv.conf
  # shellcheck disable=SC2016 # expanded by the inner shell
  ip netns exec "$host" unshare -m sh -c '
    mount -t tmpfs -o mode=0755 runall-etc /etc || exit 90
    ln -s "$1/resolv.real" /etc/resolv.conf || exit 91
    exec "$2" -C "$1/nodns.conf" tap4' _ "$TMP" "$STI" >"$TMP/$1" 2>&1 ||
    fail "start-tun-interface tap4: $(cat "$TMP/$1")"
  grep -q "no DNS servers" "$TMP/$1" && fail "resolv.conf was not read"
}

# A new namespace does not forward: none of the host's resolvers is
# reachable from the guest.
[ "$(ip netns exec "$host" cat /proc/sys/net/ipv4/ip_forward)" = 0 ] ||
  fail "a new namespace forwards packets"
configure sti-noforward.log
grep -q "left out 192.0.2.77 198.51.100.9 of /etc/resolv.conf: the host does not forward" "$TMP/sti-noforward.log" ||
  fail "the unreachable resolvers' omission is not explained: $(cat "$TMP/sti-noforward.log")"
grep -q "offered no DNS server" "$TMP/sti-noforward.log" || fail "no word that none is offered"
lease "$guest" g || fail "no lease: $(cat "$TMP/udhcpc-g.log")"
expect_env "$TMP/env.bound.g" dns ""
# systemd-resolved's stub alone: nothing to offer, and said why.
printf 'nameserver 127.0.0.53\noptions edns0\n' >"$TMP/resolv.real"
configure sti-stub.log
grep -q "names no resolver but loopback ones (such as systemd-resolved's 127.0.0.53)" "$TMP/sti-stub.log" ||
  fail "the stub's omission is not explained: $(cat "$TMP/sti-stub.log")"
printf 'search example.test\nnameserver 127.0.0.53\nnameserver 192.0.2.77\nnameserver ::1\nnameserver 198.51.100.9\n' \
  >"$TMP/resolv.real"

# A host that forwards (and so may route the guest to its resolvers).
ip netns exec "$host" sysctl -q -w net.ipv4.ip_forward=1 || fail "cannot turn forwarding on"
configure sti.log
grep -q "left out 192.0.2.77" "$TMP/sti.log" && fail "reachable resolvers were left out"
lease "$guest" g || fail "no lease: $(cat "$TMP/udhcpc-g.log")"
expect_env "$TMP/env.bound.g" dns "192.0.2.77 198.51.100.9"
echo PASS
