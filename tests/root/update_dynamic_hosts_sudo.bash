#!/bin/bash
# Shared by tests/root/update_dynamic_hosts_sudo_*.sh (sourced, never run;
# the line above tells the linters the shell): the sudo stage of
# sudo_stage.bash (alice and bob in the group, mallory outside it, the
# installed helpers through real sudo), a hosts file with a static part and
# an empty dynamic section, and a network namespace $NS for the taps.
#
#   NS_TAG=xyz; . "$RUNALL_TOP/tests/root/update_dynamic_hosts_sudo.bash"
#
# Besides what sudo_stage.bash gives, a test then has:
#   $NS, $NS2       two network namespaces (exported, for the stage)
#   $STATIC         the hosts file's static part (the file is that plus
#                   "##STARTDYNAMIC\n##ENDDYNAMIC\n")
#   conf LINE...    the stage's settings plus LINE..., for the next stage_run
# in the stage's scripts ($STAGE/udh.bash is sourced for them):
#   $UDH, $STI      the installed update-dynamic-hosts and start-tun-interface
#   try NS USER NAME CMD...   `as` (sudo_stage.bash), keeping the hosts file
#                   as it was before and after in $TMP/NAME.before, .after
#   as_root NS NAME CMD...    CMD as root itself (no sudo) in NS, like `as`
# and after the stage:
#   refused NAME CODE TEXT    NAME exited CODE, said TEXT (fixed string),
#                   and left every byte of the hosts file as it was
#   done_ok NAME              NAME exited 0
#   section                   the dynamic section's lines
# shellcheck disable=SC1091 # sudo_stage.bash is linted on its own
. "$RUNALL_TOP/tests/root/sudo_stage.bash"

NS=udh$$${NS_TAG}a NS2=udh$$${NS_TAG}b
export NS NS2 HOSTS HN_DIR
make_ns "$NS"
make_ns "$NS2"

STATIC=$(printf '127.0.0.1\tlocalhost\n10.0.0.5\tserver fs\n# guests:')
printf '%s\n##STARTDYNAMIC\n##ENDDYNAMIC\n' "$STATIC" >"$HOSTS"
chmod 0644 "$HOSTS"
cp "$STAGE/runall.conf" "$STAGE/runall.conf.base"

conf() {
  { cat "$STAGE/runall.conf.base"; printf '%s\n' "$@"; } >"$STAGE/runall.conf"
}

cat >"$STAGE/udh.bash" <<'LIB'
UDH=$SBIN/update-dynamic-hosts
STI=$SBIN/start-tun-interface
# The stage's own root must not pass for a sudo user.
unset SUDO_UID SUDO_GID SUDO_USER SUDO_COMMAND
try() {
  cp "$HOSTS" "$TMP/$3.before"
  as "$@"
  cp "$HOSTS" "$TMP/$3.after"
}
as_root() {
  local ns=$1 name=$2
  shift 2
  ip netns exec "$ns" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@" \
    >"$TMP/$name.log" 2>&1 </dev/null
  echo $? >"$TMP/$name.rc"
}
LIB
chmod 0644 "$STAGE/udh.bash"

refused() {
  local name=$1 code=$2 text=$3
  [ "$(rc "$name")" = "$code" ] ||
    fail "$name: exit $(rc "$name"), not $code: $(out "$name")"
  grep -qF -- "$text" "$TMP/$name.log" ||
    fail "$name: no \"$text\" in: $(out "$name")"
  cmp -s "$TMP/$name.before" "$TMP/$name.after" ||
    fail "$name changed the hosts file: $(diff "$TMP/$name.before" "$TMP/$name.after")"
}

done_ok() {
  [ "$(rc "$1")" = 0 ] || fail "$1: exit $(rc "$1"): $(out "$1")"
}

section() {
  sed -n '/^##STARTDYNAMIC/,/^##ENDDYNAMIC/{/^##/d;p}' "$HOSTS"
}
