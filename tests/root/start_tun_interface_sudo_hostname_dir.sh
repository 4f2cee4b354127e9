#!/bin/bash
# Issue 9, item 9 (and the <pid>.<suffix> names): through sudo the
# hostname directory is opened without following a symbolic link, and only
# one that nobody but root or the invoking user controls is used.
#
# hostname_dir is alice's own directory (she owns the one above it too).
# Her guest's name, left as <pid>.<suffix> the way runqemuos writes it, is
# found through sudo, mapped and deleted. Then she replaces the directory
# by a symlink to a root-only directory that holds a file named by her
# shell's pid: refused, and nothing changes (the file stays, the hosts
# file, the tap and its server too). So are a directory of hers that her
# group may write, bob's directory, a root directory that is not sticky,
# and a path through a symlink of hers; a missing directory is only a note.
set -u
# shellcheck disable=SC2034 # read by ns_helpers.bash
NS_TAG=sti-hndir
# shellcheck disable=SC1091 # sudo_taps.bash is linted on its own
. "$RUNALL_TOP/tests/root/sudo_taps.bash"

NS=${NS_TAG}-$$
export NS
make_ns "$NS"
A=$TMP/alice-state
install -d -m 0755 -o 61001 -g 61000 "$A" "$A/hostnames"
install -d -m 0700 "$TMP/rootonly"
install -d -m 0700 "$TMP/scratch"
chmod 0777 "$TMP/scratch"
sed -i "s|^hostname_dir = .*|hostname_dir = $A/hostnames|" "$STAGE/runall.conf"
export A

cat >"$TMP/own.sh" <<'STAGE'
as "$NS" alice c sudo -n "$STI" -c tap5
# shellcheck disable=SC2016 # expanded by alice's bash
as "$NS" alice up bash -c 'echo alice-guest >"$1/$$.Xy12ab34"
  exec sudo -n "$2" tap5' _ "$A/hostnames" "$STI"
STAGE
stage_run "$TMP/own.sh"
expect c 0 "created tap5"
expect up 0 ""
grep -Eq "^172\.20\.5\.2[[:space:]]+alice-guest" "$HOSTS" ||
  fail "alice-guest not mapped: $(cat "$HOSTS") / $(out up)"
[ -z "$(ls -A "$A/hostnames")" ] || fail "the used file is still there: $(ls -A "$A/hostnames")"
server=$(server_of "$NS" tap5) || fail "no server"

# The symlink: alice's shell tells its pid, swaps her directory for a link
# to a root-only one, waits for root's file named by that pid, runs sudo.
before=$(net_state "$NS"; cat "$HOSTS")
cat >"$TMP/link.sh" <<'STAGE'
# shellcheck disable=SC2016 # expanded by alice's bash
as "$NS" alice link bash -c 'echo $$ >"$1/pid"
  mv "$2/hostnames" "$2/hostnames.real" && ln -s "$3" "$2/hostnames" || exit 9
  while [ ! -e "$1/go" ]; do sleep 0.05; done
  exec sudo -n "$4" tap5' _ "$TMP/scratch" "$A" "$TMP/rootonly" "$STI" &
for _ in $(seq 100); do [ -s "$TMP/scratch/pid" ] && break; sleep 0.05; done
pid=$(cat "$TMP/scratch/pid")
echo secret-guest >"$TMP/rootonly/$pid"
chown 61001:61000 "$TMP/rootonly/$pid"
echo root-secret >"$TMP/rootonly/$pid.abc"
touch -d "-2 hours" "$TMP/rootonly/$pid.abc"
touch "$TMP/scratch/go"
wait
STAGE
stage_run "$TMP/link.sh"
pid=$(cat "$TMP/scratch/pid")
expect link 1 "hostname_dir $A/hostnames: a symbolic link or not a directory; refused"
after=$(net_state "$NS"; cat "$HOSTS")
[ "$after" = "$before" ] ||
  fail "the refusal changed something: $(diff <(echo "$before") <(echo "$after"))"
[ "$(cat "$TMP/rootonly/$pid" 2>/dev/null)" = secret-guest ] ||
  fail "the file in the root-only directory was used or removed"
[ -e "$TMP/rootonly/$pid.abc" ] || fail "root's file was removed"
out link | grep -q "$TMP/rootonly" && fail "the root-only directory was looked into: $(out link)"
alive "$server" || fail "tap5's server was stopped"
rm "$A/hostnames"
mv "$A/hostnames.real" "$A/hostnames"

# Directories others control, and a link on the way to one.
install -d -m 0755 -o 61002 -g 61000 "$TMP/bobs"
install -d -m 0777 "$TMP/open"
install -d -m 0755 -o 61001 -g 61000 "$TMP/rootonly/hostnames"
ln -s "$TMP/rootonly" "$A/link"
chown -h 61001:61000 "$A/link"
before=$(net_state "$NS"; cat "$HOSTS")
cat >"$TMP/dirs.sh" <<'STAGE'
set_dir() {
  sed "s|^hostname_dir = .*|hostname_dir = $1|" "$STAGE/runall.conf" >"$SYSCONF/runall.conf"
}
chmod 0775 "$A/hostnames"
set_dir "$A/hostnames"
as "$NS" alice group-writable sudo -n "$STI" tap5
chmod 0755 "$A/hostnames"
set_dir "$TMP/bobs"
as "$NS" alice bobs sudo -n "$STI" tap5
set_dir "$TMP/open"
as "$NS" alice open sudo -n "$STI" tap5
set_dir "$A/link/hostnames"
as "$NS" alice via-link sudo -n "$STI" tap5
net_state "$NS" >"$TMP/state.dirs"
cat "$HOSTS" >>"$TMP/state.dirs"
set_dir "$A/none"
as "$NS" alice missing sudo -n "$STI" tap5
STAGE
stage_run "$TMP/dirs.sh"
expect group-writable 1 "hostname_dir $A/hostnames: owned by uid 61001 but writable by group or others; refused"
expect bobs 1 "hostname_dir $TMP/bobs: owned by uid 61002, neither root nor uid 61001; refused"
expect open 1 "hostname_dir $TMP/open: owned by root, writable by group or others and not sticky (it should be root:runall 1770); refused"
expect via-link 1 "hostname_dir $A/link: a symbolic link or not a directory; refused"
[ "$(cat "$TMP/state.dirs")" = "$before" ] ||
  fail "a refusal changed something (tap5's server is in it): $(diff <(echo "$before") "$TMP/state.dirs")"
expect missing 0 "guest's hostname not found"
serving "$NS" tap5 || fail "no server after a run without a hostname directory"
echo PASS
