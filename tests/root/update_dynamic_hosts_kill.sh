#!/bin/bash
# kill -9 in the middle of updates: batches of writers on a 5,000-line
# hosts file are killed at random moments. After every batch the file must
# be a valid hosts file (static part intact, whole guest lines, the end of
# the section and what follows it), hosts.old too, the lock must not be
# left held (an flock dies with its process: the next update must not wait)
# and the next update must clear any temporary file a killed writer left.
# Both write paths: rename, and in place over a bind mount (in a private
# mount namespace).
if [ -z "${UDH_IN_NS:-}" ]; then
  UDH_IN_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
# shellcheck disable=SC1091 # update_dynamic_hosts.bash is linted on its own
source "$RUNALL_TOP/tests/root/update_dynamic_hosts.bash"
udh_before_cleanup() { umount "$T/etc/hosts" 2>/dev/null; }
udh_setup 5000
ROUNDS=${ROUNDS:-25}
RANDOM=4242  # the same kill times on every run

mkdir "$T/etc"
cp "$T/hosts" "$T/etc/hosts"
cp "$T/hosts" "$T/netns-hosts"
mount --bind "$T/netns-hosts" "$T/etc/hosts" || fail "bind mount"
printf 'hosts_file = %s\n' "$T/etc/hosts" >"$T/bind.conf"
chmod 0644 "$T/bind.conf"

# kill_round CONF HOSTS [--in-place]
kill_round() {
  local conf=$1 hosts=$2 check_opt=("${@:3}") r n p pids killed=0 temps=0 start ms
  for ((r = 0; r < ROUNDS; r++)); do
    pids=()
    for ((n = 0; n < 6; n++)); do
      local g=$(( (r * 6 + n) % 40 + 1 ))
      if (( n % 3 == 2 )); then
        "$UDH" -C "$conf" -d "guest$g" 2>/dev/null &
      else
        "$UDH" -C "$conf" "guest$g" "172.20.$g.2" 2>/dev/null &
      fi
      pids+=($!)
    done
    UDH_PIDS+=("${pids[@]}")
    sleep "0.00$((RANDOM % 9 + 1))"
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do
      wait "$p" 2>/dev/null
      [ $? -eq 137 ] && killed=$((killed + 1))
    done
    # A temporary file left behind shows a writer died in the middle.
    [ -z "$(find "$(dirname "$hosts")" -maxdepth 1 -name '.hosts.*')" ] ||
      temps=$((temps + 1))
    udh_check "$hosts" "${check_opt[@]}"
    [ ! -e "$hosts.old" ] || udh_check "$hosts.old" "${check_opt[@]}"
  done
  # The lock is free: an update right away does not wait for it.
  start=${EPOCHREALTIME/./}
  "$UDH" -C "$conf" guest99 172.20.99.2 || fail "update after the kills"
  ms=$(( (${EPOCHREALTIME/./} - start) / 1000 ))
  [ "$ms" -lt 3000 ] || fail "the update after the kills took $ms ms (stuck lock?)"
  udh_check "$hosts" "${check_opt[@]}"
  grep -qx '172.20.99.2 guest99 # uid=0' "$hosts" || fail "guest99 missing"
  leftover=$(find "$(dirname "$hosts")" -maxdepth 1 -name '.hosts.*')
  [ -z "$leftover" ] || fail "temporary files left: $leftover"
  say "$(basename "$conf"): $ROUNDS rounds, $killed writers killed" \
    "(a temporary file left in $temps rounds); file valid after each;" \
    "next update took $ms ms"
}

kill_round "$T/runall.conf" "$T/hosts"
kill_round "$T/bind.conf" "$T/etc/hosts" --in-place
[ "$(stat -c %a "$T/hosts")" = 644 ] || fail "mode not kept"
