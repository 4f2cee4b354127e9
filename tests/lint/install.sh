# make install / make uninstall into a DESTDIR: binaries with their modes
# (privileged helpers in sbin), man pages with the real paths, examples,
# configuration never overwritten, and uninstall leaving only what the user
# edited.
set -eu
cd "$RUNALL_TOP"
dest=$(mktemp -d)
b=$(mktemp -d)
trap 'rm -rf "$dest" "$b"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# A build directory of its own, so that installing with other paths does
# not rebuild the tree's build/ that the other tests run; seeded from it,
# so that its first `make` has nothing to do, as for a user who ran `make`.
cp -a build/obj build/gen build/libruntime.a "$b"/ 2>/dev/null || true
for t in start-tun-interface update-dynamic-hosts runall-dhcpd runqemuos runall-os-test; do
	[ -f "build/$t" ] && cp -a "build/$t" "$b/"
done
inst() { make -s -j2 B="$b" "$@" DESTDIR="$dest" PREFIX=/opt/ra SYSCONFDIR=/etc/ra >/dev/null; }

# `make`, then `make install` with other paths: the installed programs must
# read the settings and run the helpers where the man pages say, not where
# the first `make` would have put them.
make -s -j2 B="$b" all >/dev/null || fail "make"
inst install
"$dest/opt/ra/sbin/start-tun-interface" --help | grep -q 'instead of /etc/ra/runall.conf' ||
	fail "start-tun-interface was not rebuilt for SYSCONFDIR=/etc/ra: $("$dest/opt/ra/sbin/start-tun-interface" --help | grep 'settings file')"
"$dest/opt/ra/bin/runqemuos" --help | grep -q 'sudo -n /opt/ra/sbin/start-tun-interface' ||
	fail "runqemuos was not rebuilt for SBINDIR=/opt/ra/sbin"
grep -q '/opt/ra/sbin/start-tun-interface' "$dest/opt/ra/share/runall/examples/sudoers.runall" ||
	fail "the sudoers example does not name the installed helper"
for t in runall-os-test runqemuos; do
	[ -f "src/$t.cpp" ] || continue
	[ -x "$dest/opt/ra/bin/$t" ] || fail "$t not in bin"
done
for t in start-tun-interface update-dynamic-hosts runall-dhcpd; do
	[ -f "src/$t.cpp" ] || continue
	[ -x "$dest/opt/ra/sbin/$t" ] || fail "$t not in sbin"
	[ "$(stat -c %a "$dest/opt/ra/sbin/$t")" = 755 ] || fail "$t mode"
done
page=$dest/opt/ra/share/man/man5/runall.conf.5
[ -f "$page" ] || fail "runall.conf.5 not installed"
grep -q '/etc/ra/runall.conf' "$page" || fail "man page does not name SYSCONFDIR"
grep -q '/usr/local' "$page" && fail "man page still names /usr/local"
[ -f "$dest/etc/ra/runall.conf" ] || fail "runall.conf not installed"
[ -f "$dest/opt/ra/share/runall/examples/runall.conf" ] || fail "example missing"
bb=$dest/opt/ra/share/runall/examples/buildbot-master.cfg
[ -f "$bb" ] || fail "the Buildbot master example is not installed"
grep -q '/opt/ra/share/runall/examples/buildbot-master.cfg' "$bb" ||
	fail "the Buildbot master example does not name where it is installed"

# A user's settings survive a reinstall and an uninstall.
echo "lease_time = 60" >>"$dest/etc/ra/runall.conf"
cp "$dest/etc/ra/runall.conf" "$dest/saved"
inst install
cmp -s "$dest/saved" "$dest/etc/ra/runall.conf" || fail "install overwrote runall.conf"
inst uninstall
cmp -s "$dest/saved" "$dest/etc/ra/runall.conf" || fail "uninstall removed edited runall.conf"
left=$(cd "$dest" && find . -type f ! -name saved ! -path ./etc/ra/runall.conf)
[ -z "$left" ] || fail "uninstall left: $left"

# An unedited configuration goes with uninstall.
rm -f "$dest/etc/ra/runall.conf"
inst install
inst uninstall
[ ! -e "$dest/etc/ra/runall.conf" ] || fail "unedited runall.conf left behind"
echo "install/uninstall: ok"
