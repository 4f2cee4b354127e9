# runall-nfs-lines with the article's example guest configuration: the
# exports for the NFS guests only, open to net_base/16; each guest's
# fstab/vfstab lines in the article's order (the exclusive directory before
# the common one inside it); 9p lines and -virtfs options for the Linux
# guest; the settings honoured; a named guest restricts the output; bad
# settings refused.  And the lines are the ones runall-guest-setup writes
# in the guest.  No root needed.
set -u
cd "$RUNALL_TOP" || exit 1
lines=$RUNALL_TOP/etc/guest/runall-nfs-lines
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# The article's example configuration.  (The stored copy of the article
# lost the blank lines between records; its comments say they are there.)
# No blank line after the last record: runall is forgiving about that.
cat >"$work/guests" <<'EOF'
## GUEST OS CONFIGURATION FILE
##
## Commented lines are ignored; blank lines delimit the OSes
## For safely, timeouts must be calculated based on running without
## kqemu. Timeouts are for boot and shutdown respectively.
##
## The first line of each OS is delimited by single spaces with fields
## as below. The next set of consecutive lines are additional options
## to pass to qemu (one specified per line)
# hostname imgfile starttimeout endtimeout memsize -localtime?(L=yes)
netqemu netbsd-2.0.2.img 240 60 64 L

solqemu solaris-10.img 2400 2000 128 L
-cdrom /data/os/solaris-10/sol-10-ccd-GA-x86-iso.iso

gentqemu gentoo.img 1200 1200 64 L

freeqemu freebsd-5.4.img 720 60 64 L
-cdrom /data/os/freeBSD-5.4/5.4-RELEASE-i386-disc1.iso

# openqemu should be last as it suffers least under kqemu-less
# operation
openqemu openbsd-3.7.img 240 60 64 L
#the last OS must be terminated by a blank line
EOF
: >"$work/empty.conf"

# Every line of the default output, in order, comments included.
cat >"$work/want" <<'EOF'
# /etc/exports on gentoo (then: exportfs -ra); see runall-guest(7)
/var/lib/runall/netshare/common-ro 172.20.0.0/16(ro,no_root_squash,nohide,sync,insecure,no_subtree_check)
/var/lib/runall/netshare/common-rw 172.20.0.0/16(rw,no_root_squash,nohide,sync,insecure,no_subtree_check)
/var/lib/runall/netshare/netqemu 172.20.0.0/16(rw,no_root_squash,nohide,sync,insecure,no_subtree_check)
/var/lib/runall/netshare/solqemu 172.20.0.0/16(rw,no_root_squash,nohide,sync,insecure,no_subtree_check)
/var/lib/runall/netshare/freeqemu 172.20.0.0/16(rw,no_root_squash,nohide,sync,insecure,no_subtree_check)
/var/lib/runall/netshare/openqemu 172.20.0.0/16(rw,no_root_squash,nohide,sync,insecure,no_subtree_check)
# each guest's own directory holds the mount point of the common one:
#   mkdir -p /var/lib/runall/netshare/netqemu/common
#   mkdir -p /var/lib/runall/netshare/solqemu/common
#   mkdir -p /var/lib/runall/netshare/gentqemu/common
#   mkdir -p /var/lib/runall/netshare/freeqemu/common
#   mkdir -p /var/lib/runall/netshare/openqemu/common

# netqemu (netbsd): /etc/fstab
gentoo:/var/lib/runall/netshare/common-ro /netshare-ro nfs ro 0 0
gentoo:/var/lib/runall/netshare/netqemu /netshare-rw nfs rw 0 0
gentoo:/var/lib/runall/netshare/common-rw /netshare-rw/common nfs rw 0 0
# netqemu: the same, written by the guest kit (as root in the guest):
#   runall-guest-setup --hostos gentoo --user USER --name netqemu --share nfs --host-ro /var/lib/runall/netshare/common-ro --host-rw /var/lib/runall/netshare/netqemu --host-common-rw /var/lib/runall/netshare/common-rw --ro /netshare-ro --rw /netshare-rw --common-rw /netshare-rw/common

# solqemu (solaris): /etc/vfstab
gentoo:/var/lib/runall/netshare/common-ro - /netshare-ro nfs - yes ro,vers=3
gentoo:/var/lib/runall/netshare/solqemu - /netshare-rw nfs - yes rw,vers=3
gentoo:/var/lib/runall/netshare/common-rw - /netshare-rw/common nfs - yes rw,vers=3
# solqemu: the same, written by the guest kit (as root in the guest):
#   runall-guest-setup --hostos gentoo --user USER --name solqemu --share nfs --host-ro /var/lib/runall/netshare/common-ro --host-rw /var/lib/runall/netshare/solqemu --host-common-rw /var/lib/runall/netshare/common-rw --ro /netshare-ro --rw /netshare-rw --common-rw /netshare-rw/common

# gentqemu (linux, 9p): /etc/fstab
common_ro /netshare-ro 9p trans=virtio,version=9p2000.L,ro 0 0
rw /netshare-rw 9p trans=virtio,version=9p2000.L,rw 0 0
common_rw /netshare-rw/common 9p trans=virtio,version=9p2000.L,rw 0 0
# gentqemu: QEMU options for its record in GUESTS (or the line share = 9p instead)
-virtfs local,path=/var/lib/runall/netshare/common-ro,mount_tag=common_ro,security_model=none,readonly=on
-virtfs local,path=/var/lib/runall/netshare/gentqemu,mount_tag=rw,security_model=none
-virtfs local,path=/var/lib/runall/netshare/common-rw,mount_tag=common_rw,security_model=none
# gentqemu: the same, written by the guest kit (as root in the guest):
#   runall-guest-setup --hostos gentoo --user USER --name gentqemu --share 9p --ro /netshare-ro --rw /netshare-rw --common-rw /netshare-rw/common

# freeqemu (freebsd): /etc/fstab
gentoo:/var/lib/runall/netshare/common-ro /netshare-ro nfs ro 0 0
gentoo:/var/lib/runall/netshare/freeqemu /netshare-rw nfs rw 0 0
gentoo:/var/lib/runall/netshare/common-rw /netshare-rw/common nfs rw 0 0
# freeqemu: the same, written by the guest kit (as root in the guest):
#   runall-guest-setup --hostos gentoo --user USER --name freeqemu --share nfs --host-ro /var/lib/runall/netshare/common-ro --host-rw /var/lib/runall/netshare/freeqemu --host-common-rw /var/lib/runall/netshare/common-rw --ro /netshare-ro --rw /netshare-rw --common-rw /netshare-rw/common

# openqemu (openbsd): /etc/fstab
gentoo:/var/lib/runall/netshare/common-ro /netshare-ro nfs ro 0 0
gentoo:/var/lib/runall/netshare/openqemu /netshare-rw nfs rw 0 0
gentoo:/var/lib/runall/netshare/common-rw /netshare-rw/common nfs rw 0 0
# openqemu: the same, written by the guest kit (as root in the guest):
#   runall-guest-setup --hostos gentoo --user USER --name openqemu --share nfs --host-ro /var/lib/runall/netshare/common-ro --host-rw /var/lib/runall/netshare/openqemu --host-common-rw /var/lib/runall/netshare/common-rw --ro /netshare-ro --rw /netshare-rw --common-rw /netshare-rw/common
EOF
sed -i "s|GUESTS|$work/guests|" "$work/want"

for shell in dash "busybox sh"; do
	read -r -a sh_cmd <<<"$shell"
	"${sh_cmd[@]}" "$lines" -C "$work/empty.conf" -g "$work/guests" -H gentoo >"$work/out" 2>"$work/err"
	rc=$?
	if [ $rc -ne 0 ] || ! cmp -s "$work/want" "$work/out" || [ -s "$work/err" ]; then
		fail "article example ($shell): exit $rc"
		diff "$work/want" "$work/out"
		cat "$work/err"
	else
		echo "ok: the article's example configuration ($shell)"
	fi
done

# Settings: another address plan and other directories, the guests file
# named there; the Linux guest over NFS; every user mapped to root.
cat >"$work/runall.conf" <<EOF
# test settings
net_base = 10.77
common_ro_host = /srv/ra/ro
common_rw_host=/srv/ra/rw
rw_host_base = /srv/ra/guests
common_ro_guest = /mnt/ro
rw_guest = /mnt/rw
common_rw_guest = /mnt/rw/shared
guests_file = $work/guests
EOF
sh "$lines" -C "$work/runall.conf" -H hostbox -u root -t gentqemu=linux-nfs gentqemu solqemu \
	>"$work/out" 2>"$work/err"
rc=$?
want_exports="/srv/ra/ro 10.77.0.0/16(ro,all_squash,anonuid=0,anongid=0,nohide,sync,insecure,no_subtree_check)
/srv/ra/rw 10.77.0.0/16(rw,all_squash,anonuid=0,anongid=0,nohide,sync,insecure,no_subtree_check)
/srv/ra/guests/solqemu 10.77.0.0/16(rw,all_squash,anonuid=0,anongid=0,nohide,sync,insecure,no_subtree_check)
/srv/ra/guests/gentqemu 10.77.0.0/16(rw,all_squash,anonuid=0,anongid=0,nohide,sync,insecure,no_subtree_check)"
want_gentoo="hostbox:/srv/ra/ro /mnt/ro nfs ro 0 0
hostbox:/srv/ra/guests/gentqemu /mnt/rw nfs rw 0 0
hostbox:/srv/ra/rw /mnt/rw/shared nfs rw 0 0"
if [ $rc -ne 0 ] || [ "$(grep '^/srv' "$work/out")" != "$want_exports" ] ||
	[ "$(grep '^hostbox:.* nfs [a-z]* 0 0$' "$work/out")" != "$want_gentoo" ] ||
	! grep -q '^#   mkdir -p /srv/ra/guests/gentqemu/shared$' "$work/out" ||
	grep -q -e netqemu -e freeqemu -e openqemu "$work/out"; then
	fail "settings, -u, -t and named guests: exit $rc"
	cat "$work/out" "$work/err"
else
	echo "ok: settings, -u root, -t GUEST=linux-nfs, named guests"
fi

# A Linux guest whose record already says share = 9p: runall-os-test adds
# the 9p devices, so -virtfs lines would give it every share twice.
cat >"$work/guests9p" <<'EOF'
lnxqemu debian-12.qcow2 300 60 1024
arch = x86_64
share = 9p

otherqemu ubuntu.img 300 60 1024
EOF
sh "$lines" -g "$work/guests9p" -H h >"$work/out" 2>&1
if grep -q -- '-virtfs .*lnxqemu' "$work/out" ||
	! grep -q '^# lnxqemu: its record in .* says share = 9p: runall-os-test adds the 9p devices itself$' "$work/out" ||
	! grep -q -- '^-virtfs local,path=/var/lib/runall/netshare/otherqemu,' "$work/out" ||
	! grep -q '^rw /netshare-rw 9p trans=virtio' "$work/out"; then
	fail "share = 9p: -virtfs lines printed for a record that adds its shares"
	cat "$work/out"
else
	echo "ok: a record with share = 9p gets fstab lines and no -virtfs lines"
fi

# Nested the other way (the exclusive directory inside the common one):
# the common one is mounted first.
printf 'rw_guest = /share/common/mine\ncommon_rw_guest = /share/common\n' >"$work/nested.conf"
sh "$lines" -C "$work/nested.conf" -g "$work/guests" -H h freeqemu >"$work/out" 2>&1
if [ "$(awk '/^h:/ { printf "%s ", $2 }' "$work/out")" != "/netshare-ro /share/common /share/common/mine " ] ||
	! grep -q '^#   mkdir -p /var/lib/runall/netshare/common-rw/mine$' "$work/out"; then
	fail "reverse nesting: not the common directory first"
	cat "$work/out"
else
	echo "ok: the outer directory is always mounted first"
fi

# A guest not in the configuration, and bad settings.
sh "$lines" -C "$work/empty.conf" -g "$work/guests" -H h nosuch netqemu >"$work/out" 2>"$work/err"
rc=$?
if [ $rc -ne 1 ] || ! grep -q 'not in .*: nosuch' "$work/err" || ! grep -q netqemu "$work/out"; then
	fail "unknown guest: exit $rc, $(cat "$work/err")"
else
	echo "ok: an unknown guest is reported, exit 1"
fi
for bad in 'net_base = 172.20.1' 'net_base = 300.1' 'common_ro_host = relative/dir' \
	'rw_host_base = /srv/with space'; do
	echo "$bad" >"$work/bad.conf"
	sh "$lines" -C "$work/bad.conf" -g "$work/guests" -H h >"$work/out" 2>"$work/err"
	rc=$?
	if [ $rc -ne 100 ] || [ -s "$work/out" ]; then
		fail "'$bad' accepted (exit $rc)"
	fi
done
sh "$lines" -C "$work/empty.conf" -g "$work/guests" -H h -t netqemu=beos >/dev/null 2>&1
[ $? -eq 100 ] || fail "-t with an unknown family accepted"
sh "$lines" -C "$work/nonexistent.conf" -g "$work/guests" -H h >/dev/null 2>&1
[ $? -eq 100 ] || fail "-C naming a missing file accepted"
echo "checked: bad settings refused with exit 100"

# The guest kit writes the same lines: runall-guest-setup on a test root of
# each family, with the options runall-nfs-lines printed.
uid=$(id -u) gid=$(id -g)
setup_fstab() { # FAMILY FSTAB NAME OPTIONS...
	fam=$1 tab=$2 gname=$3
	shift 3
	r=$work/root-$gname
	mkdir -p "$r/etc" "$r/home/tester"
	echo "tester:x:$uid:$gid::/home/tester:/bin/sh" >"$r/etc/passwd"
	RUNALL_ROOT=$r RUNALL_GUEST_FAMILY=$fam sh etc/guest/runall-guest-setup \
		--hostos gentoo --user tester --dhcp none --boot none "$@" >"$work/setup.out" 2>&1 ||
		{ cat "$work/setup.out"; return 1; }
	cat "$r/$tab"
}
sh "$lines" -C "$work/empty.conf" -g "$work/guests" -H gentoo >"$work/out" 2>&1
for g in netqemu:netbsd:etc/fstab solqemu:sunos:etc/vfstab gentqemu:linux:etc/fstab \
	freeqemu:freebsd:etc/fstab openqemu:openbsd:etc/fstab; do
	IFS=: read -r gname fam tab <<<"$g"
	cmdline=$(sed -n "s/^#   runall-guest-setup .* --name $gname //p" "$work/out")
	read -r -a opts <<<"$cmdline"
	from_lines=$(awk -v g="# $gname (" '
		index($0, g) == 1 { on = 1; next }
		on && /^#/ { exit }
		on { print }' "$work/out")
	from_setup=$(setup_fstab "$fam" "$tab" "$gname" --name "$gname" "${opts[@]}")
	if [ "$from_lines" != "$from_setup" ]; then
		fail "$gname: runall-guest-setup writes other lines than runall-nfs-lines prints"
		echo "runall-nfs-lines:"; echo "$from_lines"
		echo "runall-guest-setup:"; echo "$from_setup"
	fi
done
echo "checked: runall-guest-setup writes the lines runall-nfs-lines prints"

if [ $failures -ne 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi
echo "runall-nfs-lines: ok"
