#!/bin/sh
# runall-guest: boot-complete signal for Solaris without SMF (Solaris 9 and
# older); see runall-guest(7).  Installed as
# /etc/rc3.d/S99zrunall_boot_complete: /sbin/rc3 runs the S scripts in the
# order of their names with "start", and the "z" sorts it after the other
# S99 scripts.  rc3 runs it with the Bourne shell whatever its first line
# says, so it only calls the real script.
case "$1" in
start)
	/etc/runall-guest/runall-boot-complete
	;;
esac
exit 0
