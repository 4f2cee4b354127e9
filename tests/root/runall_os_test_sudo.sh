#!/bin/bash
# The whole flow as an ordinary user of an installed runall, through real
# sudo: nobody (uid 65534) makes a persistent tap of its own with
# `sudo start-tun-interface -c`, then runs `runall-os-test -s SCRIPT` with
# the compiled-in settings. runqemuos (as nobody) claims that tap, runs
# `sudo -n SBINDIR/start-tun-interface tap0` as the shipped sudoers drop-in
# allows, and execs QEMU as nobody; start-tun-interface (root) finds
# nobody's hostname file, starts runall-dhcpd and has update-dynamic-hosts
# map the guest; the driver waits for the guest, connects as nobody, runs
# the script there as nobody, and powers the guest off.
#
# Staged in a private mount namespace inside the test's network namespace:
# the shipped sudoers drop-in (group rewritten to nogroup) bound over
# /etc/sudoers, a tmpfs over the compiled-in SYSCONFDIR holding the test's
# settings (root-owned, as the helpers demand), a tmpfs over the compiled-in
# SBINDIR holding copies of the three sbin programs, as `make install` puts
# them, and a /dev/net/tun that ordinary users may open (as on Debian).
# Nothing outside the namespaces changes.
# shellcheck disable=SC1091 # runall_os_test.bash is checked on its own
. "$RUNALL_TOP/tests/root/runall_os_test.bash"
command -v sudo >/dev/null || fail "sudo is not installed"
command -v setpriv >/dev/null || fail "setpriv is not installed"
e2e_setup sudo
d=$E2E_DIR
B=$E2E_BUILD

sysconf=$("$B/start-tun-interface" --help | sed -n 's/.*settings file instead of \(.*\)\/runall.conf/\1/p')
sbindir=$("$B/runqemuos" --help | sed -n 's|^  sudo -n \(.*\)/start-tun-interface TAP$|\1|p')
[ -d "$sysconf" ] || fail "the compiled-in settings directory '$sysconf' does not exist"
[ -d "$sbindir" ] || fail "the compiled-in sbin directory '$sbindir' does not exist"

e2e_guest sudo-x86 x86_64
# nobody runs runall-os-test (and the runqemuos beside it) from where it
# can reach them.
e2e_stage_tools
# The guest's user is the driver's: same name, same uid.
sed -i 's/runall\.user=root:0:0/runall.user=nobody:65534:65534/' "$E2E_GUESTS"

# Everything nobody writes is nobody's; run_dir and the settings stay
# root's (start-tun-interface keeps its pid files there).
mkdir -p "$d/home" "$d/share/sudo-x86/common" "$d/dev"
chown -R 65534:65534 "$d/hostnames" "$d/launch" "$d/images" "$d/logs" \
	"$d/share" "$d/ssh" "$d/home"
chmod 0755 "$d/share/common-ro"
cat >"$d/script" <<'EOF'
#!/bin/sh
echo "ran as $(id -un):$(id -u) on $(uname -m)"
EOF
chmod 0755 "$d/script"
{
	echo 'Defaults use_pty'
	sed -e 's|^%runall |%nogroup |' "$E2E_TOP/etc/sudoers.runall"
} >"$d/sudoers"
chmod 0440 "$d/sudoers"
visudo -cf "$d/sudoers" >/dev/null || fail "the rewritten sudoers does not parse"
grep -q "$sbindir/start-tun-interface" "$d/sudoers" ||
	fail "the sudoers drop-in does not name $sbindir/start-tun-interface"

cat >"$d/inside" <<'EOF'
#!/bin/bash
# In the private mount namespace, as root: set the stage, then act as nobody.
set -u
mount --bind "$D/sudoers" /etc/sudoers || exit 90
mount -t tmpfs -o mode=0755 runall-etc "$SYSCONF" || exit 91
install -m 0644 "$D/runall.conf" "$SYSCONF/runall.conf" || exit 92
mount -t tmpfs -o mode=0755 runall-sbin "$SBIN" || exit 93
# Debian makes /dev/net/tun 0666; this machine 0600. A node of our own,
# bound over it here only, is what an ordinary host has.
mount -t tmpfs -o mode=0755 runall-dev "$D/dev" || exit 97
mknod -m 0666 "$D/dev/tun" c 10 200 && mount --bind "$D/dev/tun" /dev/net/tun || exit 98
for t in start-tun-interface update-dynamic-hosts runall-dhcpd; do
	install -m 0755 "$B/$t" "$SBIN/$t" || exit 94
done
as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups -- \
		env -i PATH="/usr/sbin:/usr/bin:/sbin:/bin" HOME="$D/home" USER=nobody \
		LOGNAME=nobody "$@"
}
as_nobody sudo -n "$SBIN/start-tun-interface" -c -n 1 >"$D/create.out" 2>&1 ||
	{ echo "sudo start-tun-interface -c -n 1 failed"; cat "$D/create.out"; exit 95; }
as_nobody "$BIN/runall-os-test" -i "$D/ssh/id_ed25519" --log-dir "$D/logs" \
	--shutdown -s "$D/script" sudo-x86 >"$D/run.out" 2>"$D/run.err"
echo "runall-os-test: exit $?" >>"$D/run.out"
as_nobody sudo -n "$SBIN/start-tun-interface" -k tap0 >"$D/remove.out" 2>&1 ||
	{ echo "sudo start-tun-interface -k tap0 failed"; cat "$D/remove.out"; exit 96; }
EOF
chmod 0755 "$d/inside"
D=$d B=$B BIN=$E2E_BIN SYSCONF=$sysconf SBIN=$sbindir ip netns exec "$E2E_NS" unshare -m "$d/inside" ||
	fail "staging in the mount namespace failed (exit $?)"
cat "$d/create.out" "$d/run.out"

grep -qx "created tap0: persistent tap, owner uid 65534" "$d/create.out" ||
	fail "sudo start-tun-interface -c did not make tap0 for nobody"
grep -qx "runall-os-test: exit 0" "$d/run.out" || fail "runall-os-test failed: $(cat "$d/run.err")"
[ "$(e2e_result "$d/run.out" sudo-x86)" = passed ] || fail "sudo-x86 did not pass"
grep -qx "ran as nobody:65534 on x86_64" "$d/run.out" ||
	fail "the script did not run as nobody on the guest"
grep -q "172.20.0.2[[:space:]]*sudo-x86" "$E2E_NETNS_DIR/hosts" ||
	fail "the guest was not mapped: $(cat "$E2E_NETNS_DIR/hosts")"
grep -qx "tap0: removed" "$d/remove.out" || fail "-k tap0: $(cat "$d/remove.out")"
[ -z "$(e2e_qemu_pids)" ] || fail "--shutdown left QEMU: $(e2e_qemu_pids)"
[ -z "$(ip netns pids "$E2E_NS")" ] ||
	fail "processes left in the namespace: $(ip netns pids "$E2E_NS")"
ok "nobody booted a guest through sudo, ran a script on it as nobody, and stopped it"
echo PASS
