# The JUnit XML runall-os-test writes validates against the schema CI
# servers read (tests/junit/junit.xsd), with every kind of result and
# output holding markup, escapes, NUL and invalid UTF-8.
set -eu
cd "$RUNALL_TOP"
command -v xmllint >/dev/null || { echo "FAIL: xmllint (libxml2-utils) is not installed"; exit 1; }
sample=build/tests/junit-sample
[ -x "$sample" ] || { echo "FAIL: $sample is not built"; exit 1; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$sample" >"$out"
xmllint --noout --schema tests/junit/junit.xsd "$out"
grep -q '<testcase name="guest-4&lt;&amp;&gt;"' "$out" || { echo "FAIL: no escaped testcase"; exit 1; }
echo "junit: valid"
