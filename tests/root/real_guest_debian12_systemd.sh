#!/bin/bash
# test-timeout: 900
# A real Debian 12 guest with systemd, ifupdown and isc-dhcp-client
# (tests/guest/build-guest debian12-systemd), booted from its own disk and
# used by runall as an ordinary user does: see tests/root/real_guest.bash.
# shellcheck disable=SC1091 # real_guest.bash is checked on its own
. "$RUNALL_TOP/tests/root/real_guest.bash"
real_guest_test debian12-systemd rg-systemd
