#!/bin/bash
# Helpers of the start_tun_interface_sudo_*.sh tests, which act as the
# group's members (and a user outside it) through real sudo and the shipped
# sudoers drop-in (sourced, never run; the line above tells the linters the
# shell). Set NS_TAG, then source this file; a test has everything of
# sudo_stage.bash (the users, stage_run, as, rc, out) and
#   STI              the installed start-tun-interface, inside the stage
#   ns_run_dir NS    NS's directory in the run directory (named by the
#                    namespace's inode, which its /run/netns file shows)
#   server_of NS IFACE   the pid in IFACE's pid file in NS, if any
#   net_state NS     what a refusal must leave as it was: NS's addresses,
#                    links and routes, the run directory's files (name,
#                    mode, owner, content), the processes in NS (a tap's
#                    carrier is left out: it follows whether a process has
#                    the tap open, and the kernel notices that late)
#   expect NAME STATUS TEXT   NAME (run by `as`) exited STATUS and said
#                    TEXT (anything, when TEXT is empty)
#   serving NS IFACE a DHCP server of runall's runs for IFACE in NS
#   READ_LOCK        tests/tools/read_lock, staged where any user may run it
set -u
# shellcheck disable=SC1091 # sudo_stage.bash is linted on its own
. "$RUNALL_TOP/tests/root/sudo_stage.bash"
# shellcheck disable=SC2034 # used by the tests and the stage's scripts
STI=$SBIN/start-tun-interface
READ_LOCK=$TOOLS/read_lock
export STI HN_DIR RUN_DIR HOSTS READ_LOCK

ns_run_dir() {
  echo "$RUN_DIR/net-$(stat -L -c %i "/run/netns/$1")"
}

server_of() {
  local pid
  read -r pid <"$(ns_run_dir "$1")/dhcpd-$2.pid" 2>/dev/null || return 1
  echo "$pid"
}

net_state() {
  {
    ip -n "$1" -o addr show
    ip -n "$1" -o link show
    ip -n "$1" route show table all
  } | sed 's/NO-CARRIER,//; s/ state [A-Z]*//; s/ linkdown//' 
  if [ -d "$RUN_DIR" ]; then
    find "$RUN_DIR" -printf '%P %y %m %u ' -exec sh -c \
      '[ -f "$1" ] && md5sum <"$1" || echo' _ {} \; | sort
  fi
  ip netns pids "$1" | sort
}

# The stage's scripts run as root in a bash of their own: they may use these.
export -f ns_run_dir server_of net_state

expect() {
  local name=$1 status=$2 text=$3
  [ "$(rc "$name")" = "$status" ] ||
    fail "$name: exit $(rc "$name"), not $status: $(out "$name")"
  [ -z "$text" ] || out "$name" | grep -qF -- "$text" ||
    fail "$name: does not say '$text': $(out "$name")"
}

serving() {
  local pid
  pid=$(server_of "$1" "$2") || return 1
  alive "$pid" || return 1
  [ "$(ip netns identify "$pid")" = "$1" ] || return 1
  [[ $(readlink "/proc/$pid/exe") == */runall-dhcpd* ]]
}
