# The guest kit's DHCP hooks, each run the way its client runs it, with the
# variables that client sets (dhclient-script(8), dhcpcd-run-hooks(8),
# busybox udhcpc, NetworkManager-dispatcher(8), networkd-dispatcher,
# dhcpagent(1M) with dhcpinfo(1), OpenBSD's route(8) for the dhcpleased
# watcher), against a temporary root, under dash and under busybox sh:
#   - the host mapping is added, replaced when the router changes, and the
#     other lines stay byte for byte (a name containing the host's name, a
#     comment naming it);
#   - a second lease with the same router changes nothing (same inode);
#   - the host name is taken from DHCP option 12 and, by the hooks that
#     set it, mapped to 127.0.1.1 after the 127.0.0.1 line (a new name
#     replaces that line in place), never when it is the host's own name;
#   - a router that is not an IPv4 address and a host name with a blank are
#     refused with a message and change nothing;
#   - events that are not a lease change nothing;
#   - /etc/hosts as a symbolic link (Solaris) stays one, and concurrent
#     hooks leave exactly one mapping;
#   - the boot signal, named after the host name, waits for a lease.
# No root needed: nothing outside the temporary root is touched (the host
# name is "set" through a fake hostname command).
# The sh -c programs and fake scripts below are single-quoted on purpose.
# shellcheck disable=SC2016
set -u
cd "$RUNALL_TOP" || exit 1
kit=$RUNALL_TOP/etc/guest
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# Fakes on PATH: hostname (records what it is set to), ip, route and
# dhcpinfo (answer from files the test writes).
fakes=$work/bin
mkdir -p "$fakes"
cat >"$fakes/hostname" <<'EOF'
#!/bin/sh
if [ $# -eq 0 ]; then cat "$FAKE_STATE/hostname" 2>/dev/null || echo old; exit 0; fi
echo "$1" >"$FAKE_STATE/hostname"
EOF
cat >"$fakes/ip" <<'EOF'
#!/bin/sh
echo "ip $*" >>"$FAKE_STATE/ip.log"
case "$*" in
*"route show default"*) cat "$FAKE_STATE/ip-route" 2>/dev/null ;;
*"addr show"*) ;;
esac
exit 0
EOF
cat >"$fakes/route" <<'EOF'
#!/bin/sh
[ "$*" = "-n get default" ] && cat "$FAKE_STATE/route-get" 2>/dev/null
exit 0
EOF
cat >"$fakes/dhcpinfo" <<'EOF'
#!/bin/sh
# dhcpinfo -i IF OPTION
[ "$1" = -i ] || exit 1
[ -f "$FAKE_STATE/dhcpinfo.$3" ] || exit 2
cat "$FAKE_STATE/dhcpinfo.$3"
EOF
chmod +x "$fakes"/*

original_hosts() {
	printf '%s\n' \
		'127.0.0.1	localhost' \
		'::1	localhost ip6-localhost' \
		'# hostos is the runall host: a comment naming it stays' \
		'10.9.9.9	myhostos hostos-old	# names that contain it stay' \
		'192.168.1.5 printer # hostos' \
		'10.0.0.7	hostos' \
		'  10.0.0.8   HostOS alias   # another old one, matched case-blind'
}
# The lines that must survive byte for byte.
kept_lines() {
	original_hosts | sed -n '1,5p'
}

# new_root SHELL: a guest root with the kit installed as runall-guest-setup
# would, the scripts' first line naming SHELL.
new_root() {
	r=$work/root.$RANDOM$RANDOM
	mkdir -p "$r/etc/runall-guest" "$r/state" "$r/var/db"
	printf 'RUNALL_HOSTOS=hostos\nRUNALL_SET_HOSTNAME=yes\n' >"$r/etc/runall-guest.conf"
	for f in lib/runall-hostmap lib/runall-route-watch hooks/dhclient-exit-hooks \
		hooks/dhcpcd-hook hooks/udhcpc-script hooks/nm-dispatcher \
		hooks/networkd-dispatcher hooks/solaris-eventhook; do
		{
			echo "#!$1"
			sed 1d "$kit/$f"
		} >"$r/etc/runall-guest/${f#*/}"
		chmod 755 "$r/etc/runall-guest/${f#*/}"
	done
	original_hosts >"$r/etc/hosts"
	echo "$r"
}

# hosts_ok ROOT ROUTER [NAME]: the kept lines, with NAME's 127.0.1.1 line
# after the first, then exactly one mapping.
hosts_ok() {
	{
		kept_lines | sed -n 1p
		if [ -n "${3:-}" ]; then printf '127.0.1.1\t%s\n' "$3"; fi
		kept_lines | sed 1d
		echo "$2 hostos"
	} >"$work/want"
	cmp -s "$work/want" "$1/etc/hosts"
}
ident() { stat -c '%i %s %Y' "$1/etc/hosts"; }

# check_client NAME SHELL LEASE-FN NONLEASE-FN LOCAL: the common
# assertions.  LEASE-FN ROOT ROUTER HOSTNAME runs the hook for a lease;
# NONLEASE-FN ROOT runs it for an event that is no lease.  LOCAL is yes
# when the hook sets the host name itself (and so maps it to 127.0.1.1),
# no when its client does.
check_client() {
	name=$1 sh=$2 lease=$3 nonlease=$4
	own=
	if [ "$5" = yes ]; then own=guest-a; fi
	what="$name ($sh)"
	r=$(new_root "$sh")
	export FAKE_STATE=$r/state
	ok=1

	"$nonlease" "$r" >"$work/out" 2>&1
	if ! cmp -s <(original_hosts) "$r/etc/hosts"; then
		fail "$what: an event that is no lease changed /etc/hosts"; ok=
	fi

	"$lease" "$r" 172.20.3.1 guest-a >"$work/out" 2>&1
	if grep PROBLEM "$work/out"; then
		fail "$what: see above"; ok=
	fi
	if ! hosts_ok "$r" 172.20.3.1 "$own"; then
		fail "$what: first lease did not map hostos to 172.20.3.1${own:+ and $own to 127.0.1.1}"; ok=
		diff "$work/want" "$r/etc/hosts"; cat "$work/out"
	fi
	if ! cmp -s <(original_hosts) "$r/etc/hosts.old"; then
		fail "$what: /etc/hosts.old is not the previous file"; ok=
	fi
	if [ "$(cat "$r/state/hostname" 2>/dev/null)" != guest-a ]; then
		fail "$what: host name not taken from option 12"; ok=
	fi

	before=$(ident "$r")
	cp "$r/etc/hosts.old" "$work/old"
	"$lease" "$r" 172.20.3.1 guest-a >"$work/out" 2>&1
	if [ "$(ident "$r")" != "$before" ] || ! cmp -s "$work/old" "$r/etc/hosts.old"; then
		fail "$what: a renewal with the same router rewrote /etc/hosts"; ok=
	fi

	"$lease" "$r" 172.20.9.1 guest-a >"$work/out" 2>&1
	if ! hosts_ok "$r" 172.20.9.1 "$own"; then
		fail "$what: a new router did not replace the mapping"; ok=
		diff "$work/want" "$r/etc/hosts"; cat "$work/out"
	fi

	before=$(ident "$r")
	"$lease" "$r" '172.20.9.1;reboot' guest-a >"$work/out" 2>&1
	if [ "$(ident "$r")" != "$before" ]; then
		fail "$what: a hostile router changed /etc/hosts"; ok=
	fi
	if ! grep -q "ignoring router '172.20.9.1?reboot'" "$work/out"; then
		fail "$what: no message for a hostile router"; ok=
		cat "$work/out"
	fi

	"$lease" "$r" 172.20.9.1 'evil name' >"$work/out" 2>&1
	if [ "$(cat "$r/state/hostname")" != guest-a ]; then
		fail "$what: a host name with a blank was set"; ok=
	fi
	if ! grep -q "ignoring DHCP host name 'evil name'" "$work/out"; then
		fail "$what: no message for a hostile host name"; ok=
		cat "$work/out"
	fi
	if ! hosts_ok "$r" 172.20.9.1 "$own"; then
		fail "$what: a hostile host name disturbed the mapping"; ok=
	fi

	if [ -n "$own" ]; then
		"$lease" "$r" 172.20.9.1 guest-b >"$work/out" 2>&1
		if ! hosts_ok "$r" 172.20.9.1 guest-b; then
			fail "$what: a new DHCP name did not replace the 127.0.1.1 line"; ok=
			diff "$work/want" "$r/etc/hosts"; cat "$work/out"
		fi
		before=$(ident "$r")
		"$lease" "$r" 172.20.9.1 HostOS >"$work/out" 2>&1
		if [ "$(ident "$r")" != "$before" ]; then
			fail "$what: the host's own name was mapped to 127.0.1.1"; ok=
		fi
		if ! grep -q "DHCP host name HostOS is the runall host's name: not mapped to 127.0.1.1" "$work/out"; then
			fail "$what: no message for a DHCP name that is the host's"; ok=
			cat "$work/out"
		fi
	fi

	left=$(find "$r/etc" -maxdepth 1 -name '.hosts*')
	if [ -n "$left" ]; then
		fail "$what: left behind: $left"; ok=
	fi
	if [ -n "$ok" ]; then echo "ok: $what"; fi
}

# --- each client as it calls its hook ---------------------------------------

# dhclient-script sources its exit hooks after configuring the lease, with
# reason, new_routers, new_host_name and exit_status set.  The hook must
# leave the sourcing script running, with a true status.
dhclient_lease() {
	env -i PATH="$fakes:/usr/bin:/bin" FAKE_STATE="$1/state" RUNALL_ROOT="$1" \
		RUNALL_HOSTNAME_CMD="$fakes/hostname" \
		reason=BOUND interface=eth0 new_ip_address="${2%.1}.2" \
		new_subnet_mask=255.255.255.0 new_routers="$2" new_host_name="$3" \
		new_domain_name=local "${shell_cmd[@]}" -c 'exit_status=0; . "$0"; echo "after hook: $?"' \
		"$1/etc/runall-guest/dhclient-exit-hooks" >"$1/state/dhclient.out"
	cat "$1/state/dhclient.out"
	grep -q 'after hook: 0' "$1/state/dhclient.out" ||
		echo "PROBLEM: the hook ended dhclient-script or left a false status"
}
dhclient_nonlease() {
	env -i PATH="$fakes:/usr/bin:/bin" FAKE_STATE="$1/state" RUNALL_ROOT="$1" \
		reason=PREINIT interface=eth0 new_routers=172.20.5.1 \
		"${shell_cmd[@]}" -c 'exit_status=0; . "$0"' "$1/etc/runall-guest/dhclient-exit-hooks"
	# A lease whose configuration failed (exit_status set) maps nothing.
	env -i PATH="$fakes:/usr/bin:/bin" FAKE_STATE="$1/state" RUNALL_ROOT="$1" \
		reason=TIMEOUT interface=eth0 new_routers=172.20.5.1 \
		"${shell_cmd[@]}" -c 'exit_status=1; . "$0"' "$1/etc/runall-guest/dhclient-exit-hooks"
}

# dhcpcd-run-hooks sources /etc/dhcpcd.exit-hook with reason, interface,
# new_routers, new_host_name.
dhcpcd_lease() {
	env -i PATH="$fakes:/usr/bin:/bin" FAKE_STATE="$1/state" RUNALL_ROOT="$1" \
		RUNALL_HOSTNAME_CMD="$fakes/hostname" \
		reason=BOUND interface=eth0 ifcarrier=up if_up=true \
		new_ip_address="${2%.1}.2" new_subnet_cidr=24 new_routers="$2" \
		new_host_name="$3" "${shell_cmd[@]}" -c '. "$0"; echo "after hook: $?"' \
		"$1/etc/runall-guest/dhcpcd-hook" >"$1/state/dhcpcd.out"
	cat "$1/state/dhcpcd.out"
	grep -q 'after hook: 0' "$1/state/dhcpcd.out" ||
		echo "PROBLEM: the hook ended dhcpcd-run-hooks or left a false status"
}
dhcpcd_nonlease() {
	for reason in PREINIT CARRIER NOCARRIER EXPIRE STOP; do
		env -i PATH="$fakes:/usr/bin:/bin" FAKE_STATE="$1/state" RUNALL_ROOT="$1" \
			reason=$reason interface=eth0 old_routers=172.20.5.1 \
			"${shell_cmd[@]}" -c '. "$0"' "$1/etc/runall-guest/dhcpcd-hook"
	done
}

# busybox udhcpc runs its -s script with the event as $1 and the lease in
# interface, ip, subnet, mask, broadcast, router, dns, domain, hostname.
# The system's default script is faked and must be run first.
udhcpc_env() {
	lease_env=(PATH="$fakes:/usr/bin:/bin" FAKE_STATE="$1/state" RUNALL_ROOT="$1"
		RUNALL_HOSTNAME_CMD="$fakes/hostname" interface=eth0
		ip="${2%.1}.2" subnet=255.255.255.0 mask=24 broadcast="${2%.1}.255"
		router="$2" dns=192.0.2.53 domain=local hostname="$3" lease=120
		serverid="$2")
}
udhcpc_lease() {
	mkdir -p "$1/usr/share/udhcpc"
	printf '#!/bin/sh\necho "default.script $1 $ip $router" >>"$FAKE_STATE/chain.log"\n' \
		>"$1/usr/share/udhcpc/default.script"
	chmod 755 "$1/usr/share/udhcpc/default.script"
	udhcpc_env "$1" "$2" "$3"
	env -i "${lease_env[@]}" "$1/etc/runall-guest/udhcpc-script" bound
	grep -q "default.script bound ${2%.1}.2 $2" "$1/state/chain.log" 2>/dev/null ||
		echo "PROBLEM: the system's default script was not run"
}
udhcpc_nonlease() {
	udhcpc_env "$1" 172.20.5.1 x
	env -i "${lease_env[@]}" "$1/etc/runall-guest/udhcpc-script" deconfig
	env -i "${lease_env[@]}" "$1/etc/runall-guest/udhcpc-script" leasefail
}

# NetworkManager-dispatcher runs dispatcher.d scripts with the interface
# and the action; up and dhcp4-change carry DHCP4_ROUTERS and
# DHCP4_HOST_NAME (and DHCP4_IP_ADDRESS and the others).
nm_lease() {
	env -i PATH="$fakes:/usr/bin:/bin" FAKE_STATE="$1/state" RUNALL_ROOT="$1" \
		RUNALL_HOSTNAME_CMD="$fakes/hostname" \
		DEVICE_IFACE=eth0 DEVICE_IP_IFACE=eth0 CONNECTION_ID="Wired 1" \
		DHCP4_IP_ADDRESS="${2%.1}.2" DHCP4_SUBNET_MASK=255.255.255.0 \
		DHCP4_ROUTERS="$2" DHCP4_HOST_NAME="$3" DHCP4_DOMAIN_NAME=local \
		"$1/etc/runall-guest/nm-dispatcher" eth0 dhcp4-change
}
nm_nonlease() {
	for action in pre-up down connectivity-change hostname; do
		env -i PATH="$fakes:/usr/bin:/bin" FAKE_STATE="$1/state" RUNALL_ROOT="$1" \
			DHCP4_ROUTERS=172.20.5.1 "$1/etc/runall-guest/nm-dispatcher" eth0 "$action"
	done
	# "up" without DHCP (a static address) has no DHCP4_ROUTERS.
	env -i PATH="$fakes:/usr/bin:/bin" FAKE_STATE="$1/state" RUNALL_ROOT="$1" \
		"$1/etc/runall-guest/nm-dispatcher" eth0 up
}

# networkd-dispatcher runs routable.d scripts with IFACE; the router is the
# default route through it (ip(8) is faked).  networkd sets the host name
# itself, so the name is set here through the fake directly.
networkd_lease() {
	echo "default via $2 dev eth0 proto dhcp src ${2%.1}.2 metric 1024" >"$1/state/ip-route"
	env -i PATH="$fakes:/usr/bin:/bin" FAKE_STATE="$1/state" RUNALL_ROOT="$1" \
		RUNALL_GUEST_FAMILY=linux IFACE=eth0 STATE=routable ADDR="${2%.1}.2" \
		"$1/etc/runall-guest/networkd-dispatcher"
	grep -q 'route show default dev eth0' "$1/state/ip.log" ||
		echo "PROBLEM: the default route through eth0 was not asked for"
	case $3 in
	*' '*) echo "runall-hostmap: ignoring DHCP host name '$3': (networkd sets names itself)" ;;
	*) FAKE_STATE=$1/state "$fakes/hostname" "$3" ;;
	esac
}
networkd_nonlease() {
	: >"$1/state/ip-route" # routable, but no default route yet
	env -i PATH="$fakes:/usr/bin:/bin" FAKE_STATE="$1/state" RUNALL_ROOT="$1" \
		RUNALL_GUEST_FAMILY=linux IFACE=eth0 "$1/etc/runall-guest/networkd-dispatcher"
}

# dhcpagent runs /etc/dhcp/eventhook with the interface and the event; the
# hook reads the lease back with dhcpinfo -i IF Router / Hostname.
solaris_lease() {
	echo "$2" >"$1/state/dhcpinfo.Router"
	echo "$3" >"$1/state/dhcpinfo.Hostname"
	echo "$2" >"$1/state/dhcpinfo.ServerID"
	env -i PATH="$fakes:/usr/bin:/bin" FAKE_STATE="$1/state" RUNALL_ROOT="$1" \
		RUNALL_HOSTNAME_CMD="$fakes/hostname" \
		"$1/etc/runall-guest/solaris-eventhook" e1000g0 EXTEND
}
solaris_nonlease() {
	echo 172.20.5.1 >"$1/state/dhcpinfo.Router"
	for event in RELEASE DROP EXPIRE LOSS; do
		env -i PATH="$fakes:/usr/bin:/bin" FAKE_STATE="$1/state" RUNALL_ROOT="$1" \
			"$1/etc/runall-guest/solaris-eventhook" e1000g0 "$event"
	done
	rm -f "$1/state/dhcpinfo.Router"
}

# OpenBSD: dhcpleased has no hook; the watcher maps from route -n get
# default (route(8) is faked), once with -1.
openbsd_lease() {
	printf '   route to: default\ndestination: default\n       mask: default\n    gateway: %s\n  interface: vio0\n      flags: <UP,GATEWAY,DONE,STATIC>\n' \
		"$2" >"$1/state/route-get"
	env -i PATH="$fakes:/usr/bin:/bin" FAKE_STATE="$1/state" RUNALL_ROOT="$1" \
		RUNALL_GUEST_FAMILY=openbsd RUNALL_WATCH_WAIT=1 \
		"$1/etc/runall-guest/runall-route-watch" -1 vio0
	case $3 in
	*' '*) echo "runall-hostmap: ignoring DHCP host name '$3': (dhcpleased sets no name)" ;;
	*) FAKE_STATE=$1/state "$fakes/hostname" "$3" ;;
	esac
}
openbsd_nonlease() {
	# A default route through another interface is not this lease's.
	printf '    gateway: 172.20.5.1\n  interface: em1\n' >"$1/state/route-get"
	env -i PATH="$fakes:/usr/bin:/bin" FAKE_STATE="$1/state" RUNALL_ROOT="$1" \
		RUNALL_GUEST_FAMILY=openbsd RUNALL_WATCH_WAIT=0 \
		"$1/etc/runall-guest/runall-route-watch" -1 vio0
}

for shell in /usr/bin/dash "/usr/bin/busybox sh"; do
	read -r -a shell_cmd <<<"$shell"
	check_client dhclient "$shell" dhclient_lease dhclient_nonlease yes
	check_client dhcpcd "$shell" dhcpcd_lease dhcpcd_nonlease yes
	check_client udhcpc "$shell" udhcpc_lease udhcpc_nonlease yes
	check_client NetworkManager "$shell" nm_lease nm_nonlease yes
	check_client networkd-dispatcher "$shell" networkd_lease networkd_nonlease no
	check_client solaris-eventhook "$shell" solaris_lease solaris_nonlease yes
	check_client openbsd-route-watch "$shell" openbsd_lease openbsd_nonlease no
done

# --- udhcpc on a system of busybox alone: the script configures the
# interface itself.
r=$(new_root /usr/bin/dash)
export FAKE_STATE=$r/state
udhcpc_env "$r" 172.20.4.1 g
env -i "${lease_env[@]}" "$r/etc/runall-guest/udhcpc-script" bound >"$work/out" 2>&1
want="ip -4 addr show dev eth0
ip -4 addr flush dev eth0
ip addr add 172.20.4.2/24 broadcast 172.20.4.255 dev eth0
ip route replace default via 172.20.4.1 dev eth0"
if [ "$(cat "$r/state/ip.log")" != "$want" ]; then
	fail "udhcpc without a default script: configured the interface as:"
	cat "$r/state/ip.log"
elif ! printf 'search local\nnameserver 192.0.2.53\n' | cmp -s - "$r/etc/resolv.conf"; then
	fail "udhcpc without a default script: resolv.conf not written"
elif ! hosts_ok "$r" 172.20.4.1 g; then
	fail "udhcpc without a default script: host not mapped"
else
	echo "ok: udhcpc without a default script configures eth0 itself"
fi

# --- a lease without a router still maps the name; a full name keeps its
# short form too; a hosts file without 127.0.0.1 gets the line at its end.
r=$(new_root /usr/bin/dash)
export FAKE_STATE=$r/state
printf '10.1.1.1\tother\n' >"$r/etc/hosts"
RUNALL_ROOT=$r RUNALL_HOSTNAME_CMD="$fakes/hostname" \
	"$r/etc/runall-guest/runall-hostmap" -- '' guest.example.org >"$work/out" 2>&1
if [ "$(cat "$r/etc/hosts")" != "$(printf '10.1.1.1\tother\n127.0.1.1\tguest.example.org\tguest')" ]; then
	fail "a name without a router: /etc/hosts is"
	cat "$r/etc/hosts" "$work/out"
elif [ "$(cat "$r/state/hostname")" != guest.example.org ]; then
	fail "a name without a router: host name not set"
else
	echo "ok: a full DHCP name without a router is mapped with its short form"
fi

# --- the boot signal waits for the name DHCP gives ---------------------------
# Without RUNALL_NAME the up-file is named after the host name, which the
# hook sets from DHCP; a client that goes on before its lease (dhcpcd)
# would have the signal given under the old name.
r=$(new_root /usr/bin/dash)
export FAKE_STATE=$r/state
mkdir -p "$r/var/run" "$r/netshare-rw/common"
cp "$kit/lib/runall-boot-complete" "$r/etc/runall-guest/"
me=$(uname -n | sed 's/\..*//')
RUNALL_ROOT=$r RUNALL_BOOT_WAIT=1 "$r/etc/runall-guest/runall-boot-complete" >"$work/out" 2>&1
if ! grep -q "no DHCP lease seen by the kit's hook after 1s: signalling as" "$work/out" ||
	[ ! -s "$r/netshare-rw/common/$me" ]; then
	fail "boot signal without a lease: $(cat "$work/out")"
else
	echo "ok: the boot signal waits for a lease, then signals all the same"
fi
RUNALL_ROOT=$r RUNALL_HOSTNAME_CMD="$fakes/hostname" \
	"$r/etc/runall-guest/runall-hostmap" 172.20.3.1 guest-a >/dev/null 2>&1
RUNALL_ROOT=$r RUNALL_BOOT_WAIT=30 "$r/etc/runall-guest/runall-boot-complete" >"$work/out" 2>&1
if [ ! -f "$r/var/run/lease.runall-guest" ] || [ -s "$work/out" ] ||
	[ "$(wc -l <"$r/netshare-rw/common/$me")" != 2 ]; then
	fail "boot signal after a lease: $(cat "$work/out")"
else
	echo "ok: after the hook saw a lease the boot signal does not wait"
fi
printf 'RUNALL_HOSTOS=hostos\nRUNALL_NAME=named\n' >"$r/etc/runall-guest.conf"
rm "$r/var/run/lease.runall-guest"
RUNALL_ROOT=$r RUNALL_BOOT_WAIT=30 "$r/etc/runall-guest/runall-boot-complete" >"$work/out" 2>&1
if [ -s "$work/out" ] || [ ! -s "$r/netshare-rw/common/named" ]; then
	fail "boot signal with RUNALL_NAME: $(cat "$work/out")"
else
	echo "ok: with RUNALL_NAME the boot signal waits for no lease"
fi

# --- /etc/hosts as a relative symbolic link, as on Solaris -------------------
r=$(new_root /usr/bin/dash)
mkdir -p "$r/etc/inet"
mv "$r/etc/hosts" "$r/etc/inet/hosts"
ln -s ./inet/hosts "$r/etc/hosts"
RUNALL_ROOT=$r "$r/etc/runall-guest/runall-hostmap" 172.20.6.1 >/dev/null 2>&1
if [ ! -L "$r/etc/hosts" ]; then
	fail "symlinked /etc/hosts was replaced by a file"
elif ! hosts_ok "$r" 172.20.6.1; then
	fail "symlinked /etc/hosts: the target was not updated"
elif [ ! -f "$r/etc/inet/hosts.old" ]; then
	fail "symlinked /etc/hosts: no hosts.old beside the target"
else
	echo "ok: /etc/hosts as a symbolic link stays one"
fi

# --- hooks running at once leave one mapping --------------------------------
r=$(new_root /usr/bin/dash)
for n in 1 2 3 4 5 6; do
	RUNALL_ROOT=$r "$r/etc/runall-guest/runall-hostmap" "172.20.$n.1" >/dev/null 2>&1 &
done
wait
count=$(grep -c '^172\.20\.[1-6]\.1 hostos$' "$r/etc/hosts")
if [ "$count" != 1 ] || [ "$(sed -n '1,5p' "$r/etc/hosts")" != "$(kept_lines)" ]; then
	fail "six concurrent runs left $count mappings:"
	cat "$r/etc/hosts"
else
	echo "ok: six concurrent runs leave one mapping"
fi

# --- a missing /etc/hosts is created; a missing configuration is an error ----
r=$(new_root /usr/bin/dash)
rm "$r/etc/hosts"
RUNALL_ROOT=$r "$r/etc/runall-guest/runall-hostmap" 172.20.6.1 >/dev/null 2>&1
if [ "$(cat "$r/etc/hosts")" != "172.20.6.1 hostos" ]; then
	fail "a missing /etc/hosts was not created with the mapping"
fi
rm "$r/etc/runall-guest.conf"
RUNALL_ROOT=$r "$r/etc/runall-guest/runall-hostmap" 172.20.7.1 >"$work/out" 2>&1
rc=$?
if [ $rc -ne 100 ] || ! grep -q 'run runall-guest-setup' "$work/out"; then
	fail "no configuration: exit $rc, $(cat "$work/out")"
fi

if [ $failures -ne 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi
echo "guest kit hooks: ok"
