#!/bin/bash
# The guest kit's Linux path for real: the test guest is prepared by
# runall-guest-setup (etc/guest, staged in the read-only share as a user
# would copy it) instead of its init's built-in steps (runall.setup=kit),
# then booted and used by runall-os-test like any guest: the kit's DHCP hook
# maps the host, its boot-complete script writes the up-file the driver
# waits for, its ~/hostname answers the connection test, and the script runs.
# shellcheck disable=SC1091 # runall_os_test.bash is checked on its own
. "$RUNALL_TOP/tests/root/runall_os_test.bash"
e2e_setup kit

d=$E2E_DIR
# What a user stages for a guest prepared with the kit (runall-guest(7)).
cp -R "$E2E_TOP/etc/guest" "$d/share/common-ro/.runall/guest"
cp "$E2E_KEY.pub" "$d/share/common-ro/.runall/authorized_key.pub"
mkdir -p "$d/share/kit-x86/common"
e2e_guest kit-x86 x86_64 120 30 "runall.setup=kit runall.name=kit-x86"

cat >"$d/check-kit" <<'EOF2'
#!/bin/sh
# Runs on the guest: shows what the kit set up.
echo "name: $(~/hostname)"
. /etc/runall-guest.conf && echo "kit: hostos=$RUNALL_HOSTOS"
awk '$2 == "runall-host" { print "host mapped: " $1 }' /etc/hosts
[ -x /etc/runall-guest/udhcpc-script ] && echo "hook: udhcpc-script"
[ -f /etc/runall/hostos ] && echo "built-in steps ran"
echo "cwd: $(pwd)"
exit 0
EOF2

e2e_run --shutdown -s "$d/check-kit" kit-x86 >"$d/run.out" 2>"$d/run.err" ||
	fail "run: exit $?"
cat "$d/run.out"
[ "$(e2e_result "$d/run.out" kit-x86)" = passed ] || fail "not passed"
grep -qx "name: kit-x86" "$d/run.out" || fail "the guest's hostname script does not answer kit-x86"
grep -qx "kit: hostos=runall-host" "$d/run.out" || fail "no kit config in the guest"
grep -qx "host mapped: 172.20.0.1" "$d/run.out" ||
	fail "the kit's DHCP hook did not map the host to the router"
grep -qx "hook: udhcpc-script" "$d/run.out" || fail "kit hook not installed"
grep -q "built-in steps ran" "$d/run.out" && fail "the built-in init steps ran too"
grep -qx "cwd: /netshare-rw" "$d/run.out" || fail "not run in the guest's rw directory"
grep -q "kit-x86:: Finished waiting: OS is up" "$d/run.err" ||
	fail "the driver did not see the kit's boot-complete signal"
[ -s "$d/share/common-rw/kit-x86" ] || fail "no up-file from the kit"
[ -z "$(e2e_qemu_pids)" ] || fail "--shutdown left QEMU: $(e2e_qemu_pids)"
ok "a guest prepared by runall-guest-setup booted, signalled, ran the script and shut down"
echo PASS
