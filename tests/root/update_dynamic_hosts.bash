# Shared by tests/root/update_dynamic_hosts_*.sh (sourced; not a test itself).
#
# Makes a private temporary directory $T holding a test hosts file, the
# settings that point the tool at it, and the two pieces the checker
# (build/tests/hosts_reader) compares every read with: $T/prefix (the static
# part, ending with ##STARTDYNAMIC) and $T/suffix (##ENDDYNAMIC and the
# static lines after it). The real /etc/hosts is never touched.
set -u
# shellcheck disable=SC1091
if [ -f "$RUNALL_TOP/tests/lib.sh" ]; then source "$RUNALL_TOP/tests/lib.sh"; fi
UDH=$RUNALL_BUILD/update-dynamic-hosts
READER=$RUNALL_BUILD/tests/hosts_reader

fail() { echo "FAIL: $*" >&2; exit 1; }
say() { echo "== $*"; }

[ -x "$UDH" ] || fail "$UDH is not built (run make)"
if [ ! -x "$READER" ]; then
  make -s -C "$RUNALL_TOP" build/tests/hosts_reader >&2 ||
    fail "cannot build build/tests/hosts_reader"
fi

T=$(mktemp -d /tmp/udh-test.XXXXXX) || exit 111
UDH_PIDS=()
udh_cleanup() {
  local p
  for p in "${UDH_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  if declare -F udh_before_cleanup >/dev/null; then udh_before_cleanup; fi
  rm -rf "$T"
}
trap udh_cleanup EXIT

# udh_setup [FILLER_LINES]: writes $T/prefix, $T/suffix, $T/hosts (their
# concatenation, mode 0644), $T/guests and the settings $T/runall.conf.
udh_setup() {
  local filler=${1:-20} i
  {
    printf '127.0.0.1\tlocalhost\n'
    printf '127.0.1.1\tbuildhost.example.org buildhost\n'
    printf '# The following lines are desirable for IPv6 capable hosts\n'
    printf '::1     localhost ip6-localhost ip6-loopback\n'
    printf 'ff02::1 ip6-allnodes\nff02::2 ip6-allrouters\n\n'
    printf '10.0.0.5 server.example.org server fs   # file server\n'
    for ((i = 0; i < filler; i++)); do
      printf '10.%d.%d.%d\tstatic%d.example.org static%d\n' \
        $((i / 65536 % 256 + 1)) $((i / 256 % 256)) $((i % 256)) "$i" "$i"
    done
    printf '##STARTDYNAMIC\n'
  } >"$T/prefix"
  printf '##ENDDYNAMIC\n# after the section\n192.168.7.7 late-static\n' \
    >"$T/suffix"
  cat "$T/prefix" "$T/suffix" >"$T/hosts"
  chmod 0644 "$T/hosts"
  printf 'hosts_file = %s\nguests_file = %s\n' "$T/hosts" "$T/guests" \
    >"$T/runall.conf"
  chmod 0644 "$T/runall.conf"
  : >"$T/guests"
  chmod 0644 "$T/guests"
}

# udh_check FILE [--in-place]: FILE is the prefix, whole guest lines, the
# suffix (and, in place, perhaps blank lines).
udh_check() {
  local file=$1; shift
  "$READER" --once "$@" "$file" "$T/prefix" "$T/suffix" >/dev/null ||
    fail "$file is not a valid hosts file"
}

# udh_guest_lines FILE: the section's lines, sorted.
udh_guest_lines() {
  sed -n '/^##STARTDYNAMIC/,/^##ENDDYNAMIC/{/^##/d;p}' "$1" | sort
}
