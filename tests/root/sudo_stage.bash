#!/bin/bash
# The stage for tests that act as the helpers' real users (sourced, never
# run; the line above tells the linters the shell): ordinary users who
# reach the installed helpers through real sudo and the shipped sudoers
# drop-in, and a local user outside the group.
#
#   NS_TAG=xyz; . "$RUNALL_TOP/tests/root/sudo_stage.bash"
#
# The users (they exist only inside the stage):
#   alice 61001, bob 61002   members of the group runall (gid 61000)
#   mallory 61003            a local user outside the group
#
# The stage is a private mount namespace, entered with stage_run, in which
#   - /etc/passwd, /etc/group and /etc/shadow are copies of the host's plus those users,
#   - /etc/sudoers is the shipped etc/sudoers.runall alone (with Debian's
#     use_pty, so sudo runs the helper below a monitor process of its own),
#   - the compiled-in SYSCONFDIR is a tmpfs holding $STAGE/runall.conf
#     (root's, 0644, as the helpers demand) as runall.conf,
#   - the compiled-in SBINDIR is a tmpfs holding copies of the three sbin
#     programs, as `make install` puts them: the sudoers paths are the
#     installed ones, unchanged,
#   - /dev/net/tun is a node that every user may open (Debian's 0666).
# Nothing outside the test's namespaces and $TMP changes; the host's
# passwd, group and sudoers are never written.
#
# After sourcing, a test has (besides ns_helpers.bash's TMP, make_ns, fail):
#   $STAGE        the stage's files; $STAGE/runall.conf is what the helpers
#                 read (edit it before stage_run)
#   $RUN_DIR, $HN_DIR, $HOSTS   run_dir, hostname_dir (root:runall 1770,
#                 as the README installs it) and hosts_file of that file
#   $SBIN, $SYSCONF             the compiled-in directories
#   $BIN          copies of runqemuos and runall-os-test any user can run
#   $TOOLS        copies of the test tools (build/tests/*: fake-qemu,
#                 read_lock, lock-holder, ...) any user can run
# The users run only those copies, never the build directory's programs:
# a checkout under a directory of mode 0700 (a home directory) is out of
# their reach.
#   stage_run FILE   runs the bash script FILE as root inside the stage;
#                 FILE may use the functions below and the variables above
# and inside the stage:
#   as NS USER NAME CMD...   runs CMD as USER (alice, bob, mallory) in the
#                 network namespace NS with a clean environment, output in
#                 $TMP/NAME.log and exit status in $TMP/NAME.rc
# and after it, in the test:
#   rc NAME, out NAME        that status and output.
set -u
BUILD=${RUNALL_BUILD:?RUNALL_BUILD must point at the build directory}
# shellcheck disable=SC1091 # ns_helpers.bash is linted on its own
. "$RUNALL_TOP/tests/root/ns_helpers.bash"
# Other users walk into $TMP (their homes, the shared directories).
chmod 0755 "$TMP"
command -v sudo >/dev/null || fail "sudo is not installed"
command -v setpriv >/dev/null || fail "setpriv is not installed"

STAGE=$TMP/stage
RUN_DIR=$TMP/run
HN_DIR=$TMP/hostnames
HOSTS=$TMP/hosts
BIN=$STAGE/bin
TOOLS=$STAGE/tools
SYSCONF=$("$BUILD/start-tun-interface" --help |
  sed -n 's/.*settings file instead of \(.*\)\/runall.conf/\1/p')
SBIN=$("$BUILD/runqemuos" --help |
  sed -n 's|^  sudo -n \(.*\)/start-tun-interface TAP$|\1|p')
[ -d "$SYSCONF" ] || fail "the compiled-in settings directory '$SYSCONF' does not exist"
[ -d "$SBIN" ] || fail "the compiled-in sbin directory '$SBIN' does not exist"

mkdir -p "$STAGE" "$BIN" "$TOOLS"
for u in alice bob mallory; do mkdir -p "$TMP/home-$u"; done
chown 61001:61000 "$TMP/home-alice"
chown 61002:61000 "$TMP/home-bob"
chown 61003:61003 "$TMP/home-mallory"
install -d -m 1770 -o 0 -g 61000 "$HN_DIR"
printf '127.0.0.1\tlocalhost\n' >"$HOSTS"
for t in runqemuos runall-os-test; do
  [ -x "$BUILD/$t" ] && install -m 0755 "$BUILD/$t" "$BIN/$t"
done
for t in "$BUILD"/tests/*; do
  [ -f "$t" ] && [ -x "$t" ] && install -m 0755 "$t" "$TOOLS/${t##*/}"
done

{
  grep -v -e '^alice:' -e '^bob:' -e '^mallory:' /etc/passwd
  echo "alice:x:61001:61000:runall member:$TMP/home-alice:/bin/bash"
  echo "bob:x:61002:61000:runall member:$TMP/home-bob:/bin/bash"
  echo "mallory:x:61003:61003:not a member:$TMP/home-mallory:/bin/bash"
} >"$STAGE/passwd"
{
  grep -v -e '^runall:' -e '^mallory:' /etc/group
  echo "runall:x:61000:alice,bob"
  echo "mallory:x:61003:"
} >"$STAGE/group"
# PAM's account check (pam_unix) wants a shadow entry, or sudo says the
# account is locked.
{
  grep -v -e '^alice:' -e '^bob:' -e '^mallory:' /etc/shadow
  for u in alice bob mallory; do echo "$u:*:20000:0:99999:7:::"; done
} >"$STAGE/shadow"
chmod 0644 "$STAGE/passwd" "$STAGE/group"
chmod 0640 "$STAGE/shadow"
chgrp shadow "$STAGE/shadow" 2>/dev/null
{
  echo 'Defaults use_pty'
  cat "$RUNALL_TOP/etc/sudoers.runall"
} >"$STAGE/sudoers"
chmod 0440 "$STAGE/sudoers"
visudo -cf "$STAGE/sudoers" >/dev/null || fail "the shipped sudoers drop-in does not parse"

cat >"$STAGE/runall.conf" <<CONF
run_dir = $RUN_DIR
hostname_dir = $HN_DIR
hosts_file = $HOSTS
dns = 192.0.2.53
domain = example.test
lease_time = 300
CONF
chmod 0644 "$STAGE/runall.conf"

# The functions the stage's scripts use; written out so that the script
# run inside the mount namespace can source them.
cat >"$STAGE/lib.bash" <<'LIB'
# as NS USER NAME CMD...
as() {
  local ns=$1 user=$2 name=$3 uid gid groups
  shift 3
  case $user in
    alice) uid=61001 gid=61000 groups=61000 ;;
    bob) uid=61002 gid=61000 groups=61000 ;;
    mallory) uid=61003 gid=61003 groups=61003 ;;
    *) echo "as: no such stage user: $user" >"$TMP/$name.log"; echo 100 >"$TMP/$name.rc"; return ;;
  esac
  ip netns exec "$ns" setpriv --reuid="$uid" --regid="$gid" --groups="$groups" -- \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$TMP/home-$user" \
    USER="$user" LOGNAME="$user" "$@" >"$TMP/$name.log" 2>&1 </dev/null
  echo $? >"$TMP/$name.rc"
}
LIB
chmod 0644 "$STAGE/lib.bash"

# stage_run FILE: FILE as root inside the stage (see above).
stage_run() {
  local script=$1
  # shellcheck disable=SC2016 # expanded by the inner bash
  TMP=$TMP STAGE=$STAGE BUILD=$BUILD SBIN=$SBIN SYSCONF=$SYSCONF BIN=$BIN TOOLS=$TOOLS \
    unshare -m --propagation private bash -c '
      set -u
      mount --bind "$STAGE/passwd" /etc/passwd || exit 90
      mount --bind "$STAGE/group" /etc/group || exit 90
      mount --bind "$STAGE/shadow" /etc/shadow || exit 90
      mount --bind "$STAGE/sudoers" /etc/sudoers || exit 90
      mount -t tmpfs -o mode=0755 runall-etc "$SYSCONF" || exit 91
      install -m 0644 "$STAGE/runall.conf" "$SYSCONF/runall.conf" || exit 91
      mount -t tmpfs -o mode=0755 runall-sbin "$SBIN" || exit 92
      for t in start-tun-interface update-dynamic-hosts runall-dhcpd; do
        install -m 0755 "$BUILD/$t" "$SBIN/$t" || exit 92
      done
      mkdir -p "$STAGE/dev"
      mount -t tmpfs -o mode=0755 runall-dev "$STAGE/dev" || exit 93
      mknod -m 0666 "$STAGE/dev/tun" c 10 200 || exit 93
      mount --bind "$STAGE/dev/tun" /dev/net/tun || exit 93
      . "$STAGE/lib.bash"
      . "$1"' stage "$script" >"$TMP/stage.log" 2>&1
  local status=$?
  [ "$status" -eq 0 ] || fail "the stage failed (exit $status): $(cat "$TMP/stage.log")"
}

rc() { cat "$TMP/$1.rc" 2>/dev/null || echo missing; }
out() { cat "$TMP/$1.log" 2>/dev/null; }
