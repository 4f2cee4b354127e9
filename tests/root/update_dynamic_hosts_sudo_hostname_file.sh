#!/bin/bash
# Issue 9, item 2, through a hostname file: alice makes her own tap with
# `sudo start-tun-interface -c tap5`, leaves a name in the hostname
# directory and runs `sudo -n start-tun-interface tap5` (under script(1)
# for a pty, so sudo runs it below a monitor process of its own, as
# runqemuos's QEMU would). start-tun-interface runs update-dynamic-hosts
# with SUDO_UID still set, so a hostile name in the file (www.example.com,
# localhost.localdomain) meets the rules of a sudo user: refused with the
# reason, the hosts file byte for byte unchanged, while the tap is still
# configured. A guest name is mapped as alice's.
set -u
# shellcheck disable=SC2034 # read by ns_helpers.bash
NS_TAG=udhsh
# shellcheck disable=SC1091 # linted on its own
. "$RUNALL_TOP/tests/root/update_dynamic_hosts_sudo.bash"

cat >"$STAGE/hostname.bash" <<'EOF'
. "$STAGE/udh.bash"
as "$NS" alice create sudo -n "$STI" -c tap5
# The name is written by alice's shell, which then becomes script(1): the
# file is named after an ancestor of start-tun-interface.
n=0
for name in www.example.com localhost.localdomain alice-vm; do
  n=$((n + 1))
  # shellcheck disable=SC2016 # expanded by the inner bash
  try "$NS" alice "sti-$n" bash -c 'echo "$3" >"$1/$$"
    exec script -qec "sudo -n $2 tap5" /dev/null' _ "$HN_DIR" "$STI" "$name"
  ip -n "$NS" -4 addr show dev tap5 >"$TMP/sti-$n.addr" 2>&1
done
as "$NS" alice stop sudo -n "$STI" -k tap5
EOF
stage_run "$STAGE/hostname.bash"
done_ok create

expect_configured() {
  grep -q "inet 172.20.5.1/24 " "$TMP/$1.addr" ||
    fail "$1: tap5 was not configured: $(cat "$TMP/$1.addr")"
}
# start-tun-interface itself succeeds (the tap is configured and served);
# the mapping is what is refused, and it says why.
refused sti-1 0 '"www.example.com" is not a guest name'
grep -qF "update-dynamic-hosts www.example.com 172.20.5.2 failed (exit 1)" "$TMP/sti-1.log" ||
  fail "start-tun-interface did not report the refusal: $(out sti-1)"
expect_configured sti-1
refused sti-2 0 '"localhost.localdomain" is not a guest name'
expect_configured sti-2
done_ok sti-3
expect_configured sti-3
[ "$(section)" = "172.20.5.2 alice-vm # uid=61001" ] ||
  fail "alice-vm not mapped as alice's: $(cat "$HOSTS")"
done_ok stop
echo PASS
