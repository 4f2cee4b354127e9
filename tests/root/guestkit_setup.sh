# runall-guest-setup against temporary guest roots of every family, each
# run twice: the first run installs what that family gets (checked file by
# file, the administrator's own lines kept), the second changes nothing at
# all (same inodes, times, modes, owners), a dry run changes nothing, bad
# input changes nothing; then the installed hooks and boot script work in
# the prepared root, and a bind-mounted /etc/hosts is written in place.
# Then the setup for real in a chroot (busybox), as image builders run it.
# Root: the user's files are given to another uid.
#
# Single quotes keep $ for the files and commands written below; "~/..."
# only names files in messages.
# shellcheck disable=SC2016,SC2088
set -u
cd "$RUNALL_TOP" || exit 1
setup=$RUNALL_TOP/etc/guest/runall-guest-setup
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}
expect() { # DESCRIPTION TEST...
	local what=$1
	shift
	"$@" || fail "$scenario: $what"
}

key1='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl tester@host'
key2='ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 other@host'
printf '%s\n' "$key1" >"$work/key1.pub"
printf '# a comment line\n%s\n%s\n' "$key1" "$key2" >"$work/keys.pub"
printf 'not a key\n' >"$work/bad.pub"

# new_root: a guest root with the test user (uid 4321) and a hosts file.
new_root() {
	local r=$work/$1
	mkdir -p "$r/etc" "$r/home/tester" "$r/sbin" "$r/usr/sbin" "$r/bin"
	printf 'root:x:0:0:root:/root:/bin/sh\ntester:x:4321:4321::/home/tester:/bin/sh\n' >"$r/etc/passwd"
	printf '127.0.0.1\tlocalhost\n' >"$r/etc/hosts"
	echo "$r"
}
fake_prog() { # ROOT PATH...
	local r=$1 p
	shift
	for p; do
		mkdir -p "$(dirname "$r$p")"
		printf '#!/bin/sh\nexit 0\n' >"$r$p"
		chmod 755 "$r$p"
	done
}
# How the setup script is run: the host's sh, or busybox alone.
setup_sh=(sh)
snapshot() {
	find "$1" -printf '%p %i %m %u:%g %s %T@ %l\n' | sort
	find "$1" -type f -exec md5sum {} + | sort
}
# run_twice ROOT FAMILY ARGS...: dry run (no change), run, run again (no
# change, "nothing to change").  The first run's output is in $work/out1.
run_twice() {
	local r=$1 fam=$2
	shift 2
	snapshot "$r" >"$work/snap0"
	RUNALL_ROOT=$r RUNALL_GUEST_FAMILY=$fam "${setup_sh[@]}" "$setup" -n "$@" >"$work/out0" 2>&1 ||
		fail "$scenario: dry run failed: $(cat "$work/out0")"
	snapshot "$r" >"$work/snap0b"
	cmp -s "$work/snap0" "$work/snap0b" || fail "$scenario: the dry run changed the root"
	grep -q 'would' "$work/out0" || fail "$scenario: the dry run said nothing it would do"
	RUNALL_ROOT=$r RUNALL_GUEST_FAMILY=$fam "${setup_sh[@]}" "$setup" "$@" >"$work/out1" 2>&1 ||
		fail "$scenario: first run failed: $(cat "$work/out1")"
	snapshot "$r" >"$work/snap1"
	RUNALL_ROOT=$r RUNALL_GUEST_FAMILY=$fam "${setup_sh[@]}" "$setup" "$@" >"$work/out2" 2>&1 ||
		fail "$scenario: second run failed: $(cat "$work/out2")"
	snapshot "$r" >"$work/snap2"
	if ! cmp -s "$work/snap1" "$work/snap2"; then
		fail "$scenario: the second run changed the root"
		diff "$work/snap1" "$work/snap2" | head -20
	fi
	grep -q 'nothing to change: this guest was already prepared' "$work/out2" ||
		fail "$scenario: second run did not say nothing changed: $(tail -3 "$work/out2")"
	grep -q 'WARNING' "$work/out1" && [ -z "${warnings_expected:-}" ] &&
		fail "$scenario: unexpected warning: $(grep WARNING "$work/out1")"
	return 0
}
mode_owner() { stat -c '%a %u:%g' "$1"; }
first_line() { head -n 1 "$1"; }
has_line() { grep -F -x -q -- "$2" "$1"; }
# block_in FILE LINE: LINE sits in FILE's runall-guest block.
block_in() {
	awk -v l="$2" '/^# BEGIN runall-guest/ { on = 1 } on && $0 == l { found = 1 }
		/^# END runall-guest/ { on = 0 } END { exit !found }' "$1"
}
conf_is() { # ROOT LINES...
	local r=$1
	shift
	[ "$(grep -v '^#' "$r/etc/runall-guest.conf")" = "$(printf '%s\n' "$@")" ]
}
ninep_fstab() {
	printf '%s\n' \
		'common_ro /netshare-ro 9p trans=virtio,version=9p2000.L,ro 0 0' \
		'rw /netshare-rw 9p trans=virtio,version=9p2000.L,rw 0 0' \
		'common_rw /netshare-rw/common 9p trans=virtio,version=9p2000.L,rw 0 0'
}
user_files_ok() { # ROOT NAME
	local r=$1
	expect "~/hostname: mode/owner" [ "$(mode_owner "$r/home/tester/hostname")" = "755 4321:4321" ]
	if [ -n "$2" ]; then
		expect "~/hostname prints $2" [ "$(sh "$r/home/tester/hostname")" = "$2" ]
	else
		expect "~/hostname prints the host name" \
			[ "$(sh "$r/home/tester/hostname")" = "$(uname -n | sed 's/\..*//')" ]
	fi
	expect "~/.ssh mode/owner" [ "$(mode_owner "$r/home/tester/.ssh")" = "700 4321:4321" ]
	expect "authorized_keys mode/owner" \
		[ "$(mode_owner "$r/home/tester/.ssh/authorized_keys")" = "600 4321:4321" ]
	expect "the key once in authorized_keys" \
		[ "$(grep -c -F -x -- "$key1" "$r/home/tester/.ssh/authorized_keys")" = 1 ]
}

# --- Linux, busybox alone with udhcpc: the test guest's case ----------------
scenario="linux/udhcpc"
r=$(new_root linux-udhcpc)
fake_prog "$r" /sbin/udhcpc
run_twice "$r" linux --hostos hostos --user tester --uid 4321 --key "$work/key1.pub" \
	--name testguest --router 172.20.3.1
expect "detected udhcpc, no init to hook" grep -q 'DHCP clients: udhcpc; boot signal: none; shares: 9p' "$work/out1"
expect "says how to run udhcpc" grep -q "udhcpc -i IF -s /etc/runall-guest/udhcpc-script" "$work/out1"
expect "says who gives the boot signal" grep -q 'run /etc/runall-guest/runall-boot-complete as the last step' "$work/out1"
for f in runall-hostmap runall-boot-complete udhcpc-script; do
	expect "$f installed 0755" [ "$(mode_owner "$r/etc/runall-guest/$f")" = "755 0:0" ]
	expect "$f is the kit's" cmp -s "$r/etc/runall-guest/$f" "$(find etc/guest -name "$f")"
done
expect "configuration" conf_is "$r" RUNALL_HOSTOS=hostos RUNALL_NAME=testguest \
	RUNALL_COMMON_RW=/netshare-rw/common RUNALL_SET_HOSTNAME=yes RUNALL_USER=tester
expect "9p fstab lines in order" [ "$(cat "$r/etc/fstab")" = "$(ninep_fstab)" ]
for d in /netshare-ro /netshare-rw /netshare-rw/common; do
	expect "mount point $d" [ -d "$r$d" ]
done
user_files_ok "$r" testguest
expect "--router mapped the host now" has_line "$r/etc/hosts" "172.20.3.1 hostos"
# The installed pieces work together: a lease through udhcpc's script, then
# the boot signal. The script configures the interface it is given with the
# real ip(8), so it runs in a network namespace of its own whose eth0 is one
# end of a veth pair: the host's own eth0 is never touched (an earlier
# version of this test ran it in the host's namespace and readdressed the
# machine's eth0).
mkdir -p "$r/state"
unshare -n sh -c '
	ip link add eth0 type veth peer name eth0peer || exit 90
	# udhcpc brings the interface up (deconfig) before any lease.
	ip link set eth0peer up && ip link set eth0 up || exit 91
	env -i PATH=/usr/bin:/bin RUNALL_ROOT="$1" interface=eth0 ip=172.20.4.2 \
		subnet=255.255.255.0 router=172.20.4.1 hostname=testguest \
		RUNALL_UDHCPC_CHAINED=1 "$1/etc/runall-guest/udhcpc-script" renew \
		>/dev/null 2>&1 </dev/null || exit 92
	ip -4 -o addr show dev eth0
	ip -4 route show default' sh "$r" >"$work/lease-ns" 2>&1 ||
	fail "$scenario: udhcpc-script renew in its own namespace: exit $?: $(cat "$work/lease-ns")"
expect "the lease's address on the namespace's eth0" grep -q 'inet 172.20.4.2/24 ' "$work/lease-ns"
expect "the lease's router as default route" grep -q '^default via 172.20.4.1 dev eth0' "$work/lease-ns"
expect "a lease through the installed script remaps the host" \
	[ "$(grep hostos "$r/etc/hosts")" = "172.20.4.1 hostos" ]
RUNALL_ROOT=$r "$r/etc/runall-guest/runall-boot-complete"
expect "the boot signal appends the date to COMMON_RW_GUEST/testguest" \
	[ "$(wc -l <"$r/netshare-rw/common/testguest")" = 1 ]
# A second key file: only the new key is added.
RUNALL_ROOT=$r RUNALL_GUEST_FAMILY=linux sh "$setup" --hostos hostos --user tester \
	--key "$work/keys.pub" --name testguest >"$work/out3" 2>&1
expect "second key file: one change" grep -q 'done: 1 change' "$work/out3"
expect "both keys, once each" [ "$(grep -c ssh- "$r/home/tester/.ssh/authorized_keys")" = 2 ]
echo "checked: $scenario"

# --- The same on a system of busybox alone: busybox's sh and applets only ----
scenario="linux/busybox only"
bb=$work/busybox-bin
mkdir -p "$bb"
busybox --install -s "$bb"
r=$(new_root linux-busybox)
fake_prog "$r" /sbin/udhcpc
setup_sh=(env "PATH=$bb" "$bb/sh")
run_twice "$r" linux --hostos hostos --user tester --uid 4321 --key "$work/key1.pub" \
	--name testguest --dhcp udhcpc --boot none --router 172.20.3.1
setup_sh=(sh)
expect "9p fstab lines in order" [ "$(cat "$r/etc/fstab")" = "$(ninep_fstab)" ]
user_files_ok "$r" testguest
expect "--router mapped the host now" has_line "$r/etc/hosts" "172.20.3.1 hostos"
env "PATH=$bb" RUNALL_ROOT="$r" "$bb/sh" "$r/etc/runall-guest/runall-hostmap" 172.20.5.1 >/dev/null 2>&1
expect "runall-hostmap with busybox alone" has_line "$r/etc/hosts" "172.20.5.1 hostos"
env "PATH=$bb" RUNALL_ROOT="$r" "$bb/sh" "$r/etc/runall-guest/runall-boot-complete"
expect "the boot signal with busybox alone" [ -s "$r/netshare-rw/common/testguest" ]
echo "checked: $scenario"

# --- Linux with dhcpcd and OpenRC; the administrator's exit hook kept --------
scenario="linux/dhcpcd+openrc"
r=$(new_root linux-dhcpcd)
fake_prog "$r" /sbin/dhcpcd /sbin/openrc /etc/init.d/local
printf '# my own hook\nlogger "dhcpcd: $reason"\n' >"$r/etc/dhcpcd.exit-hook"
cp "$r/etc/dhcpcd.exit-hook" "$work/admin-hook"
run_twice "$r" linux --hostos hostos --user tester --key "$work/key1.pub"
expect "detected dhcpcd and OpenRC" grep -q 'DHCP clients: dhcpcd; boot signal: openrc' "$work/out1"
expect "the administrator's hook lines kept first" \
	[ "$(head -n 2 "$r/etc/dhcpcd.exit-hook")" = "$(cat "$work/admin-hook")" ]
expect "dhcpcd.exit-hook sources the kit's hook" \
	block_in "$r/etc/dhcpcd.exit-hook" "	. /etc/runall-guest/dhcpcd-hook"
expect "local.d start file" [ "$(mode_owner "$r/etc/local.d/runall-boot-complete.start")" = "755 0:0" ]
expect "local service in the default runlevel" \
	[ "$(readlink "$r/etc/runlevels/default/local")" = /etc/init.d/local ]
expect "no RUNALL_NAME without --name" \
	conf_is "$r" RUNALL_HOSTOS=hostos RUNALL_COMMON_RW=/netshare-rw/common \
	RUNALL_SET_HOSTNAME=yes RUNALL_USER=tester
user_files_ok "$r" ""
echo "checked: $scenario"

# --- Linux with NetworkManager, systemd and Debian's dhclient ---------------
scenario="linux/NetworkManager+systemd"
r=$(new_root linux-nm)
fake_prog "$r" /usr/sbin/NetworkManager /sbin/dhclient
mkdir -p "$r/etc/NetworkManager/dispatcher.d" "$r/etc/dhcp/dhclient-exit-hooks.d" \
	"$r/run/systemd/system"
printf '/dev/vda1 / ext4 errors=remount-ro 0 1' >"$r/etc/fstab" # no final newline
run_twice "$r" linux --hostos hostos --user tester --key "$work/key1.pub" --name nmguest \
	--no-hostname
expect "detected NetworkManager, dhclient, systemd" \
	grep -q 'DHCP clients: networkmanager dhclient; boot signal: systemd' "$work/out1"
expect "dispatcher script 0755 root" \
	[ "$(mode_owner "$r/etc/NetworkManager/dispatcher.d/90-runall-hostmap")" = "755 0:0" ]
expect "Debian dhclient hook directory" \
	cmp -s "$r/etc/dhcp/dhclient-exit-hooks.d/runall-hostmap" etc/guest/hooks/dhclient-exit-hooks
expect "systemd unit" cmp -s "$r/etc/systemd/system/runall-boot-complete.service" \
	etc/guest/boot/runall-boot-complete.service
expect "unit enabled" [ "$(readlink "$r/etc/systemd/system/multi-user.target.wants/runall-boot-complete.service")" \
	= /etc/systemd/system/runall-boot-complete.service ]
expect "resume watcher installed" cmp -s "$r/etc/runall-guest/runall-resume-watch" \
	etc/guest/lib/runall-resume-watch
expect "resume watcher 0755 root" [ "$(mode_owner "$r/etc/runall-guest/runall-resume-watch")" = "755 0:0" ]
expect "resume watcher unit enabled" \
	[ "$(readlink "$r/etc/systemd/system/multi-user.target.wants/runall-resume-watch.service")" \
	= /etc/systemd/system/runall-resume-watch.service ]
expect "fstab: the old line kept, a newline added, then the shares" \
	[ "$(cat "$r/etc/fstab")" = "$(printf '/dev/vda1 / ext4 errors=remount-ro 0 1\n'; ninep_fstab)" ]
expect "--no-hostname recorded" grep -q '^RUNALL_SET_HOSTNAME=no$' "$r/etc/runall-guest.conf"
expect "says logind needs D-Bus" grep -q 'systemd-logind, which powers the guest off .* needs D-Bus' "$work/out1"
echo "checked: $scenario"

# --- Linux with systemd-networkd, no networkd-dispatcher ---------------------
scenario="linux/networkd"
r=$(new_root linux-networkd)
fake_prog "$r" /lib/systemd/systemd /lib/systemd/systemd-networkd
mkdir -p "$r/etc/systemd/network"
printf '[Match]\nName=en*\n[Network]\nDHCP=yes\n' >"$r/etc/systemd/network/20-wired.network"
run_twice "$r" linux --hostos hostos --user tester --key "$work/key1.pub" --name nd
expect "detected networkd and systemd (not booted)" \
	grep -q 'DHCP clients: networkd; boot signal: systemd' "$work/out1"
expect "runall-hostmap.service enabled" [ "$(readlink "$r/etc/systemd/system/multi-user.target.wants/runall-hostmap.service")" \
	= /etc/systemd/system/runall-hostmap.service ]
expect "says networkd maps once a boot" grep -q 'mapped once a boot' "$work/out1"
fake_prog "$r" /usr/bin/networkd-dispatcher
RUNALL_ROOT=$r RUNALL_GUEST_FAMILY=linux sh "$setup" --hostos hostos --user tester --name nd >"$work/out3" 2>&1
expect "with networkd-dispatcher: routable.d script" \
	[ -x "$r/etc/networkd-dispatcher/routable.d/50-runall-hostmap" ]
echo "checked: $scenario"

# --- Linux with sysvinit's rc.local ending in exit 0, dhclient elsewhere -----
scenario="linux/rc.local"
r=$(new_root linux-rclocal)
fake_prog "$r" /sbin/dhclient
printf '#!/bin/sh -e\n# rc.local\n\nexit 0\n' >"$r/etc/rc.local"
chmod 755 "$r/etc/rc.local"
run_twice "$r" linux --hostos hostos --user tester --key "$work/key1.pub" --name rl --share none
expect "rc.local: the block before exit 0" [ "$(cat "$r/etc/rc.local")" = "$(printf '%s\n' \
	'#!/bin/sh -e' '# rc.local' '' \
	'# BEGIN runall-guest: added by runall-guest-setup, see runall-guest(7); remove through END to undo' \
	/etc/runall-guest/runall-boot-complete '# END runall-guest' 'exit 0')" ]
expect "rc.local keeps its mode" [ "$(mode_owner "$r/etc/rc.local")" = "755 0:0" ]
expect "dhclient without hooks.d: /etc/dhcp/dhclient-exit-hooks" \
	block_in "$r/etc/dhcp/dhclient-exit-hooks" "	. /etc/runall-guest/dhclient-exit-hooks"
expect "--share none: no fstab" [ ! -e "$r/etc/fstab" ]
expect "--share none: no resume watcher (no 9p share to unmount)" \
	[ ! -e "$r/etc/runall-guest/runall-resume-watch" ]
echo "checked: $scenario"

# --- Debian with sysvinit, dhcpcd and acpid; systemd installed but not init --
scenario="linux/sysvinit+acpid"
r=$(new_root linux-sysv)
fake_prog "$r" /sbin/init /sbin/dhcpcd /usr/sbin/acpid /lib/systemd/systemd \
	/etc/init.d/rc.local /sbin/poweroff
mkdir -p "$r/etc/acpi/events"
run_twice "$r" linux --hostos hostos --user tester --key "$work/key1.pub"
expect "detected dhcpcd and sysvinit's rc.local, not the systemd beside it" \
	grep -q 'DHCP clients: dhcpcd; boot signal: rc.local; shares: 9p' "$work/out1"
expect "rc.local made, executable, with the block" \
	[ "$(mode_owner "$r/etc/rc.local")" = "755 0:0" ]
expect "rc.local's block" block_in "$r/etc/rc.local" /etc/runall-guest/runall-boot-complete
expect "rc.local starts the resume watcher" block_in "$r/etc/rc.local" \
	'/etc/runall-guest/runall-resume-watch </dev/null >/dev/null 2>&1 &'
expect "acpid event file for the power button" \
	[ "$(grep -v '^#' "$r/etc/acpi/events/runall-powerbtn")" = "$(printf 'event=button[ /]power\naction=/sbin/poweroff')" ]
expect "acpid event file 0644" [ "$(mode_owner "$r/etc/acpi/events/runall-powerbtn")" = "644 0:0" ]
echo "checked: $scenario"

scenario="linux/acpid with its own power button handler"
r=$(new_root linux-acpi-support)
fake_prog "$r" /sbin/init /sbin/dhcpcd /usr/sbin/acpid /etc/init.d/rc.local
mkdir -p "$r/etc/acpi/events"
printf 'event=button[ /]power\naction=/etc/acpi/powerbtn-acpi-support.sh\n' \
	>"$r/etc/acpi/events/powerbtn-acpi-support"
run_twice "$r" linux --hostos hostos --user tester
expect "no event file of the kit's" [ ! -e "$r/etc/acpi/events/runall-powerbtn" ]
expect "says the system's handles it" \
	grep -q 'already present: /etc/acpi/events/powerbtn-acpi-support handles the power button' "$work/out1"
echo "checked: $scenario"

scenario="linux/no power button handler"
r=$(new_root linux-no-acpid)
fake_prog "$r" /sbin/init /sbin/dhcpcd /etc/init.d/rc.local
run_twice "$r" linux --hostos hostos --user tester
expect "says to install acpid" grep -q 'install acpid and run me again' "$work/out1"
echo "checked: $scenario"

scenario="linux/systemd as /sbin/init, with an rc.local"
r=$(new_root linux-systemd-init)
fake_prog "$r" /lib/systemd/systemd /sbin/dhclient /usr/bin/dbus-daemon
ln -s /lib/systemd/systemd "$r/sbin/init"
printf '#!/bin/sh\nexit 0\n' >"$r/etc/rc.local"
run_twice "$r" linux --hostos hostos --user tester
expect "detected systemd from /sbin/init" grep -q 'boot signal: systemd;' "$work/out1"
expect "logind handles the power button" \
	grep -q 'systemd-logind powers off on the power button' "$work/out1"
echo "checked: $scenario"

# --- GRUB: the kernel's console on the serial port ---------------------------
scenario="linux/grub"
r=$(new_root linux-grub)
fake_prog "$r" /sbin/init /etc/init.d/rc.local /sbin/dhcpcd /usr/sbin/update-grub
mkdir -p "$r/etc/default"
printf 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX="net.ifnames=0"\n' \
	>"$r/etc/default/grub"
cp "$r/etc/default/grub" "$work/grub.before"
run_twice "$r" linux --hostos hostos --user tester
expect "the administrator's lines kept first" \
	[ "$(head -n 3 "$r/etc/default/grub")" = "$(cat "$work/grub.before")" ]
case $(uname -m) in
aarch64 | arm*) dev=ttyAMA0 ;;
*) dev=ttyS0 ;;
esac
expect "update-grub reads the serial console last" \
	[ "$(sh -c '. "$1"; echo "$GRUB_CMDLINE_LINUX"' sh "$r/etc/default/grub")" = "net.ifnames=0 console=tty0 console=$dev,115200" ]
expect "says update-grub must run" grep -q "once update-grub .* has run" "$work/out1"
printf 'GRUB_CMDLINE_LINUX="console=hvc0"\n' >"$r/etc/default/grub"
RUNALL_ROOT=$r RUNALL_GUEST_FAMILY=linux sh "$setup" --hostos hostos --user tester >"$work/out3" 2>&1
expect "a console of the administrator's is kept" \
	[ "$(cat "$r/etc/default/grub")" = 'GRUB_CMDLINE_LINUX="console=hvc0"' ]
echo "checked: $scenario"

# --- In a real chroot, as an image builder runs it before the first boot ----
# A tree holding busybox (with its libraries) and the kit; no /proc in it.
# The builder's /run may show through: its systemd is not the guest's init.
chroot_root() { # NAME: a new root with busybox as every tool
	local r lib a
	r=$(new_root "$1")
	mkdir -p "$r/tmp" "$r/usr/bin" "$r/run/systemd/system" "$r/lib/systemd" "$r/dev"
	mknod -m 666 "$r/dev/null" c 1 3
	cp /bin/busybox "$r/bin/busybox"
	for lib in $(ldd /bin/busybox | grep -o '/[^ ]*'); do
		mkdir -p "$r$(dirname "$lib")"
		cp -L "$lib" "$r$lib"
	done
	for a in $(/bin/busybox --list); do
		[ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"
	done
	printf '#!/bin/sh\nexit 0\n' >"$r/lib/systemd/systemd"
	chmod 755 "$r/lib/systemd/systemd"
	cp -R etc/guest "$r/tmp/kit"
	cp "$work/key1.pub" "$r/tmp/key.pub"
	echo "$r"
}
scenario="linux/chroot, sysvinit"
r=$(chroot_root linux-chroot-sysv)
fake_prog "$r" /sbin/init /etc/init.d/rc.local /sbin/dhcpcd
echo imagename >"$r/etc/hostname"
cp "$r/etc/hosts" "$work/hosts.before"
chroot "$r" /bin/sh /tmp/kit/runall-guest-setup --hostos hostos --user tester \
	--key /tmp/key.pub --share nfs >"$work/out1" 2>&1 ||
	fail "$scenario: setup failed: $(cat "$work/out1")"
expect "sysvinit's rc.local, not the builder's systemd" \
	grep -q 'boot signal: rc.local; shares: nfs' "$work/out1"
expect "no host mapping from the builder's default route" \
	grep -q "in a chroot: hostos is mapped at the guest's first DHCP lease" "$work/out1"
expect "/etc/hosts untouched" cmp -s "$work/hosts.before" "$r/etc/hosts"
expect "the NFS directory named after the image's host name" \
	has_line "$r/etc/fstab" "hostos:/var/lib/runall/netshare/imagename /netshare-rw nfs rw 0 0"
expect "the key installed" [ "$(grep -c -F -x -- "$key1" "$r/home/tester/.ssh/authorized_keys")" = 1 ]
chroot "$r" /bin/sh /tmp/kit/runall-guest-setup --hostos hostos --user tester \
	--key /tmp/key.pub --share nfs >"$work/out2" 2>&1
expect "a second run in the chroot changes nothing" \
	grep -q 'nothing to change: this guest was already prepared' "$work/out2"
echo "checked: $scenario"

scenario="linux/chroot, systemd"
r=$(chroot_root linux-chroot-systemd)
ln -s /lib/systemd/systemd "$r/sbin/init"
fake_prog "$r" /sbin/dhclient /usr/bin/dbus-daemon
chroot "$r" /bin/sh /tmp/kit/runall-guest-setup --hostos hostos --user tester \
	>"$work/out1" 2>&1 || fail "$scenario: setup failed: $(cat "$work/out1")"
expect "systemd from /sbin/init" grep -q 'boot signal: systemd;' "$work/out1"
expect "no systemctl run in the chroot" \
	grep -q 'not run in a chroot: systemctl daemon-reload' "$work/out1"
expect "the unit enabled" [ -h "$r/etc/systemd/system/multi-user.target.wants/runall-boot-complete.service" ]
echo "checked: $scenario"

# --- FreeBSD ----------------------------------------------------------------
scenario="freebsd"
r=$(new_root freebsd)
fake_prog "$r" /sbin/dhclient /usr/local/sbin/dhcpcd
printf 'hostname=""\nifconfig_vtnet0="DHCP"\nsshd_enable="YES"\n' >"$r/etc/rc.conf"
cp "$r/etc/rc.conf" "$work/rc.conf"
run_twice "$r" freebsd --hostos gentoo --user tester --key "$work/key1.pub" --name freeqemu
expect "detected dhcpcd, dhclient and rc.d, NFS" \
	grep -q 'DHCP clients: dhcpcd dhclient; boot signal: rc.d; shares: nfs' "$work/out1"
expect "the ports' dhcpcd: its exit hook in /usr/local/etc" \
	block_in "$r/usr/local/etc/dhcpcd.exit-hook" "	. /etc/runall-guest/dhcpcd-hook"
expect "/etc/dhclient-exit-hooks made, 0755" [ "$(mode_owner "$r/etc/dhclient-exit-hooks")" = "755 0:0" ]
expect "/etc/dhclient-exit-hooks sources the kit's hook" \
	block_in "$r/etc/dhclient-exit-hooks" "	. /etc/runall-guest/dhclient-exit-hooks"
expect "rc.d script in /usr/local/etc/rc.d" cmp -s "$r/usr/local/etc/rc.d/runall_boot_complete" etc/guest/boot/freebsd-rc.d
expect "rc.d script executable" [ -x "$r/usr/local/etc/rc.d/runall_boot_complete" ]
expect "rc.conf: old lines kept, enable line added" [ "$(cat "$r/etc/rc.conf")" = "$(cat "$work/rc.conf"; echo 'runall_boot_complete_enable="YES"')" ]
expect "NFS fstab in the article's order" [ "$(cat "$r/etc/fstab")" = "$(printf '%s\n' \
	'gentoo:/var/lib/runall/netshare/common-ro /netshare-ro nfs ro 0 0' \
	'gentoo:/var/lib/runall/netshare/freeqemu /netshare-rw nfs rw 0 0' \
	'gentoo:/var/lib/runall/netshare/common-rw /netshare-rw/common nfs rw 0 0')" ]
expect "says to make the common mount point on the host" \
	grep -q 'make /var/lib/runall/netshare/freeqemu/common' "$work/out1"
user_files_ok "$r" freeqemu
echo "checked: $scenario"

# --- NetBSD: the administrator disabled the signal; a hand-written fstab
# line out of order -----------------------------------------------------------
scenario="netbsd"
r=$(new_root netbsd)
fake_prog "$r" /sbin/dhcpcd
printf 'dhcpcd=YES\nrunall_boot_complete=NO\n' >"$r/etc/rc.conf"
printf 'gentoo:/srv/common /netshare-rw/common nfs rw 0 0\n' >"$r/etc/fstab"
warnings_expected=1 run_twice "$r" netbsd --hostos gentoo --user tester --key "$work/key1.pub" \
	--name netqemu --host-rw /srv/netqemu --host-common-rw /srv/common
expect "rc.d script in /etc/rc.d" cmp -s "$r/etc/rc.d/runall_boot_complete" etc/guest/boot/netbsd-rc.d
expect "the administrator's NO left alone, with a warning" \
	grep -q "WARNING: /etc/rc.conf has 'runall_boot_complete=NO'; left as is" "$work/out1"
expect "rc.conf unchanged" [ "$(cat "$r/etc/rc.conf")" = "$(printf 'dhcpcd=YES\nrunall_boot_complete=NO')" ]
expect "warns that the common line comes first" \
	grep -q 'WARNING: /etc/fstab mounts /netshare-rw/common before /netshare-rw' "$work/out1"
expect "host paths from the options" has_line "$r/etc/fstab" "gentoo:/srv/netqemu /netshare-rw nfs rw 0 0"
expect "dhcpcd.exit-hook" block_in "$r/etc/dhcpcd.exit-hook" "	. /etc/runall-guest/dhcpcd-hook"
echo "checked: $scenario"

# --- OpenBSD ------------------------------------------------------------------
scenario="openbsd"
r=$(new_root openbsd)
printf 'inet autoconf\ninet6 autoconf\n' >"$r/etc/hostname.vio0"
printf 'inet 10.0.0.1 255.255.255.0\n' >"$r/etc/hostname.em1"
run_twice "$r" openbsd --hostos gentoo --user tester --key "$work/key1.pub" --name openqemu
expect "detected dhcpleased and rc.local" grep -q 'DHCP clients: dhcpleased; boot signal: rc.local' "$work/out1"
expect "the watcher line in hostname.vio0" [ "$(cat "$r/etc/hostname.vio0")" = "$(printf '%s\n' \
	'inet autoconf' 'inet6 autoconf' '!/etc/runall-guest/runall-route-watch $if')" ]
expect "a static interface untouched" [ "$(cat "$r/etc/hostname.em1")" = "inet 10.0.0.1 255.255.255.0" ]
expect "the watcher installed" [ -x "$r/etc/runall-guest/runall-route-watch" ]
expect "rc.local made with the block" block_in "$r/etc/rc.local" /etc/runall-guest/runall-boot-complete
echo "checked: $scenario"

# --- illumos/Solaris 10: Bourne /bin/sh, SMF, an eventhook of the
# administrator's -----------------------------------------------------------------
scenario="solaris10"
r=$(new_root solaris)
printf '#!/bin/sh\n# a Bourne shell: no $(...)\nexit 2\n' >"$r/bin/sh"
chmod 755 "$r/bin/sh"
mkdir -p "$r/usr/xpg4/bin"
ln -s /bin/sh "$r/usr/xpg4/bin/sh"
fake_prog "$r" /usr/sbin/svcadm
mkdir -p "$r/etc/dhcp"
printf '#!/bin/sh\nlogger "dhcp event $2 on $1"\n' >"$r/etc/dhcp/eventhook"
chmod 755 "$r/etc/dhcp/eventhook"
run_twice "$r" sunos --hostos gentoo --user tester --key "$work/key1.pub" --name solqemu
expect "detected dhcpagent and SMF" grep -q 'DHCP clients: dhcpagent; boot signal: smf; shares: nfs' "$work/out1"
for f in runall-hostmap runall-boot-complete solaris-eventhook; do
	expect "$f starts with the POSIX shell" [ "$(first_line "$r/etc/runall-guest/$f")" = "#!/usr/xpg4/bin/sh" ]
done
expect "the administrator's eventhook kept, the block added" \
	[ "$(head -n 2 "$r/etc/dhcp/eventhook")" = "$(printf '#!/bin/sh\nlogger "dhcp event $2 on $1"')" ]
expect "the block passes the arguments on" \
	block_in "$r/etc/dhcp/eventhook" '	/etc/runall-guest/solaris-eventhook "$@"'
expect "SMF manifest" cmp -s "$r/var/svc/manifest/site/runall-boot-complete.xml" etc/guest/boot/runall-boot-complete.xml
expect "manifest-import not restarted on a test root" \
	grep -q 'not run on a test root: svcadm restart svc:/system/manifest-import' "$work/out1"
expect "vfstab lines with NFSv3" [ "$(cat "$r/etc/vfstab")" = "$(printf '%s\n' \
	'gentoo:/var/lib/runall/netshare/common-ro - /netshare-ro nfs - yes ro,vers=3' \
	'gentoo:/var/lib/runall/netshare/solqemu - /netshare-rw nfs - yes rw,vers=3' \
	'gentoo:/var/lib/runall/netshare/common-rw - /netshare-rw/common nfs - yes rw,vers=3')" ]
echo "checked: $scenario"

scenario="solaris9"
r=$(new_root solaris9)
run_twice "$r" sunos --hostos gentoo --user tester --name old9
expect "no SMF: rc3.d" cmp -s "$r/etc/rc3.d/S99zrunall_boot_complete" etc/guest/boot/solaris-rc3.d
expect "eventhook made with a first line" [ "$(first_line "$r/etc/dhcp/eventhook")" = '#!/bin/sh' ]
expect "eventhook executable" [ -x "$r/etc/dhcp/eventhook" ]
echo "checked: $scenario"

# --- bad input changes nothing ----------------------------------------------------
scenario="bad input"
r=$(new_root bad)
fake_prog "$r" /sbin/udhcpc
snapshot "$r" >"$work/snap0"
bad_run() { # EXIT ARGS...
	local want=$1
	shift
	RUNALL_ROOT=$r RUNALL_GUEST_FAMILY=linux sh "$setup" "$@" >"$work/out" 2>&1
	local rc=$?
	[ $rc -eq "$want" ] || fail "$scenario: '$*' exited $rc, not $want: $(cat "$work/out")"
}
bad_run 100 --user tester
bad_run 100 --hostos 'bad host' --user tester
bad_run 100 --hostos hostos --user tester --key "$work/bad.pub"
bad_run 100 --hostos hostos --user tester --key "$work/missing.pub"
bad_run 100 --hostos hostos --user tester --ro relative/dir
bad_run 100 --hostos hostos --user tester --rw '/net share'
bad_run 100 --hostos hostos --user tester --router 300.1.1.1
bad_run 100 --hostos hostos --user tester --share smb
bad_run 100 --hostos hostos --user tester --dhcp dhcpagent
bad_run 100 --hostos hostos --user tester --frobnicate
bad_run 1 --hostos hostos --user nosuch
bad_run 1 --hostos hostos --user tester --uid 1000
RUNALL_ROOT=$r RUNALL_GUEST_FAMILY=beos sh "$setup" --hostos h --user tester >/dev/null 2>&1
[ $? -eq 1 ] || fail "$scenario: an unknown system was not refused"
snapshot "$r" >"$work/snap1"
cmp -s "$work/snap0" "$work/snap1" || fail "$scenario: a refused run changed the root"
echo "checked: $scenario"

# --- a bind-mounted /etc/hosts (a container) is written in place -------------
scenario="bind-mounted hosts"
r=$(new_root bind)
mkdir -p "$r/etc/runall-guest"
cp etc/guest/lib/runall-hostmap "$r/etc/runall-guest/"
echo RUNALL_HOSTOS=hostos >"$r/etc/runall-guest.conf"
printf '127.0.0.1 localhost\n' >"$work/outside-hosts"
if unshare -m sh -c 'mount --bind "$1" "$2/etc/hosts" && RUNALL_ROOT=$2 "$2/etc/runall-guest/runall-hostmap" 172.20.8.1' \
	sh "$work/outside-hosts" "$r" >"$work/out" 2>&1; then
	expect "written through the bind mount" has_line "$work/outside-hosts" "172.20.8.1 hostos"
	expect "no temporary file left" [ -z "$(find "$r/etc" -name '.hosts*')" ]
else
	fail "$scenario: $(cat "$work/out")"
fi
echo "checked: $scenario"

if [ $failures -ne 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi
echo "runall-guest-setup: ok"
