#!/bin/bash
# runall-os-test -j 5 on the test guests of five architectures at once -
# x86_64, i386, aarch64, big-endian s390x and ppc64le - in a network
# namespace of the test's own: each boots, runs the script, and reports
# what a portability bug would show, its machine (uname -m) and its byte
# order; every guest passes and the summary lists the five.
# Then, on the same running guests (boots are what costs), with a sixth
# guest whose QEMU cannot start:
#   - --junit: a report that xmllint validates against tests/junit/junit.xsd,
#     one testcase per guest with this run's output of the script (stdout
#     and stderr; markup, a byte that is not UTF-8 and one XML cannot hold
#     escaped; runall's log lines left out), a failure for the guest whose
#     script exited 3 and one for the guest that did not boot, the run's
#     timestamp and this host's name;
#   - --shard 1/2 and 2/2: together every guest exactly once, dealt out in
#     config order; after OS names, a shard of those; a shard with no guest
#     exits 0.
# Last, --stop powers them all off.
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

# --- JUnit, with two guests that do not pass ------------------------------------
# A sixth guest, whose QEMU exits at once: its kernel is missing.
truncate -s 1M "$d/images/a5-dead.img"
{
	printf '\n# a guest that cannot boot\n'
	printf 'a5-dead a5-dead.img 20 10 256\narch = x86_64\nshare = 9p\ndisplay = none\n'
	printf '%s\n' "-nodefaults -no-user-config -no-reboot -serial stdio -machine q35" \
		"-kernel $d/no-such-kernel"
} >>"$E2E_GUESTS"
# This run's mark, markup, a byte that is not UTF-8 and one XML cannot
# hold; stderr too; exit 3 on s390x.
cat >"$d/report" <<'EOF'
#!/bin/sh
echo "run=junit machine=$(uname -m) <&> $(printf '\377\001')"
echo "to stderr" >&2
[ "$(uname -m)" != s390x ] || exit 3
EOF
junit=$d/run.xml
e2e_run -j 6 --junit "$junit" -sf "$d/report" >"$d/junit.out" 2>"$d/junit.err"
rc=$?
[ "$rc" = 1 ] || fail "--junit run: exit $rc, expected 1"
[ -s "$junit" ] || fail "--junit wrote nothing"
xmllint --noout --schema "$E2E_TOP/tests/junit/junit.xsd" "$junit" >"$d/xmllint.out" 2>&1 ||
	fail "the JUnit report is not valid: $(cat "$d/xmllint.out") $(cat "$junit")"
# testcase NAME: its element, <testcase ...> to </testcase>, on one line.
testcase() {
	tr '\n' ' ' <"$junit" | grep -o "<testcase name=\"$1\"[^>]*>.*" | sed 's|</testcase>.*||'
}
suite=$(grep '<testsuite ' "$junit")
[[ $suite == *'<testsuite name="runall-os-test" tests="6" failures="2" '* ]] ||
	fail "testsuite counts: $suite"
[[ $suite =~ \ timestamp=\"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\" ]] ||
	fail "no timestamp: $suite"
[[ $suite == *" hostname=\"$(hostname)\""* ]] || fail "no hostname $(hostname): $suite"
replacement=$'\xef\xbf\xbd'
for a in "${arches[@]}"; do
	read -r name arch machine _ <<<"$a"
	tc=$(testcase "$name")
	[ -n "$tc" ] || fail "no testcase for $name: $(cat "$junit")"
	[[ $tc =~ \ time=\"[0-9]+\.[0-9]{3}\" ]] || fail "$name: no time: $tc"
	[[ $tc == *"<system-out>run=junit machine=$machine &lt;&amp;&gt; $replacement\\x01"* ]] ||
		fail "$name: not this run's output, escaped: $tc"
	[[ $tc == *"to stderr"* ]] || fail "$name: no stderr in system-out: $tc"
	[[ $tc == *"$name:: "* ]] && fail "$name: runall's log lines in system-out: $tc"
	if [ "$arch" = s390x ]; then
		[[ $tc == *'<failure message="failed (exit 3)"'* ]] || fail "$name: no failure for exit 3: $tc"
	else
		[[ $tc == *'<failure'* ]] && fail "$name passed, yet: $tc"
	fi
done
tc=$(testcase a5-dead)
[[ $tc == *'<failure message="boot failed"'* ]] || fail "a5-dead: $tc"
[[ $tc == *'<system-out>'* ]] && fail "a5-dead ran no script, yet: $tc"
grep "QEMU started" "$d/junit.err" | grep -qv a5-dead && fail "--junit run booted a running guest"
ok "--junit: valid; this run's output per guest; failures for exit 3 and a failed boot"

# --- shards -------------------------------------------------------------------------
# shard_names FILE: the testcases of a JUnit report, in its order.
shard_names() { sed -n 's/.*<testcase name="\([^"]*\)".*/\1/p' "$1" | tr '\n' ' '; }
for k in 1 2; do
	e2e_run -j 3 --shard "$k/2" --junit "$d/shard$k.xml" -sn "$d/report" \
		>"$d/shard$k.out" 2>"$d/shard$k.err"
	rc=$?
	# Shard 2 has a5-s390 and a5-dead, shard 1 only guests that pass.
	[ "$rc" = $((k - 1)) ] || fail "shard $k/2: exit $rc, expected $((k - 1))"
	xmllint --noout --schema "$E2E_TOP/tests/junit/junit.xsd" "$d/shard$k.xml" \
		>"$d/xmllint.out" 2>&1 || fail "shard $k/2: $(cat "$d/xmllint.out")"
	grep "QEMU started" "$d/shard$k.err" | grep -qv a5-dead &&
		fail "shard $k/2 booted a guest that was up"
done
[ "$(shard_names "$d/shard1.xml")" = "a5-x86 a5-arm a5-ppc " ] ||
	fail "shard 1/2 ran $(shard_names "$d/shard1.xml")"
[ "$(shard_names "$d/shard2.xml")" = "a5-i386 a5-s390 a5-dead " ] ||
	fail "shard 2/2 ran $(shard_names "$d/shard2.xml")"
grep -q "Shard 1/2: 3 of 6 guests: a5-x86 a5-arm a5-ppc" "$d/shard1.err" ||
	fail "shard 1/2 did not say which guests: $(grep -i shard "$d/shard1.err")"
ok "--shard 1/2 and 2/2 ran every guest once: $(shard_names "$d/shard1.xml")+ $(shard_names "$d/shard2.xml")"
# The OS names select first, in config order (a5-x86 a5-s390 a5-ppc); the
# shard deals those out.
e2e_run --shard 1/2 --junit "$d/named.xml" -sn "$d/report" a5-ppc a5-s390 a5-x86 \
	>"$d/named.out" 2>"$d/named.err" || fail "shard 1/2 of three named: exit $?"
[ "$(shard_names "$d/named.xml")" = "a5-x86 a5-ppc " ] ||
	fail "shard 1/2 of a5-x86 a5-s390 a5-ppc ran $(shard_names "$d/named.xml")"
e2e_run --shard 3/3 --junit "$d/empty.xml" -sn "$d/report" a5-x86 \
	>"$d/empty.out" 2>"$d/empty.err" || fail "an empty shard: exit $?, expected 0"
grep -q "Shard 3/3: 0 of 1 guests, nothing to do" "$d/empty.err" ||
	fail "empty shard: $(cat "$d/empty.err")"
grep -q '<testsuite name="runall-os-test" tests="0" failures="0"' "$d/empty.xml" ||
	fail "empty shard's JUnit: $(cat "$d/empty.xml")"
ok "OS names select, then the shard deals them out; an empty shard exits 0"

e2e_run --stop >"$d/stop.out" 2>"$d/stop.err" || fail "--stop: exit $?"
[ "$(grep -c ' stopped ' "$d/stop.out")" = 6 ] || fail "--stop: $(cat "$d/stop.out")"
for _ in $(seq 100); do
	[ -z "$(e2e_qemu_pids)" ] && break
	sleep 0.1
done
[ -z "$(e2e_qemu_pids)" ] || fail "--stop left QEMU running: $(e2e_qemu_pids)"
ok "--stop powered them off"
echo PASS
