#!/bin/bash
# Issue 9, item 3: nobody but root may open the DHCP servers' pid files, so
# nobody can block a user's server with a lock on one; and a restart never
# leaves a tap without a server because of a lock it cannot get.
#
# alice serves her -c tap3. mallory (outside the group) and bob (in it)
# each try to open its pid file and wait for a read lock on it (F_SETLKW,
# granted the moment the old server's write lock goes, between the stop and
# the start of a restart): refused, Permission denied, and they cannot list
# the run directory either; nothing changes. alice's restart then gets a new
# server. Root, who can open the file, does the same and holds the lock
# through another restart: the new server runs all the same.
set -u
# shellcheck disable=SC2034 # read by ns_helpers.bash
NS_TAG=sti-pidfile
# shellcheck disable=SC1091 # sudo_taps.bash is linted on its own
. "$RUNALL_TOP/tests/root/sudo_taps.bash"
[ -x "$READ_LOCK" ] || fail "$READ_LOCK is not built (make check builds it)"

NS=${NS_TAG}-$$
export NS
make_ns "$NS"

cat >"$TMP/serve.sh" <<'STAGE'
as "$NS" alice c sudo -n "$STI" -c tap3
as "$NS" alice up sudo -n "$STI" tap3
STAGE
stage_run "$TMP/serve.sh"
expect c 0 "created tap3"
expect up 0 ""
serving "$NS" tap3 || fail "alice's tap3 has no server: $(out up)"
first=$(server_of "$NS" tap3)
# Wherever this runall keeps it.
PIDFILE=$(find "$RUN_DIR" -name dhcpd-tap3.pid)
[ -n "$PIDFILE" ] || fail "no pid file for tap3 in $RUN_DIR"
export PIDFILE

before=$(net_state "$NS")
cat >"$TMP/attack.sh" <<'STAGE'
for user in mallory bob; do
  as "$NS" "$user" "lock-$user" "$READ_LOCK" -w "$PIDFILE" "$TMP/release" &
  as "$NS" "$user" "ls-$user" ls "$RUN_DIR" "$(dirname "$PIDFILE")"
done
# Until each attacker has given up or waits for the lock.
for _ in $(seq 100); do
  done=0
  for user in mallory bob; do
    [ -e "$TMP/lock-$user.rc" ] || grep -qs '^opened' "$TMP/lock-$user.log" &&
      done=$((done + 1))
  done
  [ "$done" = 2 ] && break
  sleep 0.05
done
net_state "$NS" >"$TMP/state.attacked"
as "$NS" alice restart sudo -n "$STI" tap3
touch "$TMP/release"
wait
STAGE
stage_run "$TMP/attack.sh"
for user in mallory bob; do
  expect "lock-$user" 1 "$PIDFILE: Permission denied"
  [ "$(rc "ls-$user")" != 0 ] || fail "$user could list the run directory: $(out "ls-$user")"
  out "ls-$user" | grep -q "Permission denied" || fail "ls-$user: $(out "ls-$user")"
done
[ "$(cat "$TMP/state.attacked")" = "$before" ] ||
  fail "the attempts changed something: $(diff <(echo "$before") "$TMP/state.attacked")"
expect restart 0 ""
serving "$NS" tap3 || fail "the restart left tap3 without a server: $(out restart)"
second=$(server_of "$NS" tap3)
[ "$second" != "$first" ] || fail "the server was not restarted"
alive "$first" && fail "the old server still runs"

# Root may open the pid file; a lock it holds on it, granted when the old
# server goes, must not keep the new one from starting.
ip netns exec "$NS" "$READ_LOCK" -w "$PIDFILE" "$TMP/release-root" >"$TMP/root-lock.log" 2>&1 &
STARTED+=("$!")
for _ in $(seq 100); do grep -qs '^opened' "$TMP/root-lock.log" && break; sleep 0.05; done
grep -q '^opened' "$TMP/root-lock.log" || fail "root could not open the pid file"
cat >"$TMP/again.sh" <<'STAGE'
as "$NS" alice again sudo -n "$STI" tap3
STAGE
stage_run "$TMP/again.sh"
for _ in $(seq 100); do grep -qs '^locked' "$TMP/root-lock.log" && break; sleep 0.05; done
grep -q '^locked' "$TMP/root-lock.log" ||
  fail "root's lock was never granted: $(cat "$TMP/root-lock.log")"
expect again 0 ""
serving "$NS" tap3 || fail "a lock held on the pid file left tap3 without a server: $(out again)"
[ "$(server_of "$NS" tap3)" != "$second" ] || fail "the server was not restarted"
alive "$second" && fail "the old server still runs"
touch "$TMP/release-root"
echo PASS
