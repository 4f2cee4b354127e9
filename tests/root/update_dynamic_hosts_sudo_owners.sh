#!/bin/bash
# Issue 9, item 4, as members of the group through real sudo: each line of
# the dynamic section belongs to the user who made it ("# uid=UID"), and
# only that user (or root) changes or removes it. Bob, with taps of his
# own, tries to repoint alice's name to his address, to take alice's
# address for his name (deleting her line), to -d her name, and to touch
# root's lines - with the default sudo_hosts = guests and with
# sudo_hosts = any, where only the owner rule stands between them. Each is
# refused with a message naming the line's owner, the hosts file byte for
# byte unchanged. A line without a mark (written before lines had owners)
# is root's, except on the user's own tap.
set -u
# shellcheck disable=SC2034 # read by ns_helpers.bash
NS_TAG=udhso
# shellcheck disable=SC1091 # linted on its own
. "$RUNALL_TOP/tests/root/update_dynamic_hosts_sudo.bash"

# An old line on what will be bob's tap7, and one on nobody's tap9.
printf '%s\n##STARTDYNAMIC\n172.20.7.2 legacy-vm\n172.20.9.2 old-vm\n##ENDDYNAMIC\n' \
  "$STATIC" >"$HOSTS"

cat >"$STAGE/owners.bash" <<'EOF'
. "$STAGE/udh.bash"
as "$NS" alice create-a sudo -n "$STI" -c tap5
as "$NS" bob create-b sudo -n "$STI" -c tap6 tap7
try "$NS" alice map-a sudo -n "$UDH" alice-vm 172.20.5.2
try "$NS" bob map-b sudo -n "$UDH" bob-vm 172.20.6.2
# Root, run directly, maps a guest of its own.
as_root "$NS" map-root "$UDH" root-vm 172.20.8.2
try "$NS" bob repoint sudo -n "$UDH" alice-vm 172.20.6.2
try "$NS" bob take-addr sudo -n "$UDH" bob-vm 172.20.5.2
try "$NS" bob remove sudo -n "$UDH" -d alice-vm
try "$NS" bob remove-case sudo -n "$UDH" -d ALICE-VM
try "$NS" bob root-remove sudo -n "$UDH" -d root-vm
try "$NS" bob old-remove sudo -n "$UDH" -d old-vm
try "$NS" alice old-take sudo -n "$UDH" alice-vm 172.20.9.2
# The unmarked line on bob's own tap7 is his to replace.
try "$NS" bob legacy sudo -n "$UDH" bob-vm2 172.20.7.2
EOF
stage_run "$STAGE/owners.bash"
done_ok create-a
done_ok create-b
done_ok map-a
done_ok map-b
done_ok map-root

refused repoint 1 'alice-vm is mapped at line 7 by uid 61001: "172.20.5.2 alice-vm # uid=61001"; only its owner or root may change that line; refusing to map alice-vm to 172.20.6.2'
# With sudo_hosts = guests the address of alice's tap is not his to give.
refused take-addr 1 "172.20.5.2 is the guest address of tap5, which is not yours: tap5 belongs to uid 61001"
refused remove 1 'alice-vm is mapped at line 7 by uid 61001'
refused remove-case 1 'by uid 61001'
refused root-remove 1 'root-vm is mapped at line 9 by root (uid 0)'
refused old-remove 1 'old-vm is mapped at line 6 by root (no "# uid=" mark)'
refused old-take 1 "tap9 does not exist"
done_ok legacy
want='172.20.9.2 old-vm
172.20.5.2 alice-vm # uid=61001
172.20.6.2 bob-vm # uid=61002
172.20.8.2 root-vm # uid=0
172.20.7.2 bob-vm2 # uid=61002'
[ "$(section)" = "$want" ] || fail "the section is not as expected: $(cat "$HOSTS")"

# sudo_hosts = any: any name and address, but still only one's own lines.
conf "sudo_hosts = any"
cat >"$STAGE/any.bash" <<'EOF'
. "$STAGE/udh.bash"
try "$NS" bob any-repoint sudo -n "$UDH" alice-vm 10.9.9.9
try "$NS" bob any-take-addr sudo -n "$UDH" bob-vm 172.20.5.2
try "$NS" bob any-take-addr-new sudo -n "$UDH" bob-new 172.20.5.2
try "$NS" bob any-remove sudo -n "$UDH" -d alice-vm
try "$NS" bob any-root sudo -n "$UDH" root-vm 172.20.6.2
try "$NS" bob any-old sudo -n "$UDH" bob-vm 172.20.9.2
# The owners themselves.
try "$NS" alice own-move sudo -n "$UDH" alice-vm 10.9.9.9
try "$NS" bob own-remove sudo -n "$UDH" -d bob-vm
EOF
stage_run "$STAGE/any.bash"
refused any-repoint 1 'alice-vm is mapped at line 6 by uid 61001'
refused any-take-addr 1 '172.20.5.2 is mapped at line 6 by uid 61001: "172.20.5.2 alice-vm # uid=61001"; only its owner or root may change that line; refusing to map bob-vm to 172.20.5.2'
refused any-take-addr-new 1 '172.20.5.2 is mapped at line 6 by uid 61001'
refused any-remove 1 'alice-vm is mapped at line 6 by uid 61001'
refused any-root 1 'root-vm is mapped at line 8 by root (uid 0)'
refused any-old 1 '172.20.9.2 is mapped at line 5 by root (no "# uid=" mark)'
done_ok own-move
done_ok own-remove
want='172.20.9.2 old-vm
172.20.8.2 root-vm # uid=0
172.20.7.2 bob-vm2 # uid=61002
10.9.9.9 alice-vm # uid=61001'
[ "$(section)" = "$want" ] || fail "the section is not as expected: $(cat "$HOSTS")"
echo PASS
