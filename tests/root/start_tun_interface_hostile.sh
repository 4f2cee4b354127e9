#!/bin/bash
# Hostile or malformed arguments change nothing: exit 100, no address on
# any interface, no run directory, no daemon, the hostname file not used,
# the hosts file untouched. -C through sudo (SUDO_UID set) is refused the
# same way; a well-formed name of a missing interface exits 1, also
# changing nothing.
set -u
# shellcheck disable=SC1091 # start_tun_helpers.bash is linted on its own
source "$RUNALL_TOP/tests/root/start_tun_helpers.bash"

ns=${PREFIX}x
make_ns "$ns"
# Interfaces with names close to the hostile ones, to show none is touched.
ip -n "$ns" link add tap5 type veth peer name tun5 || fail "veth tap5"
ip -n "$ns" link add tap0 type veth peer name eth0 || fail "veth tap0"
echo guestx >"$HN_DIR/$$"
cp "$HOSTS" "$TMP/hosts.before"

state() {
  ip -n "$ns" -4 -o addr show | grep -v ' lo '
  ip -n "$ns" -o link show | grep -c UP
  ls -A "$RUN_DIR" 2>/dev/null
  ls -A "$HN_DIR"
  cat "$HOSTS"
  ip netns pids "$ns"
}
before=$(state)

expect_refused() {  # expect_refused STATUS ARG...
  local want=$1 rc
  shift
  ip netns exec "$ns" "$STI" "$@" >"$TMP/out.log" 2>&1
  rc=$?
  [ "$rc" -eq "$want" ] || fail "start-tun-interface $(printf "'%s' " "$@") exited $rc, not $want: $(cat "$TMP/out.log")"
  [ -s "$TMP/out.log" ] || fail "no message for $(printf "'%s' " "$@")"
  [ "$(state)" = "$before" ] || fail "$(printf "'%s' " "$@") changed something"
}

nl=$'\n'
# shellcheck disable=SC2016 # 'tap$(id)' must reach the tool unexpanded
for name in tap05 tap00 tap256 tap4294967296 tap-1 tap+5 tap5x tap5. \
  " tap5" "tap5 " "tap5${nl}" "tap5;reboot" 'tap$(id)' ../tap5 tap5/.. \
  /dev/tap5 TAP5 eth0 lo tap tun tap0x5 tap1e3 tap5555555555555 \
  "" "tap٥"; do
  expect_refused 100 -C "$CONF" "$name"
done
expect_refused 100 -C "$CONF" tap5 tap0
expect_refused 100 -C "$CONF"
expect_refused 100 -C "$CONF" -c tun5
expect_refused 100 -C "$CONF" -c tap5 -k tap5
expect_refused 100 -C "$CONF" -k tap05
expect_refused 100 -C "$CONF" -c -n 0
expect_refused 100 -C "$CONF" -c -n 300
expect_refused 100 -C "$CONF" --frobnicate tap5
expect_refused 100 -C relative.conf tap5
# Through sudo, -C is never taken: the settings could point anywhere.
SUDO_UID=65534 expect_refused 100 -C "$CONF" tap5
SUDO_UID=65534 expect_refused 100 -C "$CONF" -k tap5
grep -q "not accepted when run through sudo" "$TMP/out.log" ||
  fail "-C through sudo: $(cat "$TMP/out.log")"
# A valid name without an interface: refused before anything is done.
expect_refused 1 -C "$CONF" tap9
# An unsafe settings file is refused too.
cp "$CONF" "$TMP/open.conf"
chmod 0666 "$TMP/open.conf"
expect_refused 111 -C "$TMP/open.conf" tap5
ip netns exec "$ns" "$STI" --help >"$TMP/help.log" 2>&1 || fail "--help failed"
grep -q "^usage: start-tun-interface" "$TMP/help.log" || fail "no usage"
echo PASS
