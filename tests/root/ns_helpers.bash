#!/bin/bash
# What every namespace test's helpers share (sourced by dhcp_helpers.bash
# and start_tun_helpers.bash, never run; the line above tells the linters
# the shell). Set NS_TAG before sourcing. A test then has:
#   $TMP      a private temporary directory (runall-$NS_TAG.XXXXXX)
#   make_ns   network namespaces, listed in MADE_NS
#   STARTED   the pids of processes the test started itself
# and at exit the cleanup kills those pids, then whatever still runs inside
# the test's namespaces (only the test's own processes can be there: the
# daemons and clients it started), deletes the namespaces and $TMP.

TMP=$(mktemp -d "${TMPDIR:-/tmp}/runall-${NS_TAG:?set NS_TAG before sourcing}.XXXXXX")
MADE_NS=()
STARTED=()

cleanup() {
  local pid ns
  for pid in "${STARTED[@]}"; do
    kill "$pid" 2>/dev/null
  done
  for ns in "${MADE_NS[@]}"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do
      kill -KILL "$pid" 2>/dev/null
    done
    ip netns del "$ns" 2>/dev/null
  done
  for pid in "${STARTED[@]}"; do
    wait "$pid" 2>/dev/null
  done
  rm -rf "$TMP"
}
trap cleanup EXIT

# fail MESSAGE: says why, shows the end of every log in $TMP, exits 1.
fail() {
  echo "FAIL: $*"
  local f
  for f in "$TMP"/*.log; do
    [ -f "$f" ] || continue
    echo "--- $f"
    tail -n 30 "$f"
  done
  exit 1
}

# make_ns NAME: a new network namespace with its loopback up.
make_ns() {
  ip netns add "$1" || fail "ip netns add $1"
  MADE_NS+=("$1")
  ip -n "$1" link set lo up
}

# alive PID: the process still runs (and is not a zombie).
alive() {
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "${state#Z}" = "$state" ]
}

# env_value FILE NAME: the value of NAME=... in a dump of `env`.
env_value() {
  sed -n "s/^$2=//p" "$1" | head -n 1
}

# expect_env FILE NAME VALUE
expect_env() {
  local got
  got=$(env_value "$1" "$2")
  [ "$got" = "$3" ] || fail "$1: $2 is '$got', expected '$3'"
}
