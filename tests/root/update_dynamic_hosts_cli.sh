#!/bin/bash
# The command line as a user meets it: exit codes, hostile arguments and
# hosts files (a clear message, nothing changed), the options refused under
# sudo, and restrict_hosts. Works on a test hosts file named with -C/-f.
# shellcheck disable=SC1091 # update_dynamic_hosts.bash is linted on its own
source "$RUNALL_TOP/tests/root/update_dynamic_hosts.bash"
udh_setup 10
C=(-C "$T/runall.conf")
cp "$T/hosts" "$T/orig"

# expect CODE MESSAGE-PART ARGS...: runs the tool, checks exit code and
# stderr, and that the hosts file is unchanged unless CODE is 0.
expect() {
  local code=$1 part=$2 rc; shift 2
  "$UDH" "$@" >"$T/out" 2>"$T/err"; rc=$?
  [ "$rc" -eq "$code" ] ||
    fail "update-dynamic-hosts $* exited $rc, not $code: $(cat "$T/err")"
  if [ -n "$part" ]; then
    grep -qF -- "$part" "$T/err" ||
      fail "update-dynamic-hosts $*: no \"$part\" in: $(cat "$T/err")"
  fi
  [ "$(wc -l <"$T/err")" -le 3 ] || fail "message too long: $(cat "$T/err")"
}
unchanged() { cmp -s "$T/hosts" "$T/orig" || fail "hosts file changed: $*"; }

say "usage"
"$UDH" --help >"$T/out" || fail "--help"
grep -q '^usage: update-dynamic-hosts' "$T/out" || fail "--help prints no usage"
expect 100 "expected HOSTNAME and IP" "${C[@]}"
expect 100 "expected HOSTNAME and IP" "${C[@]}" guest1
expect 100 "expected HOSTNAME and IP" "${C[@]}" guest1 172.20.1.2 extra
expect 100 "no other argument" "${C[@]}" -d guest1 172.20.1.2
expect 100 "unknown option" "${C[@]}" -x guest1 172.20.1.2
expect 100 "" "${C[@]}" -evil 172.20.1.2
unchanged "usage errors"

say "hostile hostnames and addresses"
nl=$'\n'
for name in "" "gu est" "guest${nl}1" "guest#1" "-guest" "$(printf 'a%.0s' {1..64})" \
    "a..b" "guest." "gu_est" "1.2.3.4" "guest;reboot" "guest/x" "*"; do
  expect 100 "bad hostname" "${C[@]}" -- "$name" 172.20.1.2
  expect 100 "bad hostname" "${C[@]}" -d "$name"
done
for ip in "" "999.1.1.1" "1.2.3" "01.2.3.4" "1.2.3.4 evil" "1.2.3.4${nl}" \
    " 1.2.3.4" "::1" "0.0.0.0" "127.0.0.1" "255.255.255.255" "172.20.1.2#"; do
  expect 100 "bad address" "${C[@]}" guest1 "$ip"
done
unchanged "hostile arguments"
[ ! -e "$T/hosts.lock" ] || fail "a refused argument still took the lock"
# Quoted text shows a tab as \t, not as '?': in an argument, and in the
# line of the hosts file a refusal quotes.
expect 100 'bad hostname "gu\test"' "${C[@]}" "$(printf 'gu\test')" 172.20.1.2
expect 1 'at line 1: "127.0.0.1\tlocalhost"' "${C[@]}" localhost 172.20.3.2
! grep -qF '?' "$T/err" || fail "a '?' in the message: $(cat "$T/err")"
unchanged "quoted control characters"

say "mapping, refusals, removal"
expect 0 "" "${C[@]}" guest1 172.20.1.2
grep -qx '172.20.1.2 guest1 # uid=0' "$T/hosts" || fail "guest1 not mapped"
expect 0 "already" "${C[@]}" -v guest1 172.20.1.2
expect 0 "" "${C[@]}" guest1 172.20.5.2
[ "$(grep -c guest1 "$T/hosts")" -eq 1 ] || fail "guest1 not replaced"
cp "$T/hosts" "$T/orig"
expect 1 "outside the dynamic section, at line 8" "${C[@]}" server 172.20.3.2
expect 1 "outside the dynamic section" "${C[@]}" fs 172.20.3.2
expect 1 "outside the dynamic section" "${C[@]}" ip6-loopback 172.20.3.2
expect 1 "outside the dynamic section" "${C[@]}" Late-Static 172.20.3.2
expect 1 "10.0.0.5 appears outside" "${C[@]}" guest3 10.0.0.5
expect 1 "not removed" "${C[@]}" -d server
unchanged "refusals"
expect 0 "not in the hosts file" "${C[@]}" -d guest7
unchanged "removing an absent name"
expect 0 "" "${C[@]}" -d guest1
cmp -s <(cat "$T/prefix" "$T/suffix") "$T/hosts" || fail "removal did not restore the file"
cp "$T/hosts" "$T/orig"

say "unusable hosts files"
mkdir "$T/d"
expect 111 "does not exist" "${C[@]}" -f "$T/d/none" guest1 172.20.1.2
mkdir "$T/d/dir"
expect 111 "is a directory" "${C[@]}" -f "$T/d/dir" guest1 172.20.1.2
ln -s "$T/hosts" "$T/d/link"
expect 111 "symbolic link" "${C[@]}" -f "$T/d/link" guest1 172.20.1.2
unchanged "through a symlink"
mkfifo "$T/d/fifo"
expect 111 "not a regular file" "${C[@]}" -f "$T/d/fifo" guest1 172.20.1.2
# Unreadable: a root-only file in a directory the user may write.
install -d -o nobody -m 0755 "$T/nobody"
install -m 0600 "$T/orig" "$T/nobody/hosts"
# nobody runs a copy: the build directory may be out of its reach.
install -m 0755 "$UDH" "$T/nobody/update-dynamic-hosts"
chmod 0711 "$T"
if setpriv --reuid=nobody --regid=nogroup --clear-groups \
    "$T/nobody/update-dynamic-hosts" -f "$T/nobody/hosts" guest1 172.20.1.2 2>"$T/err"; then
  fail "an unreadable hosts file was accepted"
else
  rc=$?
fi
if [ "$rc" -ne 111 ] || ! grep -q 'Permission denied' "$T/err"; then
  fail "unreadable hosts file: exit $rc: $(cat "$T/err")"
fi
cmp -s "$T/nobody/hosts" "$T/orig" || fail "unreadable file changed"
chmod 0700 "$T"

say "settings"
expect 111 "" -C "$T/none.conf" guest1 172.20.1.2
chmod 0666 "$T/runall.conf"
expect 111 "not writable by group or others" "${C[@]}" guest1 172.20.1.2
chmod 0644 "$T/runall.conf"
unchanged "bad settings"

say "run through sudo: no option that changes a path"
SUDO_UID=65534 expect 100 "-C: refused when run through sudo" "${C[@]}" guest1 172.20.1.2
SUDO_UID=65534 expect 100 "-f: refused when run through sudo" -f "$T/hosts" guest1 172.20.1.2
SUDO_UID=65534 expect 100 "-f: refused" -f "$T/hosts" -d guest1
unchanged "sudo"

say "restrict_hosts"
printf 'restrict_hosts = yes\n' >>"$T/runall.conf"
printf '# guests\nnetqemu netbsd.img 240 60 64 L\n-cdrom x.iso\n\nsolqemu s.img\n' \
  >"$T/guests"
expect 0 "" "${C[@]}" netqemu 172.20.4.2
expect 0 "" "${C[@]}" SolQemu 172.20.0.2
expect 1 "not a guest" "${C[@]}" other 172.20.6.2
expect 1 "not a guest address of the plan" "${C[@]}" netqemu 172.20.4.1
expect 1 "not a guest address of the plan" "${C[@]}" netqemu 10.20.4.2
chmod 0664 "$T/guests"
expect 111 "must be owned by root" "${C[@]}" netqemu 172.20.4.2
chmod 0644 "$T/guests"
# Removing is allowed for any name: it grants nothing.
expect 0 "" "${C[@]}" -d SolQemu
grep -qx '172.20.4.2 netqemu # uid=0' "$T/hosts" || fail "netqemu not mapped"
! grep -qi solqemu "$T/hosts" || fail "solqemu not removed"
say "all CLI checks passed"
