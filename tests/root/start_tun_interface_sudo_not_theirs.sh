#!/bin/bash
# Issue 9, item 1: through sudo a member acts only on taps that are their
# own and that start-tun-interface -c made. As alice, configuring or
# stopping (-k) a VPN's tun0 (tun mode, 10.8.0.6/24), an unowned root tap,
# a veth named tap7, a bridge named tun9, a tap of alice's that root made
# (not -c), a device of alice's in tun mode, and bob's own -c tap (with his
# DHCP server running) is refused with the reason, and every address, link
# and route, the run directory and bob's server stay as they were. alice's
# own -c tap works: configured, served, stopped; -k on it while it is in
# use stops its server and takes the plan address off. Real root may still
# configure the unowned tap.
set -u
# shellcheck disable=SC2034 # read by ns_helpers.bash
NS_TAG=sti-not-theirs
# shellcheck disable=SC1091 # sudo_taps.bash is linted on its own
. "$RUNALL_TOP/tests/root/sudo_taps.bash"
TAP_HOLDER=$BUILD/tests/tap_holder
[ -x "$TAP_HOLDER" ] || fail "$TAP_HOLDER is not built (make check builds it)"

NS=${NS_TAG}-$$
export NS
make_ns "$NS"
# What root has in the namespace, none of it alice's to touch.
ip -n "$NS" tuntap add dev tun0 mode tun || fail "tun0"
ip -n "$NS" addr add 10.8.0.6/24 dev tun0 || fail "tun0 address"
ip -n "$NS" link set tun0 up
ip -n "$NS" tuntap add dev tap3 mode tap || fail "tap3"
ip -n "$NS" link add tap7 type veth peer name peer7 || fail "veth tap7"
ip -n "$NS" addr add 10.7.0.1/24 dev tap7
ip -n "$NS" link set tap7 up
ip -n "$NS" link add tun9 type bridge || fail "bridge tun9"
ip -n "$NS" addr add 10.9.0.1/24 dev tun9
ip -n "$NS" link set tun9 up
ip -n "$NS" tuntap add dev tap4 mode tap user 61001 || fail "tap4"
ip -n "$NS" tuntap add dev tap2 mode tun user 61001 || fail "tap2"

# bob's own tap, made and served through sudo.
cat >"$TMP/bob.sh" <<'STAGE'
as "$NS" bob bob-c sudo -n "$STI" -c tap8
as "$NS" bob bob-up sudo -n "$STI" tap8
STAGE
stage_run "$TMP/bob.sh"
expect bob-c 0 "created tap8: persistent tap, owner uid 61002"
expect bob-up 0 ""
serving "$NS" tap8 || fail "bob's tap8 has no DHCP server: $(out bob-up)"
bob_server=$(server_of "$NS" tap8)

before=$(net_state "$NS")
cat >"$TMP/attacks.sh" <<'STAGE'
for i in tun0 tap3 tap7 tun9 tap4 tap2 tap8; do
  as "$NS" alice "up-$i" sudo -n "$STI" "$i"
  as "$NS" alice "k-$i" sudo -n "$STI" -k "$i"
done
STAGE
stage_run "$TMP/attacks.sh"
for op in up k; do
  expect "$op-tun0" 1 "tun0: a TUN device in tun mode, not a tap; refused"
  expect "$op-tap3" 1 "tap3: a tap without an owner, which only root may use; refused"
  expect "$op-tap7" 1 "tap7: not a tap (not a TUN/TAP device at all); refused"
  expect "$op-tun9" 1 "tun9: not a tap (not a TUN/TAP device at all); refused"
  expect "$op-tap4" 1 "tap4: not made by start-tun-interface -c in this network namespace; refused"
  expect "$op-tap2" 1 "tap2: a TUN device in tun mode, not a tap; refused"
  expect "$op-tap8" 1 "tap8: owned by uid 61002, not by uid 61001; refused"
done
after=$(net_state "$NS")
[ "$after" = "$before" ] ||
  fail "a refusal changed the namespace or the run directory: $(diff <(echo "$before") <(echo "$after"))"
ip -n "$NS" -o -4 addr show dev tun0 | grep -q "inet 10.8.0.6/24 " ||
  fail "the VPN lost its address: $(ip -n "$NS" -o -4 addr show dev tun0)"
[ "$(server_of "$NS" tap8)" = "$bob_server" ] || fail "bob's DHCP server was replaced"
alive "$bob_server" || fail "bob's DHCP server was stopped"
grep -q "172.20" <(ip -n "$NS" -o -4 addr show | grep -v tap8) &&
  fail "a plan address was given: $(ip -n "$NS" -o -4 addr show)"

# alice's own: made by -c, configured, then stopped while QEMU (here
# tap_holder) has it open: the server goes, the tap stays, and so does
# nothing of what start-tun-interface gave it.
cat >"$TMP/own.sh" <<'STAGE'
as "$NS" alice own-c sudo -n "$STI" -c tap5
as "$NS" alice own-up sudo -n "$STI" tap5
STAGE
stage_run "$TMP/own.sh"
expect own-c 0 "created tap5: persistent tap, owner uid 61001"
expect own-up 0 ""
ip -n "$NS" -o -4 addr show dev tap5 | grep -q "inet 172.20.5.1/24 " ||
  fail "alice's tap5 was not configured: $(out own-up)"
serving "$NS" tap5 || fail "alice's tap5 has no server"
own_server=$(server_of "$NS" tap5)
ip netns exec "$NS" "$TAP_HOLDER" tap5 >"$TMP/holder.log" 2>&1 &
holder=$!
STARTED+=("$holder")
for _ in $(seq 50); do grep -q attached "$TMP/holder.log" && break; sleep 0.1; done
grep -q attached "$TMP/holder.log" || fail "tap_holder did not attach tap5"
cat >"$TMP/stop.sh" <<'STAGE'
as "$NS" alice own-k-busy sudo -n "$STI" -k tap5
STAGE
stage_run "$TMP/stop.sh"
expect own-k-busy 1 "tap5: in use by a process (QEMU?); not removed"
expect own-k-busy 1 "tap5: address 172.20.5.1/24 removed"
alive "$own_server" && fail "-k left alice's server running"
ip -n "$NS" -o -4 addr show dev tap5 | grep -q inet &&
  fail "-k left an address on tap5: $(ip -n "$NS" -o -4 addr show dev tap5)"
kill "$holder"
wait "$holder" 2>/dev/null
cat >"$TMP/stop2.sh" <<'STAGE'
as "$NS" alice own-k sudo -n "$STI" -k tap5
# Root, not through sudo, keeps its freedom with an unowned tap.
ip netns exec "$NS" "$STI" tap3 >"$TMP/root-up.log" 2>&1
echo $? >"$TMP/root-up.rc"
STAGE
stage_run "$TMP/stop2.sh"
expect own-k 0 "tap5: removed"
ip -n "$NS" link show tap5 >/dev/null 2>&1 && fail "tap5 was not removed"
[ -e "$(ns_run_dir "$NS")/tap5.created" ] && fail "tap5's mark stayed"
expect root-up 0 ""
ip -n "$NS" -o -4 addr show dev tap3 | grep -q "inet 172.20.3.1/24 " ||
  fail "root could not configure its own tap3: $(out root-up)"
serving "$NS" tap8 || fail "bob's server is gone"
echo PASS
