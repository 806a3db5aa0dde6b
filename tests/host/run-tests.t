#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# scripts/run-tests keeps every test's output and, when something fails,
# repeats the failed results and the failed tests' stderr after prove's
# summary; a passing run adds nothing.
. "$(dirname "$0")/../lib/tap.sh"
run_tests=$(cd "$(dirname "$0")/../.." && pwd)/scripts/run-tests
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/good.t" <<'EOF'
#!/bin/sh
echo "ok 1 - fine"
echo "a diagnostic on stderr" >&2
echo "1..1"
EOF
cat >"$tmp/bad.t" <<'EOF'
#!/bin/sh
echo "ok 1 - fine"
echo "not ok 2 - broken thing"
echo "the reason it broke" >&2
echo "1..2"
exit 1
EOF
cat >"$tmp/guest.t" <<'EOF'
#!/bin/sh
echo "ok 1 - fine"
echo "vm-run: 'x' exited 6; the guest kernel said:" >&2
echo "  | WARNING: something" >&2
echo "later stderr" >&2
echo "not ok 2 - vm-run x exited 6"
echo "1..2"
exit 1
EOF
# cmocka's forms: a skip, a failure (its "not ok N - name")
cat >"$tmp/cmocka.t" <<'EOF'
#!/bin/sh
echo "1..2"
echo "not ok 1 # SKIP no transparent huge pages here"
echo "ok 2 - works"
EOF
cat >"$tmp/cmocka-fail.t" <<'EOF'
#!/bin/sh
echo "1..2"
echo "not ok 1 - breaks # SKIP not really"
echo "not ok 2 # SKIP but exits 3"
exit 3
EOF
chmod +x "$tmp"/*.t

# LOGDIR is removed and made anew: a test given first by mistake, or a
# directory holding anything but logs, is refused and left as it was
cp "$tmp/good.t" "$tmp/keep.t"
out=$("$run_tests" "$tmp/keep.t" "$tmp/good.t" 2>&1)
is "$?:$(cmp "$tmp/good.t" "$tmp/keep.t" && echo intact)" 2:intact "a file as LOGDIR: exit 2, the file intact"
says() {	# says NAME TEXT: $out holds TEXT
	if echo "$out" | grep -qF "$2"; then pass "$1"; else fail "$1" "$out"; fi
}
says "  ... saying why" "LOGDIR '$tmp/keep.t' is not a directory: not removed"
mkdir "$tmp/src"
cp "$tmp/good.t" "$tmp/src/x.t"
out=$("$run_tests" "$tmp/src" "$tmp/good.t" 2>&1)
is "$?:$(ls "$tmp/src")" 2:x.t "a directory holding other files as LOGDIR: exit 2, nothing removed"
says "  ... naming what it holds" "holds '$tmp/src/x.t', not only logs: not removed"

out=$("$run_tests" "$tmp/logs" "$tmp/good.t" 2>&1)
is "$?" 0 "a passing run exits 0"
check "and reports no details" sh -c "! echo '$out' | grep -q 'details of the failed'"
check "the test's stdout and stderr are kept" \
	sh -c "grep -q '^ok 1 - fine' '$tmp/logs/${tmp//\//_}_good.t.log' &&
	       grep -q 'a diagnostic on stderr' '$tmp/logs/${tmp//\//_}_good.t.log'"

out=$("$run_tests" "$tmp/logs" "$tmp/good.t" "$tmp/bad.t" "$tmp/guest.t" 2>/dev/null)
is "$?" 1 "a failing run exits as prove did (1)"
details=$(echo "$out" | sed -n '/details of the failed tests/,$p')
check "the details come after prove's summary" \
	sh -c "echo '$out' | sed -n '/^Result: FAIL/,\$p' | grep -q 'details of the failed tests'"
check "they repeat the failed result" sh -c "echo '$details' | grep -q 'not ok 2 - broken thing'"
check "and the failed test's stderr" sh -c "echo '$details' | grep -q 'the reason it broke'"
check "and vm-run's lines before later stderr" \
	sh -c "echo '$details' | grep -q 'WARNING: something' && ! echo '$details' | grep -q 'later stderr'"
check "a passing test is not in them" sh -c "! echo '$details' | grep -q 'good.t'"
is "$(grep -c '^ok 1 - fine' "$tmp/logs/${tmp//\//_}_good.t.log")" 1 \
	"each run starts new logs (good.t's holds one run)"

"$run_tests" "$tmp/logs" "$tmp/cmocka.t" >/dev/null 2>&1
is "$?" 0 "cmocka's 'not ok N # SKIP' counts as a skip"
"$run_tests" "$tmp/logs" "$tmp/cmocka-fail.t" >"$tmp/out" 2>&1
is "$?" 1 "a cmocka failure stays one, and so does the test's exit status"
check "a result named before # SKIP is not rewritten" grep -q 'not ok 1 - breaks' "$tmp/out"
is "$(cat "$tmp/logs/${tmp//\//_}_cmocka-fail.t.log.rc")" 3 "the test's own exit status is kept"

done_testing
