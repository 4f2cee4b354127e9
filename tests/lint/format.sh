# Every C++ file is in the tree's style (.clang-format): a change that is
# not fails here with the lines clang-format would change; `make format`
# fixes them.
set -eu
cd "$RUNALL_TOP"
command -v clang-format >/dev/null ||
	{ echo "FAIL: clang-format is not installed (tests/install-deps installs it)"; exit 1; }
if ! make -s --no-print-directory format-check; then
	echo "FAIL: the files above are not formatted (run make format)"
	exit 1
fi
