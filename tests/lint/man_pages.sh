# Every man page is mdoc that mandoc's linter passes at warning level, and
# every tool the Makefile builds has a man page and answers --help.
set -u
cd "$RUNALL_TOP" || exit 1
status=0
pages=$(ls man/*.[1-8] 2>/dev/null)
[ -n "$pages" ] || { echo "no man pages"; exit 1; }
for page in $pages; do
	if ! out=$(mandoc -Tlint -W warning "$page" 2>&1) || [ -n "$out" ]; then
		echo "$page: mandoc -Tlint:"; echo "$out"; status=1
	fi
done
for tool in start-tun-interface update-dynamic-hosts runqemuos runall-os-test; do
	[ -f "src/$tool.cpp" ] || continue
	if ! ls "man/$tool".[1-8] >/dev/null 2>&1; then
		echo "$tool: no man page"; status=1
	fi
	if ! "$RUNALL_BUILD/$tool" --help >/tmp/runall-help.$$ 2>&1; then
		echo "$tool --help: non-zero exit"; status=1
	elif ! grep -qi usage /tmp/runall-help.$$; then
		echo "$tool --help: no usage line"; status=1
	fi
	rm -f /tmp/runall-help.$$
done
exit $status
