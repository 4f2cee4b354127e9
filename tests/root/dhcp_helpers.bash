#!/bin/bash
# Helpers shared by the tests/root/dhcp_*.sh tests (sourced, not run: the
# line above tells the linters which shell it is written for): the
# network namespaces, veth pairs and DHCP daemons they make, and the cleanup
# that removes all of it. Everything global is named with $PREFIX, unique
# per test process; only processes the test started are killed, by pid.
#
# Layout for link N: a "host" namespace holds dhN with 172.20.N.1/24 and
# the daemon; a "guest" namespace holds dgN, the other end, and the client.

BUILD=${RUNALL_BUILD:?RUNALL_BUILD must point at the build directory}
# The DHCP server's own program, run in the foreground.
HARNESS=$BUILD/runall-dhcpd
# shellcheck disable=SC2034 # used by the tests that source this file
PREFIX=rdh$$
# shellcheck disable=SC2034 # read by ns_helpers.bash
NS_TAG=dhcp
# shellcheck disable=SC1091 # ns_helpers.bash is linted on its own
. "$RUNALL_TOP/tests/root/ns_helpers.bash"

[ -x "$HARNESS" ] || fail "$HARNESS is not built (make check builds it)"

# make_link N HOSTNS GUESTNS: the veth pair dhN/dgN between the two, the
# host end with 172.20.N.1/24, both up.
make_link() {
  local n=$1 host=$2 guest=$3
  ip -n "$host" link add "dh$n" type veth peer name "dg$n" netns "$guest" ||
    fail "veth dh$n"
  ip -n "$host" addr add "172.20.$n.1/24" dev "dh$n"
  ip -n "$host" link set "dh$n" up
  ip -n "$guest" link set "dg$n" up
}

# start_daemon HOSTNS N [runall-dhcpd options...]: runs runall-dhcpd on dhN,
# serving 172.20.N.2, logging to $TMP/dhcpd-N.log; sets DAEMON_PID. Returns
# once the daemon says it is serving.
start_daemon() {
  local host=$1 n=$2
  shift 2
  ip netns exec "$host" "$HARNESS" -i "dh$n" -s "172.20.$n.1" \
    -c "172.20.$n.2" "$@" >"$TMP/dhcpd-$n.log" 2>&1 &
  DAEMON_PID=$!
  STARTED+=("$DAEMON_PID")
  wait_for_line "$TMP/dhcpd-$n.log" "serving 172.20.$n.2" 50 ||
    fail "daemon on dh$n did not start"
}

# wait_for_line FILE TEXT TENTHS: true once FILE holds TEXT.
wait_for_line() {
  local i
  for ((i = 0; i < $3; i++)); do
    grep -qF -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# wait_for_file FILE TENTHS
wait_for_file() {
  local i
  for ((i = 0; i < $2; i++)); do
    [ -s "$1" ] && return 0
    sleep 0.1
  done
  return 1
}

# stop_daemon PID: SIGTERM, then its exit status must be 0.
stop_daemon() {
  kill -TERM "$1" 2>/dev/null || fail "daemon $1 is not running"
  wait "$1"
  local rc=$?
  [ "$rc" -eq 0 ] || fail "daemon $1 exited with $rc after SIGTERM"
}

# write_env_hook FILE DIR: a client hook script that dumps its environment
# to DIR/env.<reason> (reason from $reason or the first argument), and
# configures the address for udhcpc so that renewing works.
write_env_hook() {
  cat >"$1" <<EOF
#!/bin/sh
r=\${reason:-\$1}
env | sort >"$2/env.\$r.tmp" && mv "$2/env.\$r.tmp" "$2/env.\$r"
case \$r in
  bound) ip addr add "\$ip/\$mask" dev "\$interface" ;;
esac
exit 0
EOF
  chmod +x "$1"
}
