#!/bin/bash
# Issue 9, item 7: through sudo one member cannot take every tap of the
# plan; -c stops at max_taps_per_user (16 by default) taps the user owns in
# the namespace, and says so. alice's -c -n 256 makes 16 and exits 1 with
# the reason; her -c tap200 is then refused and changes nothing; bob still
# gets his; once alice removes one of hers she may make one again. Root,
# not through sudo, is not limited. Runs started at once to get round the
# count get no more than the limit either.
set -u
# shellcheck disable=SC2034 # read by ns_helpers.bash
NS_TAG=sti-limit
# shellcheck disable=SC1091 # sudo_taps.bash is linted on its own
. "$RUNALL_TOP/tests/root/sudo_taps.bash"

NS=${NS_TAG}-$$
export NS
make_ns "$NS"
conf=$SYSCONF/runall.conf
owned() { ip -n "$NS" -d link show | grep -c "persist on user $1 "; }

cat >"$TMP/grab.sh" <<'STAGE'
as "$NS" alice all sudo -n "$STI" -c -n 256
STAGE
stage_run "$TMP/grab.sh"
expect all 1 "only 16 of 256 taps created: uid 61001 owns 16 taps in this network namespace, as many as max_taps_per_user in $conf allows"
[ "$(out all | grep -c '^created tap')" = 16 ] || fail "-c -n 256 said: $(out all)"
[ "$(owned 61001)" = 16 ] || fail "alice owns $(owned 61001) taps"

before=$(net_state "$NS")
cat >"$TMP/more.sh" <<'STAGE'
as "$NS" alice more sudo -n "$STI" -c tap200
STAGE
stage_run "$TMP/more.sh"
expect more 1 "tap200: refused: uid 61001 owns 16 taps in this network namespace, as many as max_taps_per_user in $conf allows"
after=$(net_state "$NS")
[ "$after" = "$before" ] ||
  fail "the refusal changed something: $(diff <(echo "$before") <(echo "$after"))"

cat >"$TMP/others.sh" <<'STAGE'
as "$NS" bob bob sudo -n "$STI" -c -n 2
as "$NS" alice free sudo -n "$STI" -k tap0
as "$NS" alice again sudo -n "$STI" -c tap200
ip netns exec "$NS" "$STI" -c -n 20 >"$TMP/root.log" 2>&1
echo $? >"$TMP/root.rc"
STAGE
stage_run "$TMP/others.sh"
expect bob 0 "created tap16: persistent tap, owner uid 61002"
expect bob 0 "created tap17: persistent tap, owner uid 61002"
expect free 0 "tap0: removed"
expect again 0 "created tap200: persistent tap, owner uid 61001"
[ "$(owned 61001)" = 16 ] || fail "alice owns $(owned 61001) taps"
expect root 0 ""
[ "$(out root | grep -c '^created tap')" = 20 ] || fail "root's -c -n 20 said: $(out root)"

# Twenty runs of bob's at once, one tap each, get no more than the limit.
cat >"$TMP/race.sh" <<'STAGE'
for n in $(seq 100 119); do
  as "$NS" bob "race-$n" sudo -n "$STI" -c "tap$n" &
done
wait
STAGE
stage_run "$TMP/race.sh"
[ "$(owned 61002)" = 16 ] || fail "bob owns $(owned 61002) taps after twenty runs at once"
refused=0
for n in $(seq 100 119); do
  [ "$(rc "race-$n")" = 1 ] && refused=$((refused + 1)) &&
    expect "race-$n" 1 "tap$n: refused: uid 61002 owns 16 taps"
done
[ "$refused" = 6 ] || fail "$refused of twenty runs refused, not 6"
echo PASS
