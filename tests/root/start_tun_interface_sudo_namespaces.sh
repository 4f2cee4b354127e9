#!/bin/bash
# Issue 9, item 6: servers and records (the -c marks) are kept per network
# namespace, and a run in one never touches another's; the owner check is
# never skipped because the name is missing where the run is.
#
# bob serves his -c tap20 in namespace B. alice, in namespace A where no
# tap20 exists, runs -k tap20: refused, and bob's server, mark and tap stay.
# alice makes, serves and removes her own tap20 in A: bob's server and mark
# stay through all of it. When bob's tap disappears behind his back, alice's
# -k tap20 in B is refused (the mark there is bob's), and bob's cleans up
# his server's remains and his mark.
set -u
# shellcheck disable=SC2034 # read by ns_helpers.bash
NS_TAG=sti-netns
# shellcheck disable=SC1091 # sudo_taps.bash is linted on its own
. "$RUNALL_TOP/tests/root/sudo_taps.bash"

A=${NS_TAG}-a-$$ B=${NS_TAG}-b-$$
export A B
make_ns "$A"
make_ns "$B"

cat >"$TMP/bob.sh" <<'STAGE'
as "$B" bob c sudo -n "$STI" -c tap20
as "$B" bob up sudo -n "$STI" tap20
STAGE
stage_run "$TMP/bob.sh"
expect c 0 "created tap20"
expect up 0 ""
serving "$B" tap20 || fail "bob's tap20 has no server: $(out up)"
bobs=$(server_of "$B" tap20)
bmark=$(ns_run_dir "$B")/tap20.created
[ -f "$bmark" ] || fail "no mark of bob's tap20 in B's directory"
mark=$(cat "$bmark")

before=$(net_state "$B")
cat >"$TMP/kill.sh" <<'STAGE'
as "$A" alice k-missing sudo -n "$STI" -k tap20
STAGE
stage_run "$TMP/kill.sh"
expect k-missing 1 "tap20: no such interface in this network namespace; refused"
after=$(net_state "$B")
[ "$after" = "$before" ] ||
  fail "alice's -k in A changed B: $(diff <(echo "$before") <(echo "$after"))"
alive "$bobs" || fail "alice's -k in A stopped bob's server in B"
[ "$(cat "$bmark" 2>/dev/null)" = "$mark" ] || fail "alice's -k in A took bob's mark"

cat >"$TMP/own.sh" <<'STAGE'
as "$A" alice c-own sudo -n "$STI" -c tap20
as "$A" alice up-own sudo -n "$STI" tap20
STAGE
stage_run "$TMP/own.sh"
expect c-own 0 "created tap20: persistent tap, owner uid 61001"
expect up-own 0 ""
serving "$A" tap20 || fail "alice's tap20 in A has no server: $(out up-own)"
alices=$(server_of "$A" tap20)
[ "$alices" != "$bobs" ] || fail "one server for two namespaces"
alive "$bobs" || fail "serving alice's tap20 in A stopped bob's server in B"
[ "$(server_of "$B" tap20)" = "$bobs" ] || fail "B's pid file changed"
[ "$(cat "$bmark" 2>/dev/null)" = "$mark" ] || fail "alice's -c in A overwrote bob's mark"
cat >"$TMP/own-k.sh" <<'STAGE'
as "$A" alice k-own sudo -n "$STI" -k tap20
STAGE
stage_run "$TMP/own-k.sh"
expect k-own 0 "tap20: removed"
alive "$alices" && fail "alice's server in A still runs"
alive "$bobs" || fail "alice's -k in A stopped bob's server in B"
ip -n "$B" link show tap20 >/dev/null 2>&1 || fail "bob's tap20 is gone"
[ "$(cat "$bmark" 2>/dev/null)" = "$mark" ] || fail "alice's -k in A took bob's mark"

# bob's tap vanishes (root removed it); what is left of it in B is bob's.
ip -n "$B" link del tap20 || fail "ip link del tap20"
# Its server notices and ends; the state is taken once it has.
for _ in $(seq 100); do alive "$bobs" || break; sleep 0.05; done
before=$(net_state "$B")
cat >"$TMP/gone.sh" <<'STAGE'
as "$B" alice k-gone-alice sudo -n "$STI" -k tap20
net_state "$B" >"$TMP/state.gone"
as "$B" bob k-gone-bob sudo -n "$STI" -k tap20
STAGE
stage_run "$TMP/gone.sh"
expect k-gone-alice 1 "tap20: no such interface in this network namespace, and its mark here is uid 61002's; refused"
[ "$(cat "$TMP/state.gone")" = "$before" ] ||
  fail "alice's -k of bob's vanished tap changed B: $(diff <(echo "$before") "$TMP/state.gone")"
expect k-gone-bob 0 "tap20: the tap -c created is gone"
[ -e "$bmark" ] && fail "bob's -k left his mark"
alive "$bobs" && fail "bob's server outlived his -k"
echo PASS
