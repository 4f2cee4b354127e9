#!/bin/bash
# A QEMU program that is a wrapper script - Debian's qemu-system-i386 is
# one: it loops over its arguments, then execs /usr/libexec/qemu-system-i386.
# Until it does, the process runqemuos exec'd runs the shell, under the
# script's command name. runall-os-test looked at it in that moment under
# load (CI's five-architecture test) and reported the guest's QEMU as
# exited. Here the wrapper first in PATH takes a second before its exec,
# so the moment is always seen:
#   - the cold run boots the guest through the wrapper and passes (the
#     old code: "boot failed: QEMU exited before the guest came up");
#   - a second driver finds the running guest (warm run, no launch);
#   - --stop powers it off.
# shellcheck disable=SC1091 # runall_os_test.bash is checked on its own
. "$RUNALL_TOP/tests/root/runall_os_test.bash"
e2e_setup qw

e2e_guest qw-x86 x86_64
d=$E2E_DIR
real=$(command -v qemu-system-x86_64) || fail "no qemu-system-x86_64"
mkdir -p "$d/wrap"
cat >"$d/wrap/qemu-system-x86_64" <<WRAPPER
#!/bin/sh
# As Debian's wrapper does: a shell, for a while, then the real QEMU.
for opt in "\$@"; do :; done
sleep 1
exec $real "\$@"
WRAPPER
chmod 0755 "$d/wrap/qemu-system-x86_64"
# shellcheck disable=SC2016 # expanded on the guest
printf '#!/bin/sh\necho "on $(~/hostname)"\n' >"$d/script"

PATH="$d/wrap:$PATH" e2e_run -sf "$d/script" >"$d/cold.out" 2>"$d/cold.err"
rc=$?
[ "$rc" = 0 ] || fail "cold run through the wrapper: exit $rc"
[ "$(e2e_result "$d/cold.out" qw-x86)" = passed ] || fail "cold: not passed"
grep -q "qw-x86:: QEMU started as pid" "$d/cold.err" || fail "cold: not launched"
grep -qx "on qw-x86" "$d/cold.out" || fail "cold: the script's output: $(cat "$d/cold.out")"
pid=$(e2e_qemu_pids)
[ -n "$pid" ] || fail "no QEMU running after the cold run"
[ "$(readlink "/proc/$pid/exe")" = "$(readlink -f "$real")" ] ||
	fail "the guest's process runs $(readlink "/proc/$pid/exe"), not $real"
ok "booted through a wrapper script and passed"

PATH="$d/wrap:$PATH" e2e_run -sf "$d/script" >"$d/warm.out" 2>"$d/warm.err" ||
	fail "warm run: exit $?"
grep -q "QEMU started" "$d/warm.err" && fail "warm run launched again"
[ "$(e2e_result "$d/warm.out" qw-x86)" = passed ] || fail "warm: not passed"
ok "a second driver found the running guest"

PATH="$d/wrap:$PATH" e2e_run --stop >"$d/stop.out" 2>"$d/stop.err" || fail "--stop: exit $?"
e2e_wait_gone "$pid" 30 || fail "QEMU $pid still running after --stop"
ok "--stop powered it off"
