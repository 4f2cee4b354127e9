#!/bin/bash
# shellcheck disable=SC1091,SC2016,SC2034 # sudo_stage.bash is linted on its own; the stage script is written out unexpanded; NS_TAG is read by ns_helpers.bash
# A lock someone else takes on a guest's disk image is reported as what it
# is, not as a guest of runqemuos's. mallory, a local user outside the
# group, may read alice's image (mode 0644), and so may take a read lock on
# its byte 0 - runall's byte. alice's runqemuos then cannot take its write
# lock there; it must say that a read lock, not a guest runqemuos started,
# holds the byte, naming its holder's pid, program and user when alice may
# know them:
#   - a POSIX lock (the kernel gives its pid to anyone): pid, lock-holder,
#     user mallory;
#   - an OFD lock (no pid; only its holder's /proc/PID/fdinfo shows it, and
#     that is closed to alice): "a process this user may not inspect", and
#     root's probe names pid, program and user;
# exit 1, and nothing left behind: no hostname or launch file, no QEMU
# started, no lock but mallory's. runall-os-test's probe (image-in-use,
# as alice) puts the image in the class it refuses at once ("qemu:", a
# holder runall did not start), not the "runall:" of a booting guest.
# A real guest of alice's is still reported as one, with its pid, program
# and user.
# On the code before this change alice was told the image was "locked by a
# guest that runqemuos started (pid N)", N being mallory's pid.
NS_TAG=rqforeign
# shellcheck source=tests/root/sudo_stage.bash
. "$RUNALL_TOP/tests/root/sudo_stage.bash"
for t in fake-qemu image-in-use lock-holder; do
  [ -x "$BUILD/tests/$t" ] || fail "build the test tools first (make test-programs)"
done
NS=runall-rqforeign-$$
make_ns "$NS"
A=$TMP/home-alice
M=$TMP/home-mallory
mkdir "$A/launch"
truncate -s 1M "$A/g.img"
chown -R 61001:61000 "$A"
chmod 0644 "$A/g.img"
export NS A M

cat >"$TMP/foreign.bash" <<'EOF'
HN=$TMP/hostnames
T=$TOOLS
# snapshot STEP: alice's launch and hostname files, and what root's probe
# says of the image, after STEP.
snapshot() {
  # (The monitor sockets' directory, .monitor-UID, stays once made.)
  ls -A "$A/launch" | grep -v '^\.monitor-[0-9]*$' >"$TMP/$1.launch"
  find "$HN" -mindepth 1 -user 61001 >"$TMP/$1.hn"
  "$T/image-in-use" "$A/g.img" >"$TMP/$1.root-probe" 2>&1
  return 0
}
rq() {  # rq NAME: alice's runqemuos -b for her guest g1
  as "$NS" alice "$1" "$STAGE/bin/runqemuos" -b g1 "$HN" "$A/launch" \
    "$T/fake-qemu" -drive "file=$A/g.img,format=raw" -fake-report "$A/$1.rep"
}
# hold NAME [-posix]: mallory's read lock on byte 0, in the background; its
# pid (the holder's own) is in $M/NAME.pid once held.
hold() {
  local name=$1
  shift
  as "$NS" mallory "$name" "$T/lock-holder" "$@" "$A/g.img" 0 "$M/$name.pid" &
  for _ in $(seq 100); do [ -s "$M/$name.pid" ] && return; sleep 0.1; done
  echo "mallory's lock $name was not taken" >>"$TMP/$name.log"
}

hold posix-lock -posix
rq posix
as "$NS" alice posix-probe "$T/image-in-use" "$A/g.img"
snapshot posix
kill "$(cat "$M/posix-lock.pid")"
wait 2>/dev/null

hold ofd-lock
rq ofd
as "$NS" alice ofd-probe "$T/image-in-use" "$A/g.img"
snapshot ofd
kill "$(cat "$M/ofd-lock.pid")"
wait 2>/dev/null

# A guest of alice's, and a second runqemuos for the same image.
rq guest
for _ in $(seq 100); do [ -e "$A/guest.rep" ] && break; sleep 0.1; done
rq second
as "$NS" mallory guest-probe "$T/image-in-use" "$A/g.img"
snapshot second
EOF
stage_run "$TMP/foreign.bash"

ok() { echo "ok: $*"; }
field() { sed -n "s/^$2=//p" "$1"; }
img=$A/g.img
# refused STEP: alice's runqemuos was refused and left nothing behind.
refused() {
  [ "$(rc "$1")" = 2 ] || fail "$1: exit $(rc "$1"), not 2 (image in use): $(out "$1")"
  [ ! -e "$A/$1.rep" ] || fail "$1: QEMU started"
  [ ! -s "$TMP/$1.launch" ] || fail "$1: launch file left: $(cat "$TMP/$1.launch")"
  [ ! -s "$TMP/$1.hn" ] || fail "$1: hostname file left: $(cat "$TMP/$1.hn")"
}

# A POSIX read lock: named, from alice's point of view too.
pid=$(cat "$M/posix-lock.pid")
refused posix
want="runqemuos: $img: in use: not by a guest that runqemuos started: pid $pid (lock-holder, user mallory) holds a read lock on byte 0, where runqemuos's guests hold a write lock"
[ "$(out posix)" = "$want" ] || fail "POSIX lock: alice was told: $(out posix)"
[ "$(out posix-probe)" = "qemu: ${want#*in use: }" ] ||
  fail "POSIX lock: runall-os-test's probe as alice: $(out posix-probe)"
[ "$(cat "$TMP/posix.root-probe")" = "qemu: ${want#*in use: }" ] ||
  fail "POSIX lock: after the refusal: $(cat "$TMP/posix.root-probe")"
ok "mallory's POSIX read lock: $(out posix)"

# An OFD read lock: alice cannot see whose; root can.
pid=$(cat "$M/ofd-lock.pid")
refused ofd
want="runqemuos: $img: in use: not by a guest that runqemuos started: a process this user may not inspect holds a read lock on byte 0, where runqemuos's guests hold a write lock"
[ "$(out ofd)" = "$want" ] || fail "OFD lock: alice was told: $(out ofd)"
[ "$(out ofd-probe)" = "qemu: ${want#*in use: }" ] ||
  fail "OFD lock: runall-os-test's probe as alice: $(out ofd-probe)"
[ "$(cat "$TMP/ofd.root-probe")" = "qemu: not by a guest that runqemuos started: pid $pid (lock-holder, user mallory) holds a read lock on byte 0, where runqemuos's guests hold a write lock" ] ||
  fail "OFD lock: root's probe: $(cat "$TMP/ofd.root-probe")"
ok "mallory's OFD read lock: $(out ofd)"
ok "root's probe of it: $(cat "$TMP/ofd.root-probe")"

# alice's own guest is still one, named.
[ "$(rc guest)" = 0 ] || fail "alice's guest: exit $(rc guest): $(out guest)"
guest=$(tail -n 1 "$TMP/guest.log")
STARTED+=("$guest")
[ "$(field "$A/guest.rep" pid)" = "$guest" ] || fail "alice's guest did not start as $guest"
[ "$(rc second)" = 2 ] || fail "second runqemuos: exit $(rc second), not 2 (image in use): $(out second)"
[ "$(out second)" = "runqemuos: $img: in use: locked by a guest that runqemuos started (pid $guest: fake-qemu, user alice)" ] ||
  fail "second runqemuos was told: $(out second)"
[ "$(cat "$TMP/second.launch")" = g1 ] || fail "launch files: $(cat "$TMP/second.launch")"
[ "$(cat "$A/launch/g1")" = "$guest" ] ||
  fail "the second runqemuos touched the launch file: $(cat "$A/launch/g1")"
[ "$(out guest-probe)" = "runall: locked by a guest that runqemuos started" ] ||
  fail "mallory's probe of alice's guest: $(out guest-probe)"
ok "alice's own guest: $(out second)"
echo PASS
