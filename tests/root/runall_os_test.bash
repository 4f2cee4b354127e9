#!/bin/bash
# Shared setup of the end-to-end tests of runall-os-test (sourced by
# tests/root/runall_os_test_*.sh and by tests/demo; never run on its own).
#
# e2e_setup TAG makes, all of it removed again at exit:
#   $E2E_NS      a network namespace of our own (unique name); everything -
#                runqemuos, QEMU, start-tun-interface's DHCP daemons, the
#                driver and its ssh - runs inside it, so guests get taps and
#                172.20.N.0/24 addresses there and nowhere else
#   /etc/netns/$E2E_NS/hosts
#                the hosts file processes in the namespace see as
#                /etc/hosts (`ip netns exec` bind-mounts it there): the one
#                update-dynamic-hosts edits and ssh resolves guests in; the
#                real /etc/hosts is never touched
#   $E2E_DIR     a temporary directory with every runall directory in it
#                (hostnames, launch, images, shares, logs, known_hosts)
#   $E2E_CONF    a settings file naming those directories
#   $E2E_GUESTS  the guest config file (add records with e2e_guest)
#   $E2E_KEY     an ssh key; its public half is staged in the read-only
#                share as .runall/authorized_keys, where the test guests'
#                init copies it from
#   $E2E_LOGS    the driver's per-guest log directory
# The guests run as root inside (runall.user=root:0:0), the same user as
# the driver: the article's "same user name and uid" contract.
#
# Helpers: e2e_guest (a guest record for a test guest of tests/guest/),
# e2e_host (one more namespace, as another host running the same guests),
# e2e_run (runall-os-test inside the namespace with the test's settings),
# e2e_stage_tools (the tools where another user can run them),
# e2e_qemu_pids, e2e_wait_gone, fail, ok.
#
# Whatever the guests' QEMU reads is under $E2E_DIR, never in the build
# directory: a test may run QEMU as another user, and the checkout may lie
# where that user cannot reach (a clone under a home directory of mode
# 0700).
set -u

E2E_BUILD=${RUNALL_BUILD:?RUNALL_BUILD must point at the build directory}
E2E_TOP=${RUNALL_TOP:?RUNALL_TOP must point at the source tree}
export RUNALL_GUEST_CACHE=${RUNALL_GUEST_CACHE:-$E2E_TOP/build/guests}
E2E_NS='' E2E_DIR='' E2E_NETNS_DIR=''
E2E_PIDS=() E2E_MORE_NS=()

fail() {
	echo "FAIL: $*"
	e2e_show_logs
	exit 1
}
ok() { echo "ok: $*"; }

# The logs worth reading when something failed.
e2e_show_logs() {
	local f
	[ -n "$E2E_DIR" ] && [ -d "$E2E_DIR" ] || return 0
	for f in "$E2E_DIR"/*.out "$E2E_DIR"/*.err "$E2E_LOGS"/*.log "$E2E_LOGS"/*.console; do
		[ -f "$f" ] || continue
		echo "--- $f (last 30 lines)"
		tail -n 30 "$f"
	done
}

# e2e_ns_del NS: ends what runs in the namespace NS (all of it ours: QEMUs,
# DHCP daemons), then removes it and its /etc/netns directory.
e2e_ns_del() {
	local pids
	read -r -a pids <<<"$(ip netns pids "$1" 2>/dev/null | tr '\n' ' ')"
	[ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null
	for _ in $(seq 50); do
		[ -z "$(ip netns pids "$1" 2>/dev/null)" ] && break
		sleep 0.1
	done
	read -r -a pids <<<"$(ip netns pids "$1" 2>/dev/null | tr '\n' ' ')"
	[ ${#pids[@]} -eq 0 ] || kill -KILL "${pids[@]}" 2>/dev/null
	ip netns del "$1" 2>/dev/null
	rm -rf "/etc/netns/$1"
}

e2e_cleanup() {
	local pid ns
	# Whatever read our output may be gone already (a pipe to tail, say);
	# the cleanup must get to its end all the same.
	trap '' PIPE
	for pid in "${E2E_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	for ns in "${E2E_MORE_NS[@]}"; do e2e_ns_del "$ns"; done
	[ -z "$E2E_NS" ] || e2e_ns_del "$E2E_NS"
	[ -z "$E2E_NETNS_DIR" ] || rm -rf "$E2E_NETNS_DIR"
	# Made by us when it was missing; left alone when others use it.
	rmdir /etc/netns 2>/dev/null
	if [ -n "$E2E_DIR" ]; then
		if [ "${E2E_KEEP:-0}" = 1 ]; then
			echo "kept $E2E_DIR"
		else
			rm -rf "$E2E_DIR"
		fi
	fi
}

# e2e_setup TAG
e2e_setup() {
	[ "$(id -u)" -eq 0 ] || { echo "needs root"; exit 1; }
	local tool
	for tool in runall-os-test runqemuos start-tun-interface update-dynamic-hosts; do
		[ -x "$E2E_BUILD/$tool" ] || { echo "$E2E_BUILD/$tool is not built (make)"; exit 1; }
	done
	E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/runall-e2e-$1.XXXXXX")
	trap e2e_cleanup EXIT
	trap 'exit 130' INT TERM HUP
	chmod 755 "$E2E_DIR"
	E2E_NS=runall-e2e-$1-$$
	ip netns add "$E2E_NS" || { E2E_NS=''; fail "ip netns add"; }
	ip -n "$E2E_NS" link set lo up
	E2E_NETNS_DIR=/etc/netns/$E2E_NS
	mkdir -p "$E2E_NETNS_DIR"
	printf '127.0.0.1\tlocalhost\n' >"$E2E_NETNS_DIR/hosts"

	local d=$E2E_DIR
	mkdir -p "$d/hostnames" "$d/launch" "$d/images" "$d/run" "$d/logs" \
		"$d/share/common-ro/.runall" "$d/share/common-rw" "$d/ssh"
	E2E_CONF=$d/runall.conf
	E2E_GUESTS=$d/guests
	E2E_KEY=$d/ssh/id_ed25519
	E2E_LOGS=$d/logs
	cat >"$E2E_CONF" <<EOF
# settings of an end-to-end test: every directory under $d
hosts_file = /etc/hosts
hostname_dir = $d/hostnames
launch_dir = $d/launch
image_dir = $d/images
run_dir = $d/run
guests_file = $E2E_GUESTS
common_ro_host = $d/share/common-ro
common_rw_host = $d/share/common-rw
rw_host_base = $d/share
known_hosts = $d/ssh/known_hosts
dns = 192.0.2.53
start_timeout = 120
stop_timeout = 30
# The same emulation on every machine, with KVM or without;
# runall_os_test_accel.sh tests accel = auto.
accel = tcg
EOF
	# start-tun-interface and update-dynamic-hosts take settings only from
	# a root-owned file nobody else may write.
	chmod 0644 "$E2E_CONF"
	: >"$E2E_GUESTS"
	ssh-keygen -q -t ed25519 -N '' -C runall-e2e -f "$E2E_KEY" || fail "ssh-keygen"
	cp "$E2E_KEY.pub" "$d/share/common-ro/.runall/authorized_keys"
}

# e2e_host TAG: one more network namespace, E2E_HOST_NS, standing for
# another host that shares the guest config, images, shares and key of
# e2e_setup: its own hosts file (/etc/netns/E2E_HOST_NS/hosts), settings
# (E2E_HOST_CONF) and the directories of one host's runs (hostname files,
# launch files, DHCP pid files, logs in E2E_HOST_LOGS, known_hosts), under
# $E2E_DIR/TAG. Removed at exit with the rest.
e2e_host() {
	local d=$E2E_DIR/$1
	E2E_HOST_NS=$E2E_NS-$1
	ip netns add "$E2E_HOST_NS" || fail "ip netns add $E2E_HOST_NS"
	E2E_MORE_NS+=("$E2E_HOST_NS")
	ip -n "$E2E_HOST_NS" link set lo up
	mkdir -p "/etc/netns/$E2E_HOST_NS"
	printf '127.0.0.1\tlocalhost\n' >"/etc/netns/$E2E_HOST_NS/hosts"
	mkdir -p "$d/hostnames" "$d/launch" "$d/run" "$d/logs" "$d/ssh"
	E2E_HOST_CONF=$d/runall.conf
	# shellcheck disable=SC2034 # for the test that sourced this file
	E2E_HOST_LOGS=$d/logs
	sed -e "s|^hostname_dir = .*|hostname_dir = $d/hostnames|" \
		-e "s|^launch_dir = .*|launch_dir = $d/launch|" \
		-e "s|^run_dir = .*|run_dir = $d/run|" \
		-e "s|^known_hosts = .*|known_hosts = $d/ssh/known_hosts|" \
		"$E2E_CONF" >"$E2E_HOST_CONF"
	chmod 0644 "$E2E_HOST_CONF"
}

# e2e_guest NAME ARCH [START_TIMEOUT [STOP_TIMEOUT [KERNEL-PARAMETERS
# [RECORD-LINES]]]]: appends a record for the test guest of ARCH (built by
# tests/guest/build-guest, cached) to the guest config, with an empty image
# of its own for runqemuos to lock (the guest itself runs from its
# initramfs, which with its kernel is linked or copied into the images
# directory). RECORD-LINES are more lines of the record ("nic = none").
e2e_guest() {
	local name=$1 arch=$2 start=${3:-120} stop=${4:-30} extra=${5:-} lines=${6:-}
	local env_out
	env_out=$("$E2E_TOP/tests/guest/build-guest" "$arch") || fail "build-guest $arch"
	local GUEST_KERNEL='' GUEST_INITRD='' GUEST_MACHINE_ARGS='' GUEST_CMDLINE=''
	eval "$(printf '%s\n' "$env_out" | grep -E '^GUEST_(KERNEL|INITRD|MACHINE_ARGS|CMDLINE)=')"
	truncate -s 1M "$E2E_DIR/images/$name.img"
	local f
	for f in kernel initrd; do
		local from=GUEST_${f^^} to=$E2E_DIR/images/$name.$f
		ln -f "${!from}" "$to" 2>/dev/null || cp "${!from}" "$to" || fail "staging $f"
		chmod 0644 "$to"
		printf -v "$from" '%s' "$to"
	done
	{
		printf '\n# %s test guest (tests/guest/build-guest %s)\n' "$arch" "$arch"
		printf '%s %s.img %s %s 256\n' "$name" "$name" "$start" "$stop"
		printf 'arch = %s\nshare = 9p\ndisplay = none\n' "$arch"
		[ -z "$lines" ] || printf '%s\n' "$lines"
		printf '%s\n' "-nodefaults -no-user-config -no-reboot -smp 1" "-serial stdio" \
			"$GUEST_MACHINE_ARGS" "-kernel $GUEST_KERNEL" "-initrd $GUEST_INITRD"
		printf -- '-append "%s runall.user=root:0:0 runall.hostos=runall-host %s"\n' \
			"$GUEST_CMDLINE" "$extra"
	} >>"$E2E_GUESTS"
}

# e2e_stage_tools: copies of runall-os-test and runqemuos (which the driver
# runs from beside itself) in $E2E_BIN, for a test that runs them as
# another user.
e2e_stage_tools() {
	E2E_BIN=$E2E_DIR/bin
	mkdir -p "$E2E_BIN"
	chmod 0755 "$E2E_BIN"
	local t
	for t in runall-os-test runqemuos; do
		install -m 0755 "$E2E_BUILD/$t" "$E2E_BIN/$t" || fail "staging $t"
	done
}

# e2e_run ARGS...: runall-os-test in the namespace with the test's settings,
# key and log directory.
e2e_run() {
	ip netns exec "$E2E_NS" "$E2E_BUILD/runall-os-test" -C "$E2E_CONF" \
		-i "$E2E_KEY" --log-dir "$E2E_LOGS" "$@"
}

# The QEMU processes in the namespace.
e2e_qemu_pids() {
	local pid
	for pid in $(ip netns pids "$E2E_NS" 2>/dev/null); do
		case $(cat "/proc/$pid/comm" 2>/dev/null) in
			qemu-system*) echo "$pid" ;;
		esac
	done
}

# e2e_wait_gone PID [SECONDS]
e2e_wait_gone() {
	for _ in $(seq $((${2:-10} * 20))); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.05
	done
	return 1
}

# e2e_result OUTPUT HOST: the RESULT column of HOST in a summary table.
e2e_result() {
	grep -m1 "^$2 " "$1" | sed -E 's/^[^ ]+ +//; s/  .*//'
}
