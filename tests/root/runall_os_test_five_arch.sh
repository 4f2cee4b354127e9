#!/bin/bash
# runall-os-test -j 5 on the test guests of five architectures at once -
# x86_64, i386, aarch64, big-endian s390x and ppc64le - in a network
# namespace of the test's own: each boots, runs the script, and reports
# what a portability bug would show, its machine (uname -m) and its byte
# order; every guest passes, the summary lists the five, and --stop powers
# them all off.
# shellcheck disable=SC1091 # runall_os_test.bash is checked on its own
. "$RUNALL_TOP/tests/root/runall_os_test.bash"
e2e_setup a5

# guest name, build-guest architecture, what `uname -m` says, byte order.
arches=(
	"a5-x86 x86_64 x86_64 little"
	"a5-i386 i386 i686 little"
	"a5-arm aarch64 aarch64 little"
	"a5-s390 s390x s390x big"
	"a5-ppc ppc64le ppc64le little"
)
for a in "${arches[@]}"; do
	read -r name arch _ _ <<<"$a"
	e2e_guest "$name" "$arch"
done
d=$E2E_DIR

cat >"$d/probe" <<'EOF'
#!/bin/sh
# The bytes 01 00 read as one 16-bit number: 0x0001 on a little-endian
# machine, 0x0100 on a big-endian one.
case $(printf '\001\000' | od -An -tx2 | tr -d ' ') in
	0001) order=little ;;
	0100) order=big ;;
	*) order=unknown ;;
esac
echo "machine=$(uname -m) order=$order host=$(~/hostname)"
EOF

start=$(date +%s.%N)
e2e_run -j 5 -sf "$d/probe" >"$d/run.out" 2>"$d/run.err"
rc=$?
took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
[ "$rc" = 0 ] || fail "-j 5 run: exit $rc"
for a in "${arches[@]}"; do
	read -r name arch machine order <<<"$a"
	[ "$(e2e_result "$d/run.out" "$name")" = passed ] ||
		fail "$name ($arch): '$(e2e_result "$d/run.out" "$name")'"
	grep -q "$name:: QEMU started as pid" "$d/run.err" || fail "$name was not launched"
	# -j: each line of output carries its guest's name.
	grep -qx "\[$name\] machine=$machine order=$order host=$name" "$d/run.out" ||
		fail "$name ($arch): expected machine=$machine order=$order, got: $(grep "^\[$name\]" "$d/run.out")"
	ok "$name: $machine, $order-endian, passed"
done
grep -qx "5 of 5 guests passed" "$d/run.out" || fail "summary: $(tail -n 7 "$d/run.out")"
[ "$(e2e_qemu_pids | wc -l)" = 5 ] || fail "not five QEMUs: $(e2e_qemu_pids | tr '\n' ' ')"
ok "five architectures booted and ran the script at once in ${took}s"
sed -n '/^GUEST /,$p' "$d/run.out"

e2e_run --stop >"$d/stop.out" 2>"$d/stop.err" || fail "--stop: exit $?"
[ "$(grep -c ' stopped ' "$d/stop.out")" = 5 ] || fail "--stop: $(cat "$d/stop.out")"
for _ in $(seq 100); do
	[ -z "$(e2e_qemu_pids)" ] && break
	sleep 0.1
done
[ -z "$(e2e_qemu_pids)" ] || fail "--stop left QEMU running: $(e2e_qemu_pids)"
ok "--stop powered the five off"
echo PASS
