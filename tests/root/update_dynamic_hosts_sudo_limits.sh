#!/bin/bash
# Issue 9, item 8, as members of the group through real sudo: the dynamic
# section every program on the host reads is bounded. With the defaults
# (hosts_max_per_user = 32) and sudo_hosts = any, which needs no tap per
# line, alice's 33rd line is refused; with small limits and taps of their
# own, alice stops at hosts_max_per_user and bob at hosts_max_entries. At
# a limit a user still moves a line of their own, and root, run directly,
# is not limited. Each refusal names the limit and its setting and leaves
# the hosts file byte for byte unchanged.
set -u
# shellcheck disable=SC2034 # read by ns_helpers.bash
NS_TAG=udhsl
# shellcheck disable=SC1091 # linted on its own
. "$RUNALL_TOP/tests/root/update_dynamic_hosts_sudo.bash"

conf "sudo_hosts = any"
cat >"$STAGE/many.bash" <<'EOF'
. "$STAGE/udh.bash"
for n in $(seq 1 33); do
  try "$NS" alice "many-$n" sudo -n "$UDH" "g$n" "10.99.0.$n"
done
try "$NS" alice many-move sudo -n "$UDH" g1 10.99.1.1
EOF
stage_run "$STAGE/many.bash"
for n in $(seq 1 32); do done_ok "many-$n"; done
refused many-33 1 "uid 61001 already owns 32 lines of the dynamic section, and hosts_max_per_user = 32; refusing to map g33 to 10.99.0.33 (remove one first with -d)"
done_ok many-move
[ "$(section | grep -c ' # uid=61001$')" = 32 ] ||
  fail "alice does not own 32 lines: $(cat "$HOSTS")"
section | grep -qx "10.99.1.1 g1 # uid=61001" || fail "g1 was not moved"

# Small limits, taps of their own.
printf '%s\n##STARTDYNAMIC\n##ENDDYNAMIC\n' "$STATIC" >"$HOSTS"
conf "hosts_max_per_user = 2" "hosts_max_entries = 3"
cat >"$STAGE/small.bash" <<'EOF'
. "$STAGE/udh.bash"
as "$NS" alice create-a sudo -n "$STI" -c tap10 tap11 tap12
as "$NS" bob create-b sudo -n "$STI" -c tap20 tap21
try "$NS" alice a10 sudo -n "$UDH" a10 172.20.10.2
try "$NS" alice a11 sudo -n "$UDH" a11 172.20.11.2
try "$NS" alice a12 sudo -n "$UDH" a12 172.20.12.2
try "$NS" alice a10-move sudo -n "$UDH" a10 172.20.12.2
try "$NS" alice a11-rename sudo -n "$UDH" a11x 172.20.11.2
try "$NS" bob b20 sudo -n "$UDH" b20 172.20.20.2
try "$NS" bob b21 sudo -n "$UDH" b21 172.20.21.2
try "$NS" bob b20-move sudo -n "$UDH" b20 172.20.21.2
as_root "$NS" root "$UDH" r30 172.20.30.2
EOF
stage_run "$STAGE/small.bash"
done_ok create-a
done_ok create-b
done_ok a10
done_ok a11
refused a12 1 "uid 61001 already owns 2 lines of the dynamic section, and hosts_max_per_user = 2; refusing to map a12 to 172.20.12.2"
done_ok a10-move
done_ok a11-rename
done_ok b20
refused b21 1 "the dynamic section already holds 3 lines, and hosts_max_entries = 3; refusing to map b21 to 172.20.21.2"
done_ok b20-move
done_ok root
want='172.20.12.2 a10 # uid=61001
172.20.11.2 a11x # uid=61001
172.20.21.2 b20 # uid=61002
172.20.30.2 r30 # uid=0'
[ "$(section)" = "$want" ] || fail "the section is not as expected: $(cat "$HOSTS")"
echo PASS
