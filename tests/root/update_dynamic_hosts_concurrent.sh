#!/bin/bash
# 100 guests booting at once: 100 update-dynamic-hosts processes released
# together, each mapping a different guest. All 100 mappings must be in the
# file afterwards, every other byte unchanged, and a reader polling the
# file the whole time must only ever see a complete, valid hosts file
# (never empty, never half-written). Works on a test hosts file named by
# settings given with -C; the real /etc/hosts is never touched.
# shellcheck disable=SC1091 # update_dynamic_hosts.bash is linted on its own
source "$RUNALL_TOP/tests/root/update_dynamic_hosts.bash"
N=100
udh_setup 200

# A start line: every writer waits on a shared lock of $T/barrier that the
# test holds exclusively, so all of them start within moments of each other.
exec 9>"$T/barrier"
flock -x 9

"$READER" "$T/hosts" "$T/prefix" "$T/suffix" "$T/stop" >"$T/reader.out" 2>&1 &
reader_pid=$!
UDH_PIDS+=("$reader_pid")

pids=()
for ((n = 1; n <= N; n++)); do
  flock -s "$T/barrier" "$UDH" -C "$T/runall.conf" "guest$n" "172.20.$n.2" \
    >"$T/out.$n" 2>&1 9>&- &
  pids+=($!)
done
UDH_PIDS+=("${pids[@]}")
sleep 1
start=${EPOCHREALTIME/./}
flock -u 9
exec 9>&-

failed=0
for ((n = 1; n <= N; n++)); do
  if ! wait "${pids[n - 1]}"; then
    echo "writer $n failed: $(cat "$T/out.$n")" >&2
    failed=$((failed + 1))
  fi
done
elapsed=$(( (${EPOCHREALTIME/./} - start) / 1000 ))
touch "$T/stop"
wait "$reader_pid"; rc=$?
cat "$T/reader.out"
[ "$failed" -eq 0 ] || fail "$failed of $N writers failed"
[ "$rc" -eq 0 ] || fail "the reader saw an invalid hosts file"
reads=$(sed -n 's/^reads=\([0-9]*\).*/\1/p' "$T/reader.out")
[ "${reads:-0}" -ge 10 ] || fail "the reader read only ${reads:-0} times"
say "$N concurrent updates in ${elapsed} ms; reader: $(cat "$T/reader.out")"

udh_check "$T/hosts"
for ((n = 1; n <= N; n++)); do echo "172.20.$n.2 guest$n # uid=0"; done | sort >"$T/want"
udh_guest_lines "$T/hosts" >"$T/got"
diff "$T/want" "$T/got" >&2 || fail "the section does not hold the $N guests"
# The rest of the file, byte for byte.
head -c "$(stat -c %s "$T/prefix")" "$T/hosts" | cmp - "$T/prefix" ||
  fail "the static part changed"
tail -c "$(stat -c %s "$T/suffix")" "$T/hosts" | cmp - "$T/suffix" ||
  fail "the lines after the section changed"
[ "$(stat -c %a "$T/hosts")" = 644 ] || fail "mode not kept"
udh_check "$T/hosts.old"
[ "$(udh_guest_lines "$T/hosts.old" | wc -l)" -eq $((N - 1)) ] ||
  fail "hosts.old is not the version before the last update"
leftover=$(find "$T" -name '.hosts.*')
[ -z "$leftover" ] || fail "temporary files left: $leftover"
say "all $N guests mapped, the rest of the file unchanged"
