#!/bin/bash
# A bind-mounted hosts file, as `ip netns exec` and containers make: rename
# over it fails with EBUSY, so update-dynamic-hosts rewrites it in place
# under the same lock. Checks, in a private mount namespace: the in-place
# path is taken (the tool says so, the inode is unchanged, the content
# reaches the file behind the mount), growing and shrinking are both
# right, hosts.old is a copy, and under 30 concurrent writers a polling
# reader never sees the file empty, missing its static part or ending
# mid-line.
if [ -z "${UDH_IN_NS:-}" ]; then
  # Run this script again inside a private mount namespace: the bind mount
  # exists only there and vanishes with it.
  UDH_IN_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
# shellcheck disable=SC1091 # update_dynamic_hosts.bash is linted on its own
source "$RUNALL_TOP/tests/root/update_dynamic_hosts.bash"
udh_before_cleanup() { umount "$T/etc/hosts" 2>/dev/null; }
udh_setup 100

# As `ip netns exec` does with /etc/netns/NS/hosts over /etc/hosts: the
# namespace's own file is mounted over the one the tool is pointed at.
mkdir "$T/etc"
cp "$T/hosts" "$T/etc/hosts"
cp "$T/hosts" "$T/netns-hosts"
mount --bind "$T/netns-hosts" "$T/etc/hosts" || fail "bind mount"
printf 'hosts_file = %s\n' "$T/etc/hosts" >"$T/bind.conf"
chmod 0644 "$T/bind.conf"
ino=$(stat -c %i "$T/etc/hosts")

"$UDH" -v -C "$T/bind.conf" guest1 172.20.1.2 2>"$T/err" ||
  fail "update failed: $(cat "$T/err")"
grep -q 'rewritten in place' "$T/err" || fail "in-place path not taken: $(cat "$T/err")"
say "$(cat "$T/err")"
[ "$(stat -c %i "$T/etc/hosts")" = "$ino" ] || fail "inode changed"
cmp "$T/etc/hosts" "$T/netns-hosts" || fail "content did not reach the mounted file"
cmp "$T/etc/hosts.old" "$T/hosts" || fail "hosts.old is not the previous content"
[ "$(stat -c %i "$T/etc/hosts.old")" != "$ino" ] || fail "hosts.old shares the inode"

# Grow (a long name), replace, shrink (remove): exact content each time.
"$UDH" -C "$T/bind.conf" a-rather-long-guest-name-to-grow-the-file 172.20.2.2 ||
  fail "grow"
"$UDH" -C "$T/bind.conf" guest1 172.20.3.2 || fail "replace"
"$UDH" -C "$T/bind.conf" -d a-rather-long-guest-name-to-grow-the-file || fail "shrink"
{ cat "$T/prefix"; echo "172.20.3.2 guest1 # uid=0"; cat "$T/suffix"; } >"$T/want"
cmp "$T/want" "$T/netns-hosts" || { diff "$T/want" "$T/netns-hosts"; fail "content after grow/replace/shrink"; }
[ "$(stat -c %i "$T/etc/hosts")" = "$ino" ] || fail "inode changed"
[ "$(stat -c %a "$T/etc/hosts")" = 644 ] || fail "mode not kept"
say "grow, replace and shrink in place give the exact content"

# Many writers, one reader.
"$READER" --in-place "$T/etc/hosts" "$T/prefix" "$T/suffix" "$T/stop" \
  >"$T/reader.out" 2>&1 &
reader_pid=$!
UDH_PIDS+=("$reader_pid")
exec 9>"$T/barrier"
flock -x 9
pids=()
for ((n = 10; n < 40; n++)); do
  flock -s "$T/barrier" "$UDH" -C "$T/bind.conf" "guest$n" "172.20.$n.2" \
    >"$T/out.$n" 2>&1 9>&- &
  pids+=($!)
done
UDH_PIDS+=("${pids[@]}")
sleep 0.5
flock -u 9
exec 9>&-
for p in "${pids[@]}"; do wait "$p" || fail "a writer failed"; done
# And shrink again, many times, while the reader watches.
for ((n = 10; n < 40; n++)); do
  "$UDH" -C "$T/bind.conf" -d "guest$n" || fail "remove guest$n"
done
touch "$T/stop"
wait "$reader_pid" || { cat "$T/reader.out"; fail "the reader saw an empty or cut file"; }
cat "$T/reader.out"; say "reader during in-place rewrites: $(tail -1 "$T/reader.out")"
cmp "$T/want" "$T/netns-hosts" || fail "final content"
leftover=$(find "$T" -name '.hosts.*')
[ -z "$leftover" ] || fail "temporary files left: $leftover"
