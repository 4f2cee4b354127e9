# The guest kit's files (etc/guest): every script is POSIX sh that dash,
# busybox sh and shellcheck accept; the systemd units pass systemd-analyze
# verify and the SMF manifest is well-formed XML; the files meant for the
# guest hold none of the host paths that make install rewrites, and make
# install puts the kit under DATADIR/guest with its exec bits, the guest
# files unchanged and the host-side ones naming the installed paths.
set -u
cd "$RUNALL_TOP" || exit 1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

scripts=0
while IFS= read -r f; do
	case $f in
	*.service | *.xml) continue ;;
	esac
	if [ "$(head -n 1 "$f")" != '#!/bin/sh' ]; then
		fail "$f: does not start with #!/bin/sh"
		continue
	fi
	[ -x "$f" ] || fail "$f: not executable"
	dash -n "$f" || fail "$f: dash -n"
	busybox sh -n "$f" || fail "$f: busybox sh -n"
	shellcheck -s sh "$f" || fail "$f: shellcheck -s sh"
	scripts=$((scripts + 1))
done < <(find etc/guest -type f | sort)
echo "checked $scripts scripts with dash -n, busybox sh -n, shellcheck -s sh"

# The units, as systemd itself reads them, in a root holding their commands.
if command -v systemd-analyze >/dev/null 2>&1 && [ -d /lib/systemd/system ]; then
	r=$work/root
	mkdir -p "$r/etc/systemd/system" "$r/etc/runall-guest" "$r/usr/lib/systemd"
	cp -r /lib/systemd/system "$r/usr/lib/systemd/system"
	cp etc/guest/lib/runall-boot-complete etc/guest/lib/runall-hostmap "$r/etc/runall-guest/"
	cp etc/guest/boot/*.service "$r/etc/systemd/system/"
	if ! out=$(systemd-analyze --man=no --root="$r" verify \
		runall-boot-complete.service runall-hostmap.service 2>&1) || [ -n "$out" ]; then
		fail "systemd-analyze verify: $out"
	else
		echo "ok: systemd-analyze verify"
	fi
else
	echo "skipped: systemd-analyze verify (no systemd-analyze)"
fi
if command -v xmllint >/dev/null 2>&1; then
	xmllint --noout etc/guest/boot/runall-boot-complete.xml || fail "SMF manifest: not well-formed"
elif command -v python3 >/dev/null 2>&1; then
	python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' \
		etc/guest/boot/runall-boot-complete.xml || fail "SMF manifest: not well-formed"
fi

# make install rewrites these host paths in what it installs; a guest's
# /usr/local/etc/rc.d must not become the host's SYSCONFDIR/rc.d.
host_paths='/usr/local/etc|/usr/local/sbin|/usr/local/bin|/usr/local/share|/var/lib/runall|/run/runall'
for f in $(find etc/guest -type f | sort); do
	case $f in
	etc/guest/runall-nfs-lines | etc/guest/runall-guest-setup) continue ;;
	esac
	if grep -E -n "$host_paths" "$f"; then
		fail "$f names a path make install would rewrite"
	fi
done
# The setup script names only the host's default share directories.
if grep -E -n "$host_paths" etc/guest/runall-guest-setup | grep -v '^[0-9]*:def_'; then
	fail "runall-guest-setup names a path make install would rewrite"
fi

dest=$work/dest
# A build directory of its own (as lint/install.sh has): installing with
# other paths rebuilds the tools for them, and in the tree's build/ that
# would leave the tests run after this one with programs that read
# /etc/ra. Seeded from build/, so only what the paths change is rebuilt.
mkdir "$work/build"
cp -a build/obj build/gen build/libruntime.a "$work/build"/ 2>/dev/null
if ! make -s -j2 B="$work/build" install DESTDIR="$dest" PREFIX=/opt/ra SYSCONFDIR=/etc/ra \
	LOCALSTATEDIR=/srv/ra >"$work/make.out" 2>&1; then
	fail "make install: $(cat "$work/make.out")"
else
	data=$dest/opt/ra/share/runall/guest
	while IFS= read -r f; do
		rel=${f#etc/guest/}
		inst=$data/$rel
		if [ ! -f "$inst" ]; then
			fail "make install: $rel missing"
			continue
		fi
		if [ -x "$f" ] && [ "$(stat -c %a "$inst")" != 755 ]; then
			fail "make install: $rel lost its exec bit"
		fi
		case $rel in
		runall-nfs-lines | runall-guest-setup) ;;
		*) cmp -s "$f" "$inst" || fail "make install changed $rel" ;;
		esac
	done < <(find etc/guest -type f)
	grep -q '^settings=/etc/ra/runall.conf$' "$data/runall-nfs-lines" ||
		fail "installed runall-nfs-lines does not read /etc/ra/runall.conf"
	grep -q '^rw_host_base=/srv/ra/netshare$' "$data/runall-nfs-lines" ||
		fail "installed runall-nfs-lines does not default to /srv/ra"
	grep -q '^def_host_ro=/srv/ra/netshare/common-ro$' "$data/runall-guest-setup" ||
		fail "installed runall-guest-setup does not default to /srv/ra"
	grep -q '^local_prefix=/usr/local$' "$data/runall-guest-setup" ||
		fail "installed runall-guest-setup lost the guest's /usr/local"
	[ -f "$dest/opt/ra/share/man/man7/runall-guest.7" ] || fail "runall-guest.7 not installed"
	echo "checked: make install of the guest kit"
fi

if [ $failures -ne 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi
echo "guest kit files: ok"
