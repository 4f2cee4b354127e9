#!/bin/sh
#
# PROVIDE: runall_boot_complete
# REQUIRE: LOGIN sshd

# runall-guest: boot-complete signal for NetBSD (see runall-guest(7)).
# Installed as /etc/rc.d/runall_boot_complete and enabled with
# runall_boot_complete=YES in /etc/rc.conf.  rcorder(8) puts it after LOGIN
# and sshd, among the last scripts of boot, and after the NFS mounts of
# /etc/fstab (mountcritremote); no system file is edited, unlike the
# article's line appended to /etc/rc.

# rc.subr is the system's; it reads name, rcvar and the *_cmd variables.
# shellcheck disable=SC1091,SC2034
. /etc/rc.subr

name=runall_boot_complete
rcvar=$name
start_cmd=runall_boot_complete_start
stop_cmd=:

runall_boot_complete_start() {
	/etc/runall-guest/runall-boot-complete
}

load_rc_config "$name"
run_rc_command "$1"
