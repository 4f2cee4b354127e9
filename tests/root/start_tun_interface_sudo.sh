#!/bin/bash
# Through real sudo, as an unprivileged user (nobody), with the shipped
# sudoers drop-in (its paths rewritten for build/ as make install rewrites
# them for SBINDIR, its group for nobody's): the invoking user is SUDO_UID;
# -c makes taps owned by nobody, which nobody then configures (the guest on
# tap5's wire gets a lease with its name) and removes with -k; the hostname
# file must be nobody's and is found through sudo's own processes; -C is
# refused; a tap owned by another user is refused. Everything runs in a
# private mount namespace that binds the test's sudoers over /etc/sudoers
# and a tmpfs holding the test's runall.conf over the compiled-in
# /usr/local/etc, and in a network namespace of its own.
set -u
# shellcheck disable=SC1091 # start_tun_helpers.bash is linted on its own
source "$RUNALL_TOP/tests/root/start_tun_helpers.bash"
command -v sudo >/dev/null || fail "sudo is not installed"
command -v setpriv >/dev/null || fail "setpriv is not installed"
sysconf=$("$STI" --help | sed -n 's/.*settings file instead of \(.*\)\/runall.conf/\1/p')
[ -d "$sysconf" ] || fail "the compiled-in settings directory '$sysconf' does not exist"

ns=${PREFIX}s guest=${PREFIX}g
make_ns "$ns"
make_ns "$guest"
ip -n "$ns" tuntap add dev tap9 mode tap user 0 || fail "tuntap tap9"

# nobody's own hostname directory.
mkdir -m 0755 "$TMP/hn-nobody" "$TMP/scratch"
chown 65534:65534 "$TMP/hn-nobody" "$TMP/scratch"
# tap5 is nobody's own tap, so the default sudo_hosts = guests maps its
# guest's name.
sed -e "s|^hostname_dir = .*|hostname_dir = $TMP/hn-nobody|" "$CONF" >"$TMP/runall.conf.sudo"
chmod 0644 "$TMP/runall.conf.sudo"
# Debian's own sudoers sets use_pty: under a terminal sudo then runs the
# command below a monitor process of its own, one more ancestor to walk.
{
  echo 'Defaults use_pty'
  sed -e "s|/usr/local/sbin|$BUILD|g" -e 's|^%runall |%nogroup |' \
    "$RUNALL_TOP/etc/sudoers.runall"
} >"$TMP/sudoers"
chmod 0440 "$TMP/sudoers"
visudo -cf "$TMP/sudoers" >/dev/null || fail "the rewritten sudoers does not parse"

cat >"$TMP/inside" <<'SCRIPT'
#!/bin/bash
# In the private mount namespace, as root: set the stage, then act as nobody
# (phase "taps": make nobody's taps; phase "use": the rest).
set -u
mount --bind "$T/sudoers" /etc/sudoers || exit 90
mount -t tmpfs -o mode=0755 runall-test "$SYSCONF" || exit 91
cp "$T/runall.conf.sudo" "$SYSCONF/runall.conf" || exit 92
chmod 0644 "$SYSCONF/runall.conf"
as_nobody() {
  setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"
}
run() {  # run NAME COMMAND...: as nobody in the network namespace
  local name=$1
  shift
  ip netns exec "$NS" setpriv --reuid=65534 --regid=65534 --clear-groups \
    -- "$@" >"$T/$name.log" 2>&1
  echo $? >"$T/$name.rc"
}
if [ "$1" = taps ]; then
  run taps sudo -n "$STI" -c tap5 tap6
  exit 0
fi
# The guest's name left by nobody's shell, which then becomes script(1),
# whose pty makes sudo fork its monitor: the tool's ancestors are sudo's
# monitor, sudo, then script with the file's pid.
# shellcheck disable=SC2016 # expanded by the inner bash
run configure bash -c 'echo sudo-guest >"$1/$$"
  exec script -qec "sudo -n $2 tap5" /dev/null' _ "$T/hn-nobody" "$STI"
# A name file that is root's: never used for nobody. The shell tells its
# pid, waits for root to write the file, then execs sudo.
# shellcheck disable=SC2016
run rootfile bash -c 'echo $$ >"$1/rootfile.pid"
  while [ ! -e "$1/go" ]; do sleep 0.05; done
  exec sudo -n "$2" tap6' _ "$T/scratch" "$STI" &
for _ in $(seq 100); do [ -s "$T/scratch/rootfile.pid" ] && break; sleep 0.05; done
pid=$(cat "$T/scratch/rootfile.pid")
echo root-guest >"$T/hn-nobody/$pid"
touch "$T/scratch/go"
wait
run settings sudo -n "$STI" -C "$T/runall.conf.sudo" tap5
run create sudo -n "$STI" -c tap8
ip -n "$NS" -d link show tap8 >"$T/tap8.link" 2>&1
run theirs sudo -n "$STI" tap9
run stop sudo -n "$STI" -k tap8
run direct "$STI" tap5
as_nobody true
SCRIPT
chmod +x "$TMP/inside"

stage() {
  T=$TMP NS=$ns STI=$STI SYSCONF=$sysconf \
    unshare -m --propagation private "$TMP/inside" "$1" >"$TMP/inside.log" 2>&1 ||
    fail "the private stage failed: $(cat "$TMP/inside.log")"
}
rc() { cat "$TMP/$1.rc"; }

stage taps
[ "$(rc taps)" = 0 ] || fail "sudo -c tap5 tap6: $(cat "$TMP/taps.log")"
# tap5's guest: a NIC on the tap's wire, as QEMU would give it.
wire_guest "$ns" tap5 "$guest"
stage use

[ "$(rc configure)" = 0 ] || fail "sudo start-tun-interface tap5: $(cat "$TMP/configure.log")"
expect_host_addr "$ns" tap5
grep -qx "172.20.5.2[[:space:]]sudo-guest # uid=65534" "$HOSTS" ||
  fail "sudo-guest not mapped: $(cat "$HOSTS") / $(cat "$TMP/configure.log")"
lease "$guest" g || fail "no lease: $(cat "$TMP/udhcpc-g.log")"
expect_env "$TMP/env.bound.g" hostname sudo-guest

[ "$(rc rootfile)" = 0 ] || fail "tap6 run: $(cat "$TMP/rootfile.log")"
expect_host_addr "$ns" tap6
grep -q "owned by uid 0, not uid 65534" "$TMP/rootfile.log" ||
  fail "root's hostname file was not refused: $(cat "$TMP/rootfile.log")"
grep -q "hostname not found" "$TMP/rootfile.log" || fail "a name was used"

[ "$(rc settings)" = 100 ] || fail "-C through sudo exited $(rc settings)"
grep -q "not accepted when run through sudo" "$TMP/settings.log" ||
  fail "-C through sudo: $(cat "$TMP/settings.log")"

[ "$(rc create)" = 0 ] || fail "sudo -c tap8: $(cat "$TMP/create.log")"
grep -qx "created tap8: persistent tap, owner uid 65534" "$TMP/create.log" ||
  fail "-c said: $(cat "$TMP/create.log")"
grep -q "persist on user nobody" "$TMP/tap8.link" ||
  fail "tap8 is not nobody's: $(cat "$TMP/tap8.link")"

[ "$(rc theirs)" = 1 ] || fail "root's tap9 was not refused: $(cat "$TMP/theirs.log")"
grep -q "tap9: owned by uid 0, not by uid 65534; refused" "$TMP/theirs.log" ||
  fail "no reason given: $(cat "$TMP/theirs.log")"
ip -n "$ns" -4 addr show dev tap9 | grep -q inet && fail "tap9 was configured"

[ "$(rc stop)" = 0 ] || fail "sudo -k tap8: $(cat "$TMP/stop.log")"
grep -qx "tap8: removed" "$TMP/stop.log" || fail "-k said: $(cat "$TMP/stop.log")"
ip -n "$ns" link show tap8 >/dev/null 2>&1 && fail "tap8 still exists"

[ "$(rc direct)" = 1 ] || fail "run without sudo by nobody exited $(rc direct)"
grep -q "must run as root" "$TMP/direct.log" || fail "no 'must run as root'"
echo PASS
