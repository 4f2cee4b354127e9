# Every shell script runall ships or runs is valid for dash and busybox sh
# (the guest-side ones must run on any POSIX sh) and passes shellcheck.
set -u
cd "$RUNALL_TOP" || exit 1
status=0
# Files with a #!/bin/sh line are POSIX sh: check them with both shells and
# with shellcheck at POSIX level. bash scripts get shellcheck as bash.
for f in $(git ls-files 2>/dev/null || find . -type f -not -path './build/*'); do
	[ -f "$f" ] || continue
	first=$(head -n 1 "$f" | tr -d '\000')
	case $first in
	'#!/bin/sh'*|'#!/usr/bin/env sh'*)
		dash -n "$f" || { echo "$f: dash -n failed"; status=1; }
		busybox sh -n "$f" || { echo "$f: busybox sh -n failed"; status=1; }
		shellcheck -s sh "$f" || status=1 ;;
	'#!/bin/bash'*|'#!/usr/bin/env bash'*)
		bash -n "$f" || { echo "$f: bash -n failed"; status=1; }
		shellcheck -s bash "$f" || status=1 ;;
	esac
done
for f in tests/root/*.sh tests/lint/*.sh; do
	[ -f "$f" ] || continue
	shellcheck -s bash -e SC1091 "$f" || status=1
done
exit $status
