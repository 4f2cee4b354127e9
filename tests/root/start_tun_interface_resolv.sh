#!/bin/bash
# Without a `dns` setting the guest gets the host's nameservers from
# /etc/resolv.conf - also when that is a symlink, as with systemd-resolved
# or resolvconf - minus the loopback ones (a guest's 127/8 is not the
# host's). /etc is a tmpfs in a private mount namespace here, so the real
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
# shellcheck disable=SC2016 # expanded by the inner shell
ip netns exec "$host" unshare -m sh -c '
  mount -t tmpfs -o mode=0755 runall-etc /etc || exit 90
  ln -s "$1/resolv.real" /etc/resolv.conf || exit 91
  exec "$2" -C "$1/nodns.conf" tap4' _ "$TMP" "$STI" >"$TMP/sti.log" 2>&1 ||
  fail "start-tun-interface tap4: $(cat "$TMP/sti.log")"
grep -q "no DNS servers" "$TMP/sti.log" && fail "resolv.conf was not read"
lease "$guest" g || fail "no lease: $(cat "$TMP/udhcpc-g.log")"
expect_env "$TMP/env.bound.g" dns "192.0.2.77 198.51.100.9"
echo PASS
