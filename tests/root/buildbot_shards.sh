#!/bin/bash
# A real CI engine runs runall sharded: a Buildbot master configured by the
# shipped example (etc/buildbot-master.cfg) and two Buildbot workers, all
# on 127.0.0.1 of a network namespace of the test's own. One change makes
# one build of each of the two shards; each worker stands for a host of
# its own, its runall-os-test running in a network namespace of its own
# (its taps, DHCP servers and hosts file), on the four test guests of one
# guest config. Both builds must succeed, each on its own worker; each
# shard's JUnit report, kept by the master, must validate against
# tests/junit/junit.xsd; together the two must have run every guest
# exactly once, and each host must have booted only its shard's guests.
# Everything the test starts (master, workers, QEMUs, DHCP servers) runs
# in namespaces it makes; it is stopped by pid and removed at exit.
# shellcheck disable=SC1091 # runall_os_test.bash is checked on its own
. "$RUNALL_TOP/tests/root/runall_os_test.bash"
e2e_setup bb
d=$E2E_DIR
for tool in buildbot buildbot-worker xmllint; do
	command -v "$tool" >/dev/null || fail "$tool is not installed (tests/install-deps)"
done

guests=(bb-x86-a bb-arm-a bb-x86-b bb-arm-b)
e2e_guest bb-x86-a x86_64
e2e_guest bb-arm-a aarch64
e2e_guest bb-x86-b x86_64
e2e_guest bb-arm-b aarch64
cat >"$d/share/common-ro/probe" <<'EOF'
#!/bin/sh
echo "ran on $(~/hostname), $(uname -m)"
EOF
chmod 755 "$d/share/common-ro/probe"

# --- the two hosts: a namespace each, runall-os-test of each in the PATH
# of its worker ---------------------------------------------------------------
for w in w1 w2; do
	e2e_host "$w"
	mkdir -p "$d/$w/bin"
	cat >"$d/$w/bin/runall-os-test" <<EOF
#!/bin/sh
# runall-os-test as host $w runs it: in its own network namespace, with
# its own settings, the test's key and its own logs.
exec ip netns exec $E2E_HOST_NS $E2E_BUILD/runall-os-test -C $E2E_HOST_CONF \\
	-i $E2E_KEY --log-dir $E2E_HOST_LOGS "\$@"
EOF
	chmod 755 "$d/$w/bin/runall-os-test"
	eval "ns_$w=\$E2E_HOST_NS"
done

# --- the master and the workers --------------------------------------------------
# The master, its workers and `buildbot sendchange` talk over the loopback
# of a namespace of their own: nothing leaves it.
ci_ns=$E2E_NS-ci
ip netns add "$ci_ns" || fail "ip netns add $ci_ns"
E2E_MORE_NS+=("$ci_ns")
ip -n "$ci_ns" link set lo up
# A fixed port is free in a namespace nobody else uses.
port=9989
pw_w1=pw-$RANDOM$RANDOM pw_w2=pw-$RANDOM$RANDOM
export RUNALL_BUILDBOT_WORKERS="w1:$pw_w1 w2:$pw_w2"
export RUNALL_BUILDBOT_SCRIPT=$d/share/common-ro/probe
export RUNALL_BUILDBOT_ARGS="-j 2 --shutdown"
export RUNALL_BUILDBOT_PORT="tcp:$port:interface=127.0.0.1"
export RUNALL_BUILDBOT_CHANGE_AUTH="change:pw-$RANDOM$RANDOM"
cd "$d" || fail "cd $d"
buildbot create-master -q master >"$d/create-master.out" 2>&1 ||
	fail "buildbot create-master: $(cat "$d/create-master.out")"
cp "$E2E_TOP/etc/buildbot-master.cfg" master/master.cfg
buildbot checkconfig master >"$d/checkconfig.out" 2>&1 ||
	fail "the example master.cfg: $(cat "$d/checkconfig.out")"
ip netns exec "$ci_ns" buildbot start --nodaemon master >"$d/master.out" 2>&1 &
E2E_PIDS+=("$!")
for w in w1 w2; do
	pw_var=pw_$w
	pw=${!pw_var}
	buildbot-worker create-worker -q "$w/worker" "127.0.0.1:$port" "$w" "$pw" \
		>"$d/create-$w.out" 2>&1 || fail "buildbot-worker create-worker: $(cat "$d/create-$w.out")"
	PATH=$d/$w/bin:$PATH ip netns exec "$ci_ns" buildbot-worker start --nodaemon "$w/worker" \
		>"$d/$w.out" 2>&1 &
	E2E_PIDS+=("$!")
done
# twistd.log says when each worker has attached (the workers retry with
# backoff, a few seconds).
attached() { grep -q "Worker $1 attached to" master/twistd.log 2>/dev/null; }
for _ in $(seq 600); do
	attached w1 && attached w2 && break
	sleep 0.1
done
if ! attached w1 || ! attached w2; then
	fail "the workers did not attach: $(tail -n 20 master/twistd.log 2>/dev/null)"
fi
ok "a Buildbot master and two workers are up on 127.0.0.1"

# --- one change: one build of each shard ----------------------------------------------
ip netns exec "$ci_ns" buildbot sendchange --master "127.0.0.1:$port" \
	--auth "$RUNALL_BUILDBOT_CHANGE_AUTH" --who runall-test --branch main \
	--comments "a test run" >"$d/sendchange.out" 2>&1 ||
	fail "buildbot sendchange: $(cat "$d/sendchange.out")"

# builds: one line per build of the master's database, "builder worker
# complete results" (results 0 is success).
builds() {
	/usr/bin/python3 - "$d/master/state.sqlite" <<'EOF'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=5)
for row in db.execute(
        "select bl.name, w.name, b.complete_at is not null, b.results"
        " from builds b join builders bl on bl.id = b.builderid"
        " join workers w on w.id = b.workerid order by bl.name"):
    print(*row)
EOF
}
done_builds=0
for _ in $(seq 1800); do
	done_builds=$(builds 2>/dev/null | awk '$3 == 1' | wc -l)
	[ "$done_builds" -ge 2 ] && break
	sleep 0.1
done
builds >"$d/builds" || fail "cannot read the master's database"
[ "$done_builds" -ge 2 ] || fail "the builds did not finish in 180 s: $(cat "$d/builds")"
[ "$(wc -l <"$d/builds")" = 2 ] || fail "not two builds: $(cat "$d/builds")"
grep -q '^runall-1of2 w[12] 1 0$' "$d/builds" || fail "shard 1 did not succeed: $(cat "$d/builds")"
grep -q '^runall-2of2 w[12] 1 0$' "$d/builds" || fail "shard 2 did not succeed: $(cat "$d/builds")"
[ "$(cut -d' ' -f2 "$d/builds" | sort -u | wc -l)" = 2 ] ||
	fail "both builds ran on one worker: $(cat "$d/builds")"
ok "both shards' builds succeeded, one on each worker"

# --- their JUnit reports ------------------------------------------------------------------
reports=(master/junit/runall-1of2-1.xml master/junit/runall-2of2-1.xml)
ran=()
for r in "${reports[@]}"; do
	[ -s "$r" ] || fail "the master has no $r: $(ls -R master/junit 2>&1)"
	xmllint --noout --schema "$E2E_TOP/tests/junit/junit.xsd" "$r" >"$d/xmllint.out" 2>&1 ||
		fail "$r is not valid JUnit: $(cat "$d/xmllint.out")"
	grep -q '<failure' "$r" && fail "$r has a failure: $(cat "$r")"
	while read -r g; do ran+=("$g"); done < <(sed -n 's/.*<testcase name="\([^"]*\)".*/\1/p' "$r")
done
[ "$(printf '%s\n' "${ran[@]}" | sort | tr '\n' ' ')" = \
  "$(printf '%s\n' "${guests[@]}" | sort | tr '\n' ' ')" ] ||
	fail "the shards ran ${ran[*]}, not every guest once: ${guests[*]}"
ok "the two JUnit reports are valid and together hold every guest once"

# Each host booted its own shard's guests and no other: its hosts file maps
# only those (start-tun-interface writes a name there when it boots it).
for w in w1 w2; do
	ns_var=ns_$w
	hosts=/etc/netns/${!ns_var}/hosts
	mapped=$(sed -n 's/^[0-9.]* \(bb-[a-z0-9-]*\) .*/\1/p' "$hosts" | sort | tr '\n' ' ')
	shard=$(awk -v w="$w" '$2 == w { print $1 }' "$d/builds")
	r=master/junit/$shard-1.xml
	want=$(sed -n 's/.*<testcase name="\([^"]*\)".*/\1/p' "$r" | sort | tr '\n' ' ')
	[ "$mapped" = "$want" ] || fail "host $w ($shard) booted '$mapped', its shard is '$want'"
	ok "host $w ran $shard in its own namespace: $want"
done
echo PASS
