#!/bin/bash
# test-timeout: 900
# tests/root/real_guest_resume.sh on the real Debian 12 guest with
# sysvinit, dhcpcd and acpid (tests/guest/build-guest debian12-sysv): the
# kit starts its resume watcher from the rc.local block there, not from a
# systemd unit, and the lease is renewed through ifupdown and dhcpcd.
export RG_RESUME_GUEST=debian12-sysv
# shellcheck disable=SC1091 # real_guest_resume.sh is checked on its own
. "$RUNALL_TOP/tests/root/real_guest_resume.sh"
