#!/bin/bash
# The guest's hostname found the article's way, through a real process
# chain: the nearest ancestor with a usable HOSTNAMEDIR/<pid> file wins,
# past a process in between whose only entry is a symlink. The article's ages: a nearer
# file ten minutes old is passed over (and kept), one over an hour old is
# deleted, a symlink or another user's file is never used nor removed. The
# name is mapped in a hosts file that is a bind mount (inside a private
# mount namespace), which update-dynamic-hosts must write in place.
set -u
# shellcheck disable=SC1091 # start_tun_helpers.bash is linted on its own
source "$RUNALL_TOP/tests/root/start_tun_helpers.bash"

host=${PREFIX}h guest=${PREFIX}g
make_ns "$host"
make_ns "$guest"
make_guest_link "$host" tap7 "$guest"

# The chain, three processes deep, each a script of its own; what they
# need comes in the environment.
#   far:  (in a private mount namespace) binds a file over the hosts file,
#         as `ip netns exec` does with /etc/netns/NS/hosts; writes its
#         hostname file; runs mid and waits for it.
#   mid:  writes no file, but plants a symlink under its pid pointing at
#         far's file; runs near and waits.
#   near: leaves a twenty-minute-old file under its pid, then execs into
#         the tool (through `ip netns exec`, which execs too), so the tool's
#         own pid has that stale file.
printf '10.9.9.9\tunrelated\n' >"$TMP/hosts.bound"
cat >"$TMP/far" <<'SCRIPT'
#!/bin/bash
mount --bind "$T/hosts.bound" "$HOSTS_FILE" || exit 90
echo far-guest >"$HN/$$"
echo $$ >"$T/far-pid"
FAR=$$ "$T/mid"
status=$?
cp "$HOSTS_FILE" "$T/hosts.seen"
exit $status
SCRIPT
cat >"$TMP/mid" <<'SCRIPT'
#!/bin/bash
echo $$ >"$T/mid-pid"
ln -s "$HN/$FAR" "$HN/$$"
"$T/near"
status=$?
exit $status
SCRIPT
cat >"$TMP/near" <<'SCRIPT'
#!/bin/bash
echo stale-guest >"$HN/$$"
touch -d "-20 minutes" "$HN/$$"
echo $$ >"$T/near-pid"
exec ip netns exec "$NS" "$TOOL" -C "$SETTINGS" tap7
SCRIPT
chmod +x "$TMP/far" "$TMP/mid" "$TMP/near"

# A file of a process that is no ancestor: never looked at, even if old.
echo ancient >"$HN_DIR/999999999"
touch -d "-3 hours" "$HN_DIR/999999999"

T=$TMP HN=$HN_DIR NS=$host TOOL=$STI SETTINGS=$CONF HOSTS_FILE=$HOSTS \
  unshare -m --propagation private "$TMP/far" >"$TMP/sti.log" 2>&1 ||
  fail "start-tun-interface through the chain failed: $(cat "$TMP/sti.log")"

expect_host_addr "$host" tap7
far=$(cat "$TMP/far-pid") mid=$(cat "$TMP/mid-pid") stale=$(cat "$TMP/near-pid")
# The tool's own pid had a stale file: passed over, kept.
[ -f "$HN_DIR/$stale" ] || fail "the ten-minute-old file was deleted"
grep -q "$stale: too old to use" "$TMP/sti.log" ||
  fail "the stale file was not reported: $(cat "$TMP/sti.log")"
# The middle process's symlink: ignored and kept.
[ -L "$HN_DIR/$mid" ] || fail "the symlink was removed"
grep -q "$mid: a symbolic link; ignored" "$TMP/sti.log" ||
  fail "the symlink was not reported"
# The far ancestor's file: used and deleted.
[ -e "$HN_DIR/$far" ] && fail "the used file was kept"
grep -q "172.20.7.2[[:space:]]far-guest" "$TMP/hosts.seen" ||
  fail "far-guest not mapped in the bind-mounted file: $(cat "$TMP/hosts.seen")"
grep -q unrelated "$TMP/hosts.seen" || fail "the hosts file lost a line"
# Written in place through the bind mount: the file under it is untouched,
# the bound file has the mapping (seen from outside the mount namespace).
grep -q far-guest "$HOSTS" && fail "the mount point's own file was written"
grep -q far-guest "$TMP/hosts.bound" || fail "the bound file lacks the mapping"
[ -f "$HN_DIR/999999999" ] || fail "a non-ancestor's file was touched"

# The guest gets the name too.
lease "$guest" g || fail "udhcpc got no lease: $(cat "$TMP/udhcpc-g.log")"
expect_env "$TMP/env.bound.g" hostname far-guest

# Another user's file is never used, even at the nearest ancestor; an
# ancestor's file over an hour old is deleted.
# shellcheck disable=SC2016 # expanded by the inner bash
bash -c 'echo theirs >"$1/$$"; chown 65534:65534 "$1/$$"; echo $$ >"$5/theirs-pid"
         exec ip netns exec "$2" "$3" -C "$4" tap7' \
  _ "$HN_DIR" "$host" "$STI" "$CONF" "$TMP" >"$TMP/sti-2.log" 2>&1 ||
  fail "second run failed: $(cat "$TMP/sti-2.log")"
theirs=$(cat "$TMP/theirs-pid")
grep -q "$theirs: owned by uid 65534" "$TMP/sti-2.log" ||
  fail "another user's file was not refused: $(cat "$TMP/sti-2.log")"
grep -q "hostname not found" "$TMP/sti-2.log" || fail "a name was found"
[ -f "$HN_DIR/$theirs" ] || fail "another user's file was deleted"
# shellcheck disable=SC2016 # expanded by the inner bash
bash -c 'echo old >"$1/$$"; touch -d "-2 hours" "$1/$$"; echo $$ >"$5/old-pid"
         exec ip netns exec "$2" "$3" -C "$4" tap7' \
  _ "$HN_DIR" "$host" "$STI" "$CONF" "$TMP" >"$TMP/sti-3.log" 2>&1 ||
  fail "third run failed: $(cat "$TMP/sti-3.log")"
old=$(cat "$TMP/old-pid")
[ -e "$HN_DIR/$old" ] && fail "the hour-old file was not deleted"
grep -q "hostname not found" "$TMP/sti-3.log" || fail "an old name was used"
echo PASS
