#!/bin/bash
# Issue 9, item 2, as a member of the group through real sudo: with the
# default settings (sudo_hosts = guests) alice may map only a guest name,
# and only to the guest address of a tap of hers in her network namespace.
# Public names (www.example.com), names the host resolves for itself
# (localhost.localdomain, foo.localhost, wpad.corp.example, wpad, the
# host's own name), addresses outside the plan, and the guest address of a
# tap that is not hers (missing, root's, bob's, a tun, a veth named tapN,
# hers but in another namespace) are refused with a message, the hosts file
# byte for byte unchanged. Her own guest is mapped, and glibc resolves it
# through the file with its owner mark. guest_domain allows LABEL.DOMAIN;
# sudo_hosts = any gives back the article's freedom.
set -u
# shellcheck disable=SC2034 # read by ns_helpers.bash
NS_TAG=udhsn
# shellcheck disable=SC1091 # linted on its own
. "$RUNALL_TOP/tests/root/update_dynamic_hosts_sudo.bash"

ip -n "$NS" tuntap add dev tap7 mode tap || fail "tap7"
ip -n "$NS" tuntap add dev tap8 mode tap user 61002 || fail "tap8"
ip -n "$NS" tuntap add dev tap9 mode tun user 61001 || fail "tap9"
ip -n "$NS" link add tap10 type veth peer name peer10 || fail "tap10"
ip -n "$NS2" tuntap add dev tap5 mode tap user 61002 || fail "tap5 in $NS2"

cat >"$STAGE/names.bash" <<'EOF'
. "$STAGE/udh.bash"
as "$NS" alice create sudo -n "$STI" -c tap5 tap11
for name in www.example.com mirror.example.org localhost.localdomain \
    foo.localhost wpad.corp.example wpad isatap ip6-gateway; do
  try "$NS" alice "name-$name" sudo -n "$UDH" "$name" 172.20.5.2
done
# The host's own name, short and full, in a UTS namespace of the test's.
unshare --uts bash -c '. "$STAGE/lib.bash"; . "$STAGE/udh.bash"
  hostname stagehost.example.test || exit 1
  try "$NS" alice own-short sudo -n "$UDH" stagehost 172.20.5.2
  try "$NS" alice own-full sudo -n "$UDH" stagehost.example.test 172.20.5.2'
try "$NS" alice tab sudo -n "$UDH" "$(printf 'gu\test')" 172.20.5.2
for ip in 10.1.2.3 172.20.5.1 172.20.5.9 172.21.5.2 172.20.6.2 172.20.7.2 \
    172.20.8.2 172.20.9.2 172.20.10.2; do
  try "$NS" alice "addr-$ip" sudo -n "$UDH" alice-vm "$ip"
done
try "$NS2" alice other-ns-bobs sudo -n "$UDH" alice-vm 172.20.5.2
try "$NS2" alice other-ns-missing sudo -n "$UDH" alice-vm 172.20.11.2
try "$NS" mallory mallory sudo -n "$UDH" mallory-vm 172.20.5.2
try "$NS" alice good sudo -n "$UDH" alice-vm 172.20.5.2
try "$NS" alice again sudo -n "$UDH" alice-vm 172.20.5.2
# What glibc makes of the file, through a bind-mounted /etc/hosts (this
# stage is a private mount namespace).
mount --bind "$HOSTS" /etc/hosts || exit 1
getent hosts alice-vm >"$TMP/getent-name.log" 2>&1
getent hosts 172.20.5.2 >"$TMP/getent-addr.log" 2>&1
getent hosts uid=61001 >"$TMP/getent-mark.log" 2>&1
echo $? >"$TMP/getent-mark.rc"
EOF
stage_run "$STAGE/names.bash"
done_ok create

for name in www.example.com mirror.example.org localhost.localdomain \
    foo.localhost wpad.corp.example; do
  refused "name-$name" 1 "refusing to map $name to 172.20.5.2: \"$name\" is not a guest name: a guest name is a single label"
done
for name in wpad isatap ip6-gateway; do
  refused "name-$name" 1 "\"$name\" is a name the host resolves for itself"
done
refused own-short 1 '"stagehost" is this host'"'"'s own name'
refused own-full 1 '"stagehost.example.test" is not a guest name'
refused tab 100 'bad hostname "gu\test"'
for ip in 10.1.2.3 172.20.5.1 172.20.5.9 172.21.5.2; do
  refused "addr-$ip" 1 "refusing to map alice-vm to $ip: $ip is not a guest address of the address plan (172.20.N.2, net_base)"
done
refused addr-172.20.6.2 1 "172.20.6.2 is the guest address of tap6, which is not yours: tap6 does not exist in this network namespace"
refused addr-172.20.7.2 1 "tap7 has no owner"
refused addr-172.20.8.2 1 "tap8 belongs to uid 61002"
refused addr-172.20.9.2 1 "tap9 is a tun device, not a tap"
refused addr-172.20.10.2 1 "tap10 is not a TUN/TAP device"
refused other-ns-bobs 1 "tap5 belongs to uid 61002"
refused other-ns-missing 1 "tap11 does not exist in this network namespace"
refused mallory 1 "password is required"

done_ok good
done_ok again
[ "$(section)" = "172.20.5.2 alice-vm # uid=61001" ] ||
  fail "alice-vm not mapped as hers: $(cat "$HOSTS")"
cmp -s <(printf '%s\n##STARTDYNAMIC\n172.20.5.2 alice-vm # uid=61001\n##ENDDYNAMIC\n' "$STATIC") "$HOSTS" ||
  fail "the hosts file is not the static part and alice's line: $(cat "$HOSTS")"
grep -Eqx '172\.20\.5\.2[[:space:]]+alice-vm' "$TMP/getent-name.log" ||
  fail "glibc does not resolve alice-vm: $(cat "$TMP/getent-name.log")"
grep -Eqx '172\.20\.5\.2[[:space:]]+alice-vm' "$TMP/getent-addr.log" ||
  fail "glibc does not resolve 172.20.5.2 to alice-vm alone: $(cat "$TMP/getent-addr.log")"
[ "$(cat "$TMP/getent-mark.rc")" = 2 ] ||
  fail "glibc read the owner mark as a name: $(cat "$TMP/getent-mark.log")"

# guest_domain: LABEL.DOMAIN too, never wpad under it.
conf "guest_domain = corp.example"
cat >"$STAGE/domain.bash" <<'EOF'
. "$STAGE/udh.bash"
try "$NS" alice dom-wpad sudo -n "$UDH" wpad.corp.example 172.20.5.2
try "$NS" alice dom-other sudo -n "$UDH" vm.other.example 172.20.5.2
try "$NS" alice dom-digits sudo -n "$UDH" 4711.corp.example 172.20.5.2
try "$NS" alice dom-good sudo -n "$UDH" vm1.corp.example 172.20.5.2
EOF
stage_run "$STAGE/domain.bash"
refused dom-wpad 1 '"wpad.corp.example" is a name the host resolves for itself'
refused dom-other 1 "or such a label followed by .corp.example (guest_domain)"
refused dom-digits 1 '"4711.corp.example" is not a guest name: its label is all digits'
done_ok dom-good
[ "$(section)" = "172.20.5.2 vm1.corp.example # uid=61001" ] ||
  fail "vm1.corp.example not mapped: $(cat "$HOSTS")"

# sudo_hosts = any: the article's freedom, for a site that wants it.
conf "sudo_hosts = any"
cat >"$STAGE/any.bash" <<'EOF'
. "$STAGE/udh.bash"
try "$NS" alice any-www sudo -n "$UDH" www.example.com 10.1.2.3
EOF
stage_run "$STAGE/any.bash"
done_ok any-www
section | grep -qx "10.1.2.3 www.example.com # uid=61001" ||
  fail "sudo_hosts = any did not map www.example.com: $(cat "$HOSTS")"
echo PASS
