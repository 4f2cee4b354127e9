#!/bin/bash
# shellcheck disable=SC1091,SC2016,SC2034 # sudo_stage.bash is linted on its own; the stage script is written out unexpanded; NS_TAG is read by ns_helpers.bash
# A member of the group cannot stop another's runqemuos by making its
# hostname file's name in advance. hostname_dir is shared (root:runall
# 1770), so bob can create files there for pids that are still to come:
# the article's HOSTNAMEDIR/<pid> and the temporary name runqemuos used to
# write it through (.<pid>.<pid>.tmp), for every pid alice's runqemuos may
# get. alice's runqemuos (in a fresh pid namespace, so its pid is among
# those planted) still starts her guest: it writes HOSTNAMEDIR/<pid>.<8
# random letters or digits>, hers, mode 0644, holding the hostname, and
# leaves bob's files as they were - it neither opens nor follows them.
# On the code before this change it exited 111: "File exists".
NS_TAG=rqhnpre
# shellcheck source=tests/root/sudo_stage.bash
. "$RUNALL_TOP/tests/root/sudo_stage.bash"
[ -x "$BUILD/tests/fake-qemu" ] || fail "build the test tools first (make test-programs)"
command -v unshare >/dev/null || fail "unshare is not installed"
NS=runall-rqhnpre-$$
make_ns "$NS"
A=$TMP/home-alice
mkdir "$A/launch"
truncate -s 1M "$A/g.img"
chown -R 61001:61000 "$A"
# The pids planted for: a fresh pid namespace starts at 1.
PLANTED=400
export NS A PLANTED

cat >"$TMP/plant.sh" <<'EOF'
#!/bin/bash
# As bob: the names alice's next runqemuos would use, and a symlink, each
# holding (or pointing at) something of bob's.
cd "$1" || exit 1
for p in $(seq "$2"); do
	echo bob >"$p" && echo bob >".$p.$p.tmp" && ln -s /etc/shadow "$p.tmp" || exit 1
done
EOF
chmod 0755 "$TMP/plant.sh"

cat >"$TMP/precreated.bash" <<'EOF'
HN=$TMP/hostnames
as "$NS" bob plant "$TMP/plant.sh" "$HN" "$PLANTED"
# alice's runqemuos -b, in a pid namespace of its own; everything is looked
# at while her guest runs, as the namespace ends with its first process.
unshare --pid --fork --mount-proc bash -c '
  . "$STAGE/lib.bash"
  as "$NS" alice launch "$STAGE/bin/runqemuos" -b g1 "$1" "$A/launch" \
    "$TOOLS/fake-qemu" -drive "file=$A/g.img,format=raw" \
    -fake-report "$A/g1.rep"
  for _ in $(seq 100); do [ -e "$A/g1.rep" ] && break; sleep 0.1; done
  find "$1" -mindepth 1 -user 61001 -printf "%f %m %s\n" >"$TMP/alice.files"
  for f in "$1"/*; do
    [ "$(stat -c %U "$f")" = alice ] && cat "$f" >>"$TMP/alice.content"
  done
  cat "$A/launch/g1" >"$TMP/launch.file" 2>&1
  find "$1" -mindepth 1 -user 61002 | wc -l >"$TMP/bob.count"
  find "$1" -mindepth 1 -user 61002 -type f -exec cat {} + | sort | uniq -c >"$TMP/bob.content"
' _ "$HN"
EOF
stage_run "$TMP/precreated.bash"

ok() { echo "ok: $*"; }
[ "$(rc plant)" = 0 ] || fail "bob could not plant his files: $(out plant)"
[ "$(rc launch)" = 0 ] || fail "alice's runqemuos: exit $(rc launch): $(out launch)"
pid=$(head -n 1 "$TMP/launch.log")
if ! [[ $pid =~ ^[0-9]+$ ]] || [ "$pid" -gt "$PLANTED" ]; then
  fail "alice's guest has pid '$pid', not one bob planted for: the test is void"
fi
[ "$(sed -n 's/^pid=//p' "$A/g1.rep")" = "$pid" ] || fail "the guest did not start as pid $pid"
[ "$(cat "$TMP/launch.file")" = "$pid" ] || fail "launch file: $(cat "$TMP/launch.file")"
# Her one hostname file: <pid>.<8 letters or digits>, 0644, the hostname.
[ "$(wc -l <"$TMP/alice.files")" = 1 ] || fail "alice's files in hostname_dir: $(cat "$TMP/alice.files")"
read -r name mode _ <"$TMP/alice.files"
[[ $name =~ ^$pid\.[A-Za-z0-9]{8}$ ]] || fail "alice's hostname file is named '$name'"
[ "$mode" = 644 ] || fail "alice's hostname file $name has mode $mode"
[ "$(cat "$TMP/alice.content")" = g1 ] || fail "alice's hostname file holds '$(cat "$TMP/alice.content")'"
ok "pid $pid, planted for by bob: alice's guest started, hostname file $name"
# bob's files: all there, all his, all as he wrote them.
[ "$(cat "$TMP/bob.count")" = $((PLANTED * 3)) ] ||
  fail "bob's files: $(cat "$TMP/bob.count") of $((PLANTED * 3))"
[ "$(awk '{ print $1, $2 }' "$TMP/bob.content")" = "$((PLANTED * 2)) bob" ] ||
  fail "bob's files were changed: $(cat "$TMP/bob.content")"
ok "bob's $((PLANTED * 3)) files left as they were"
echo PASS
