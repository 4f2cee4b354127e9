#!/bin/bash
# start-tun-interface run by a caller that ignores SIGCHLD (so that every
# waitpid fails with ECHILD unless the tool undoes it) and blocks SIGTERM
# still maps the hostname through update-dynamic-hosts, which it waits for,
# and starts a DHCP server that SIGTERM stops.
set -u
# shellcheck disable=SC1091 # start_tun_helpers.bash is linted on its own
source "$RUNALL_TOP/tests/root/start_tun_helpers.bash"

host=${PREFIX}h
make_ns "$host"
ip -n "$host" tuntap add dev tap3 mode tap || fail "cannot make tap3"
echo sig-guest >"$HN_DIR/$$"

# shellcheck disable=SC2016 # a perl script
ip netns exec "$host" perl -e 'use POSIX;
	$SIG{CHLD} = "IGNORE";
	sigprocmask(SIG_BLOCK, POSIX::SigSet->new(SIGTERM)) or die "sigprocmask";
	exec { $ARGV[0] } @ARGV or die "exec: $!"' -- "$STI" -C "$CONF" tap3 \
	>"$TMP/sti.log" 2>&1 || fail "start-tun-interface tap3: exit $?: $(cat "$TMP/sti.log")"
grep -Eq '^172\.20\.3\.2[[:space:]]+sig-guest # uid=0$' "$HOSTS" ||
	fail "hosts file does not map sig-guest: $(cat "$HOSTS")"
# It waited for update-dynamic-hosts and saw it succeed: nothing to say
# (with SIGCHLD ignored it said "cannot run update-dynamic-hosts: waitpid:
# No child processes; ... not updated", and could not have reported a
# refusal).
[ ! -s "$TMP/sti.log" ] || fail "start-tun-interface said: $(cat "$TMP/sti.log")"
echo "ok: hostname mapped, update-dynamic-hosts waited for, with SIGCHLD ignored by the caller"

pid=$(daemon_pid "$host" tap3) || fail "no DHCP server pid file"
alive "$pid" || fail "DHCP server $pid not running"
kill "$pid"
for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
! alive "$pid" || fail "DHCP server $pid ignores SIGTERM"
echo "ok: DHCP server started, and stopped by SIGTERM"
