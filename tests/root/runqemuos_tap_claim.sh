#!/bin/bash
# shellcheck disable=SC1091,SC2016,SC2034 # sudo_stage.bash is linted on its own; the stage script is written out unexpanded; NS_TAG is read by ns_helpers.bash
# runqemuos -N run by an ordinary user claims only a tap owned by that user,
# never one of its group or of nobody (which start-tun-interface through
# sudo refuses, and which may be someone else's); root keeps its order
# (its own, a group's, nobody's). Acted out by alice, a member of the group
# runall, through real sudo and the shipped drop-in (tests/root/
# sudo_stage.bash), in a network namespace holding a tap of the group
# runall (tap0), an unowned one (tap1) and bob's (tap2):
#   - alice without a tap of her own is refused, saying so, and nothing is
#     left behind: no hostname or launch file, no tap touched or configured;
#   - with a tap made by `sudo start-tun-interface -c`, she gets that one
#     (not the lower tap0 or tap1), and start-tun-interface configures it;
#   - with her tap in use she is refused again ("all 1 ... in use"), tap0
#     and tap1 still free and unconfigured;
#   - root's runqemuos takes the unowned tap1.
# On the code before this change alice got tap0, the group's tap.
NS_TAG=rqclaim
# shellcheck source=tests/root/sudo_stage.bash
. "$RUNALL_TOP/tests/root/sudo_stage.bash"
[ -x "$BUILD/tests/fake-qemu" ] || fail "build the test tools first (make test-programs)"
NS=runall-rqclaim-$$
make_ns "$NS"
ip -n "$NS" tuntap add dev tap0 mode tap group 61000 || fail "tap0"
ip -n "$NS" tuntap add dev tap1 mode tap || fail "tap1"
ip -n "$NS" tuntap add dev tap2 mode tap user 61002 || fail "tap2"
A=$TMP/home-alice
mkdir "$A/launch"
truncate -s 1M "$A/g.img" "$A/h.img"
chown -R 61001:61000 "$A"
export NS A

cat >"$TMP/claim.bash" <<'EOF'
FQ=$TOOLS/fake-qemu
HN=$TMP/hostnames
rq() {  # rq NAME HOST IMAGE: alice's runqemuos -b -N
  as "$NS" alice "$1" "$STAGE/bin/runqemuos" -b -N e1000 "$2" "$HN" "$A/launch" \
    "$FQ" -drive "file=$A/$3,format=raw" -fake-report "$A/$1.rep"
}
# snapshot STEP: the addresses, alice's launch files and her hostname files
# after STEP.
snapshot() {
  ip -n "$NS" -4 -o addr show >"$TMP/$1.addrs"
  # (The monitor sockets' directory, .monitor-UID, stays once made.)
  ls -A "$A/launch" | grep -v '^\.monitor-[0-9]*$' >"$TMP/$1.launch"
  find "$HN" -mindepth 1 -user 61001 >"$TMP/$1.hn"
}
rq none g1 g.img
snapshot none
as "$NS" alice create sudo -n "$SBIN/start-tun-interface" -c -n 1
rq own g1 g.img
# Her tap is held by the guest above: the next one finds none free.
rq busy g2 h.img
snapshot busy
# Root (no sudo) runs the staged start-tun-interface itself.
ip netns exec "$NS" "$STAGE/bin/runqemuos" -b -N e1000 r1 "$HN" "$TMP" "$FQ" \
  -drive "file=$TMP/root.img,format=raw" -fake-report "$TMP/root.rep" \
  >"$TMP/root.log" 2>&1
echo $? >"$TMP/root.rc"
EOF
truncate -s 1M "$TMP/root.img"
stage_run "$TMP/claim.bash"

ok() { echo "ok: $*"; }
addr() { ip -n "$NS" -4 -o addr show dev "$1" | awk '{ print $4 }'; }
# configured STEP TAP: TAP had an address after STEP.
configured() { awk -v t="$2" '$2 == t { print $4 }' "$TMP/$1.addrs"; }
field() { sed -n "s/^$2=//p" "$1"; }

# No tap of her own: refused, nothing made, no tap touched.
[ "$(rc none)" = 1 ] || fail "no own tap: exit $(rc none): $(out none)"
[[ $(out none) == *"no free tap: no persistent tap owned by this user (uid 61001)"* ]] ||
  fail "no own tap: message: $(out none)"
[ ! -e "$A/none.rep" ] || fail "no own tap: QEMU started on $(field "$A/none.rep" tap)"
[ ! -s "$TMP/none.launch" ] || fail "no own tap: launch file left: $(cat "$TMP/none.launch")"
[ ! -s "$TMP/none.hn" ] || fail "no own tap: hostname file left: $(cat "$TMP/none.hn")"
for t in tap0 tap1 tap2; do
  [ -z "$(configured none $t)" ] || fail "no own tap: $t was configured: $(configured none $t)"
done
ok "alice without a tap of her own: $(grep -o 'no free tap.*' "$TMP/none.log")"

# Her own tap, made with -c, rather than the lower tap0 (group) or tap1.
[ "$(rc create)" = 0 ] || fail "sudo start-tun-interface -c: $(out create)"
own=$(sed -n 's/^created \(tap[0-9]*\): persistent tap, owner uid 61001$/\1/p' "$TMP/create.log")
[ -n "$own" ] || fail "-c made no tap for alice: $(out create)"
[ "$(rc own)" = 0 ] || fail "own tap: exit $(rc own): $(out own)"
qemu=$(tail -n 1 "$TMP/own.log")
STARTED+=("$qemu")
[ "$(field "$A/own.rep" tap)" = "$own" ] ||
  fail "alice's guest got '$(field "$A/own.rep" tap)', not her $own"
n=${own#tap}
[ "$(addr "$own")" = "172.20.$n.1/24" ] ||
  fail "start-tun-interface did not configure $own: '$(addr "$own")'"
ok "alice's guest got her own $own (configured $(addr "$own")), not tap0 or tap1"

# Her tap in use: refused, although tap0 and tap1 are free to attach.
[ "$(rc busy)" = 1 ] || fail "own tap busy: exit $(rc busy): $(out busy)"
[[ $(out busy) == *"no free tap: all 1 of this user's taps are in use"* ]] ||
  fail "own tap busy: message: $(out busy)"
[ ! -e "$A/busy.rep" ] || fail "own tap busy: QEMU started on $(field "$A/busy.rep" tap)"
[ "$(cat "$TMP/busy.launch")" = g1 ] || fail "own tap busy: launch files: $(cat "$TMP/busy.launch")"
# The running guest's own file may be there (start-tun-interface deletes
# the one it uses); no other.
other=$(grep -Ev "/$qemu(\.[A-Za-z0-9]+)?\$" "$TMP/busy.hn")
[ -z "$other" ] || fail "own tap busy: hostname file left: $other"
for t in tap0 tap1 tap2; do
  [ -z "$(configured busy $t)" ] || fail "own tap busy: $t was configured: $(configured busy $t)"
done
ok "alice with her tap in use: $(grep -o 'no free tap.*' "$TMP/busy.log")"

# Root keeps its order: no tap of root's, none of its groups; tap1 is
# nobody's.
[ "$(rc root)" = 0 ] || fail "root: exit $(rc root): $(cat "$TMP/root.log")"
STARTED+=("$(tail -n 1 "$TMP/root.log")")
[ "$(field "$TMP/root.rep" tap)" = tap1 ] ||
  fail "root's guest got '$(field "$TMP/root.rep" tap)', not the unowned tap1"
ok "root's guest got the unowned tap1"
echo PASS
