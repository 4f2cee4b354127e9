# The Linux test guest's path for real: a root prepared by
# runall-guest-setup (udhcpc, no init hook, as the busybox test guest), then
# busybox udhcpc running the kit's script against a real DHCP server
# (busybox udhcpd) across a veth pair between two network namespaces this
# test makes.  The script configures the interface itself (no default
# script), maps the host to the router, takes the host name from option 12
# and maps it to 127.0.1.1; the same lease again rewrites nothing; a server
# on a new subnet (the tap a guest gets after a restart) remaps the host.
set -u
cd "$RUNALL_TOP" || exit 1
work=$(mktemp -d)
ns_s=ragk-s-$$
ns_c=ragk-c-$$
server_pid=
cleanup() {
	if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; fi
	ip netns del "$ns_s" 2>/dev/null
	ip netns del "$ns_c" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# The guest root, prepared by the kit.
r=$work/root
mkdir -p "$r/etc" "$r/home/tester" "$r/sbin"
printf 'tester:x:4321:4321::/home/tester:/bin/sh\n' >"$r/etc/passwd"
printf '127.0.0.1 localhost\n10.1.1.1 hostos # stale\n' >"$r/etc/hosts"
if ! RUNALL_ROOT=$r RUNALL_GUEST_FAMILY=linux sh etc/guest/runall-guest-setup \
	--hostos hostos --user tester --name kitguest --dhcp udhcpc --boot none \
	>"$work/setup.out" 2>&1; then
	cat "$work/setup.out"
	exit 1
fi
# The host name is "set" through a fake: the test machine's stays.
cat >"$work/hostname" <<EOF
#!/bin/sh
if [ \$# -eq 0 ]; then cat "$work/hostname.set" 2>/dev/null || echo before; else echo "\$1" >"$work/hostname.set"; fi
EOF
chmod 755 "$work/hostname"

ip netns add "$ns_s" || exit 1
ip netns add "$ns_c" || exit 1
ip -n "$ns_s" link add vs type veth peer name vc netns "$ns_c" || exit 1
ip -n "$ns_s" link set lo up
ip -n "$ns_c" link set lo up
ip -n "$ns_s" link set vs up
ip -n "$ns_c" link set vc up

# start_server NET: udhcpd for NET.0/24 on vs, the router NET.1.
start_server() {
	if [ -n "$server_pid" ]; then kill "$server_pid"; wait "$server_pid" 2>/dev/null; fi
	ip -n "$ns_s" addr flush dev vs
	ip -n "$ns_s" addr add "$1.1/24" dev vs
	: >"$work/leases"
	cat >"$work/udhcpd.conf" <<EOF
start $1.2
end $1.2
interface vs
lease_file $work/leases
pidfile $work/udhcpd.pid
opt subnet 255.255.255.0
opt router $1.1
opt dns $1.1
opt domain local
opt hostname kitguest
opt lease 120
EOF
	ip netns exec "$ns_s" busybox udhcpd -f "$work/udhcpd.conf" >"$work/udhcpd.log" 2>&1 &
	server_pid=$!
	sleep 0.3
}

# lease: one udhcpc exchange in the client namespace, quitting when bound.
lease() {
	ip netns exec "$ns_c" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin RUNALL_ROOT="$r" \
		RUNALL_HOSTNAME_CMD="$work/hostname" \
		busybox udhcpc -i vc -s "$r/etc/runall-guest/udhcpc-script" -f -q -n -t 5 -T 1 \
		>"$work/udhcpc.log" 2>&1
}

start_server 172.20.77
if ! lease; then
	fail "no lease: $(cat "$work/udhcpc.log")"
else
	addr=$(ip -n "$ns_c" -4 -o addr show dev vc | awk '{ print $4 }')
	route=$(ip -n "$ns_c" -4 route show default)
	[ "$addr" = 172.20.77.2/24 ] || fail "address on vc: '$addr'"
	case $route in
	"default via 172.20.77.1 dev vc"*) ;;
	*) fail "default route: '$route'" ;;
	esac
	[ "$(cat "$r/etc/hosts")" = "$(printf '127.0.0.1 localhost\n127.0.1.1\tkitguest\n172.20.77.1 hostos')" ] ||
		fail "hosts after the lease: $(cat "$r/etc/hosts")"
	[ "$(cat "$work/hostname.set" 2>/dev/null)" = kitguest ] ||
		fail "host name from option 12: '$(cat "$work/hostname.set" 2>/dev/null)'"
	grep -q '^nameserver 172.20.77.1$' "$r/etc/resolv.conf" || fail "resolv.conf not written"
	echo "ok: a real lease configures vc, maps the host and names the guest"
fi

before=$(stat -c '%i %Y' "$r/etc/hosts")
lease || fail "no second lease: $(cat "$work/udhcpc.log")"
[ "$(stat -c '%i %Y' "$r/etc/hosts")" = "$before" ] || fail "the same lease again rewrote /etc/hosts"
[ "$(ip -n "$ns_c" -4 -o addr show dev vc | wc -l)" = 1 ] || fail "the same lease again added an address"
echo "ok: the same lease again changes nothing"

start_server 172.20.78
if ! lease; then
	fail "no lease on the new subnet: $(cat "$work/udhcpc.log")"
else
	[ "$(ip -n "$ns_c" -4 -o addr show dev vc | awk '{ print $4 }')" = 172.20.78.2/24 ] ||
		fail "new address: $(ip -n "$ns_c" -4 -o addr show dev vc)"
	[ "$(cat "$r/etc/hosts")" = "$(printf '127.0.0.1 localhost\n127.0.1.1\tkitguest\n172.20.78.1 hostos')" ] ||
		fail "hosts after the new lease: $(cat "$r/etc/hosts")"
	echo "ok: a lease from a new router remaps the host"
fi

if [ $failures -ne 0 ]; then
	echo "$failures failure(s)"
	cat "$work/udhcpc.log" "$work/udhcpd.log"
	exit 1
fi
echo "udhcpc with the guest kit: ok"
