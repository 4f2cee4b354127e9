# The Linux path for real (issue 6): the busybox test guest prepared by the
# guest kit (runall-guest-setup from the read-only share, runall.setup=kit)
# instead of its init's built-in steps, booted under QEMU (x86_64, TCG) and
# checked by tests/guest/boot-smoke in kit mode: up-file, ssh with the
# staged key, ./hostname, the host mapped in the guest's /etc/hosts, the
# three 9p shares from the kit's fstab lines, what the kit installed,
# poweroff, then a second boot keeping the host key.
#
# Installs nothing: every tool must already be there (tests/install-deps).
# boot-smoke does everything inside a network namespace it makes and
# removes; this test checks that the namespace and the work directory are
# gone afterwards. The guest is built once into RUNALL_GUEST_CACHE (else
# build/guests), from Debian packages.
set -u
cd "$RUNALL_TOP" || exit 1
if [ -f tests/lib.sh ]; then
	# shellcheck source=/dev/null
	source tests/lib.sh
fi

missing=()
for pair in qemu-system-x86_64:qemu-system-x86 ip:iproute2 ssh:openssh-client \
	ssh-keygen:openssh-client ssh-keyscan:openssh-client busybox:busybox \
	readelf:binutils cpio:cpio depmod:kmod xz:xz-utils flock:util-linux \
	dpkg-deb:dpkg apt-get:apt timeout:coreutils; do
	PATH=$PATH:/usr/sbin:/sbin command -v "${pair%%:*}" >/dev/null 2>&1 ||
		missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "FAIL: missing ${missing[*]}: run tests/install-deps (this test installs nothing)"
	exit 1
fi

# boot-smoke makes its work directory in TMPDIR: one of this test's own,
# so that what it leaves behind, if anything, is seen.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/runall-guest-kit-boot.XXXXXX") || exit 1
smoke_pid=
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	if [ -n "$smoke_pid" ] && kill -0 "$smoke_pid" 2>/dev/null; then
		# boot-smoke's own trap stops QEMU and its DHCP server and
		# removes its namespace.
		kill -TERM "$smoke_pid" 2>/dev/null
		wait "$smoke_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

TMPDIR=$tmp BOOT_SMOKE_SETUP=kit tests/guest/boot-smoke x86_64 &
smoke_pid=$!
wait "$smoke_pid"
rc=$?
pid=$smoke_pid
smoke_pid=
status=0
if [ "$rc" -ne 0 ]; then
	echo "FAIL: boot-smoke in kit mode exited $rc"
	status=1
fi
if ip netns list | awk '{ print $1 }' | grep -qx "runall-guestsmoke-$pid"; then
	echo "FAIL: boot-smoke left its namespace runall-guestsmoke-$pid"
	status=1
fi
left=$(find "$tmp" -mindepth 1 -maxdepth 1 | head -n 5)
if [ -n "$left" ]; then
	echo "FAIL: boot-smoke left files behind: $left"
	status=1
fi
exit $status
