#!/bin/bash
# Issue 9, item 5: a tap whose network overlaps one already in its
# namespace is refused, naming what it collides with and the setting
# net_base, for a member through sudo and for root alike; nothing changes
# and the network keeps its routes.
#
# alice made tap6 with -c; root then adds a Docker-like bridge holding
# 172.20.0.1/16. Configuring tap6 (alice, and root directly), -c tap7 and
# -c -n 2 are refused; `ip route get 172.20.6.7` still says the bridge.
# With the bridge gone, a route to 172.20.6.128/25 via another interface
# is refused the same way, an unreachable route too; with only a default
# route left, tap6 is configured and takes 172.20.6.7.
set -u
# shellcheck disable=SC2034 # read by ns_helpers.bash
NS_TAG=sti-overlap
# shellcheck disable=SC1091 # sudo_taps.bash is linted on its own
. "$RUNALL_TOP/tests/root/sudo_taps.bash"

NS=${NS_TAG}-$$
export NS
make_ns "$NS"
conf=$SYSCONF/runall.conf

cat >"$TMP/make.sh" <<'STAGE'
as "$NS" alice c sudo -n "$STI" -c tap6
STAGE
stage_run "$TMP/make.sh"
expect c 0 "created tap6"

ip -n "$NS" link add br-docker type bridge || fail "bridge"
ip -n "$NS" addr add 172.20.0.1/16 dev br-docker
ip -n "$NS" link set br-docker up
route_before=$(ip -n "$NS" route get 172.20.6.7)
[[ $route_before == *"dev br-docker"* ]] || fail "the bridge does not route 172.20.6.7: $route_before"

before=$(net_state "$NS")
cat >"$TMP/attack.sh" <<'STAGE'
as "$NS" alice up sudo -n "$STI" tap6
as "$NS" alice c7 sudo -n "$STI" -c tap7
as "$NS" alice cn sudo -n "$STI" -c -n 2
ip netns exec "$NS" "$STI" tap6 >"$TMP/root-up.log" 2>&1
echo $? >"$TMP/root-up.rc"
STAGE
stage_run "$TMP/attack.sh"
for name in up root-up; do
  expect "$name" 1 "tap6: its network 172.20.6.0/24 overlaps the address 172.20.0.1/16 on br-docker; refused (the setting net_base in $conf moves the address plan)"
done
expect c7 1 "tap7: its network 172.20.7.0/24 overlaps the address 172.20.0.1/16 on br-docker; refused (the setting net_base in $conf moves the address plan)"
expect cn 1 "only 0 of 2 taps created: 255 free names of the plan overlap networks in use, the first thus: tap0: its network 172.20.0.0/24 overlaps the address 172.20.0.1/16 on br-docker"
after=$(net_state "$NS")
[ "$after" = "$before" ] ||
  fail "a refusal changed something: $(diff <(echo "$before") <(echo "$after"))"
[ "$(ip -n "$NS" route get 172.20.6.7)" = "$route_before" ] ||
  fail "172.20.6.7 is routed elsewhere now: $(ip -n "$NS" route get 172.20.6.7)"

# A route, not an address, in the way; then one without an interface.
ip -n "$NS" link del br-docker
ip -n "$NS" link add lan0 type veth peer name lan1 || fail "lan0"
ip -n "$NS" link set lan0 up
ip -n "$NS" route add 172.20.6.128/25 dev lan0 || fail "route"
ip -n "$NS" route add unreachable 172.20.0.0/23 || fail "unreachable route"
before=$(net_state "$NS")
cat >"$TMP/routes.sh" <<'STAGE'
as "$NS" alice route-up sudo -n "$STI" tap6
as "$NS" alice route-c0 sudo -n "$STI" -c tap0
STAGE
stage_run "$TMP/routes.sh"
expect route-up 1 "tap6: its network 172.20.6.0/24 overlaps the route to 172.20.6.128/25 via lan0; refused"
expect route-c0 1 "tap0: its network 172.20.0.0/24 overlaps the route to 172.20.0.0/23 (without an interface); refused"
after=$(net_state "$NS")
[ "$after" = "$before" ] ||
  fail "a refusal changed something: $(diff <(echo "$before") <(echo "$after"))"

# Only a default route: every guest network lies in it, and that is fine.
ip -n "$NS" route del 172.20.6.128/25 dev lan0
ip -n "$NS" route add default dev lan0 || fail "default route"
cat >"$TMP/ok.sh" <<'STAGE'
as "$NS" alice ok sudo -n "$STI" tap6
STAGE
stage_run "$TMP/ok.sh"
expect ok 0 ""
[[ $(ip -n "$NS" route get 172.20.6.7) == *"dev tap6"* ]] ||
  fail "tap6 does not route its guest: $(ip -n "$NS" route get 172.20.6.7)"
serving "$NS" tap6 || fail "tap6 has no server"
echo PASS
