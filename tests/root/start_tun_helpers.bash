#!/bin/bash
# Helpers shared by the tests/root/start_tun_interface_*.sh tests (sourced,
# not run; the line above tells the linters the shell). Every test gets:
#   $TMP     a private temporary directory, removed at exit
#   $CONF    a settings file (root-owned, 0644, as the tool demands) whose
#            run_dir, hostname_dir and hosts_file point into $TMP
#   $HN_DIR  the hostname directory, $RUN_DIR the run directory,
#            $HOSTS the hosts file
#   $STI     the start-tun-interface under test
# and makes its network namespaces through make_ns, which the cleanup
# removes after killing what runs inside them (only processes the test
# started: the tool's daemons and the test's DHCP clients live there).

BUILD=${RUNALL_BUILD:?RUNALL_BUILD must point at the build directory}
STI=$BUILD/start-tun-interface
# shellcheck disable=SC2034 # used by the tests that source this file
TAP_HOLDER=$BUILD/tests/tap_holder
TAP_WIRE=$BUILD/tests/tap_wire
# shellcheck disable=SC2034
PREFIX=sti$$
# shellcheck disable=SC2034 # read by ns_helpers.bash
NS_TAG=sti
# shellcheck disable=SC1091 # ns_helpers.bash is linted on its own
. "$RUNALL_TOP/tests/root/ns_helpers.bash"
chmod 755 "$TMP"
RUN_DIR=$TMP/run
HN_DIR=$TMP/hostnames
HOSTS=$TMP/hosts
CONF=$TMP/runall.conf

[ -x "$STI" ] || fail "$STI is not built"

mkdir -m 0755 "$HN_DIR"
printf '127.0.0.1\tlocalhost\n' >"$HOSTS"
cat >"$CONF" <<CONF
run_dir = $RUN_DIR
hostname_dir = $HN_DIR
hosts_file = $HOSTS
dns = 192.0.2.53 192.0.2.54
domain = example.test
lease_time = 300
CONF
chmod 0644 "$CONF"

# make_guest_link HOSTNS IFACE GUESTNS: a veth pair whose host end is named
# IFACE (start-tun-interface configures any interface by ioctl, so a veth
# stands in for a guest's tap) and whose other end, eth0 in GUESTNS, is the
# guest's NIC.
make_guest_link() {
  ip -n "$1" link add "$2" type veth peer name eth0 netns "$3" ||
    fail "veth $2"
  ip -n "$3" link set eth0 up
}

# wire_guest HOSTNS TAP GUESTNS: the guest of a real tap. TAP in HOSTNS
# gets a wire (tap_wire, as QEMU would attach it) to a veth whose other end,
# eth0 in GUESTNS, is the guest's NIC. Through sudo only taps made by -c
# may be configured, so a veth cannot stand in for the tap there.
wire_guest() {
  [ -x "$TAP_WIRE" ] || fail "$TAP_WIRE is not built (make check builds it)"
  ip -n "$3" link add wire0 type veth peer name eth0 || fail "veth wire0"
  ip -n "$3" link set wire0 up
  ip -n "$3" link set eth0 up
  ip netns exec "$1" "$TAP_WIRE" "$2" "$3" wire0 >"$TMP/wire-$2.log" 2>&1 &
  STARTED+=("$!")
  for _ in $(seq 100); do
    grep -qs '^wired' "$TMP/wire-$2.log" && return 0
    sleep 0.05
  done
  fail "tap_wire did not attach $2"
}

# sti HOSTNS ARGS...: runs start-tun-interface with the test's settings in
# HOSTNS.
sti() {
  local ns=$1
  shift
  ip netns exec "$ns" "$STI" -C "$CONF" "$@"
}

# ns_run_dir NS: the run directory's part for network namespace NS, where
# start-tun-interface keeps NS's pid files, locks and marks (named by the
# namespace's inode, which its /run/netns file shows).
ns_run_dir() {
  echo "$RUN_DIR/net-$(stat -L -c %i "/run/netns/$1")"
}

# daemon_pid NS IFACE: the pid written in IFACE's pid file in NS (the
# file's lock is what the tool trusts; the number is good enough for a
# test).
daemon_pid() {
  local pid
  read -r pid <"$(ns_run_dir "$1")/dhcpd-$2.pid" 2>/dev/null || return 1
  echo "$pid"
}

# write_env_hook FILE: a udhcpc script that dumps its environment to
# $TMP/env.<reason>.<interface's namespace tag> and exits 0.
write_env_hook() {
  cat >"$1" <<HOOK
#!/bin/sh
env | sort >"$TMP/env.\$1.\$TAG.tmp" && mv "$TMP/env.\$1.\$TAG.tmp" "$TMP/env.\$1.\$TAG"
exit 0
HOOK
  chmod +x "$1"
}

# lease GUESTNS TAG: one DHCP lease for eth0 in GUESTNS with busybox udhcpc
# (-q: exit once bound; -n: fail rather than retry for ever); the bound
# environment lands in $TMP/env.bound.TAG.
lease() {
  [ -x "$TMP/hook" ] || write_env_hook "$TMP/hook"
  rm -f "$TMP/env.bound.$2"
  TAG=$2 ip netns exec "$1" busybox udhcpc -i eth0 -f -q -n -t 5 -T 1 \
    -s "$TMP/hook" >"$TMP/udhcpc-$2.log" 2>&1
}


# expect_host_addr NS IFACE: IFACE in NS has 172.20.N.1/24 and is up.
expect_host_addr() {
  local n=${2#tap}
  n=${n#tun}
  ip -n "$1" -4 addr show dev "$2" | grep -q "inet 172.20.$n.1/24 " ||
    fail "$2 has no 172.20.$n.1/24: $(ip -n "$1" -4 addr show dev "$2")"
  ip -n "$1" link show dev "$2" | grep -q "[<,]UP[,>]" || fail "$2 is not up"
}
