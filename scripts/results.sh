#!/usr/bin/env bash
# Reads what the guest reported on its results port, prints every line, adds
# the host's own verdicts (missing results, a suite or a guest that did not
# finish, the kernel log check), and closes with `N passed, N failed`
# (`, N skipped` when some were). Exits non-zero when anything failed, when
# the guest never reported, or when nothing passed.
#
#   scripts/results.sh RESULTS CONSOLE.log [TIMED_OUT]
#
# Accepted from a suite (TAP/KTAP): `ok N - name`, `ok N name`,
# `not ok N ...`, a `# SKIP` directive, `# ...` diagnostics, and a plan
# `1..N` (results it promised but did not print count as failed). Indented
# lines (KTAP subtests) are shown but not counted: their parent's line is.
# With REQUIRE_PASS=0 (the bench, which reports no tests) a run without a
# single pass is not a failure by itself.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

usage="usage: results.sh RESULTS CONSOLE.log [TIMED_OUT]"
results=${1:?$usage}
log=${2:?$usage}
timed_out=${3:-0}
require_pass=${REQUIRE_PASS:-1}

counts=$(mktemp)
trap 'rm -f "$counts"' EXIT

{ if [ -f "$results" ]; then tr -d '\r' <"$results"; fi; } | awk -v timed_out="$timed_out" -v counts="$counts" '
function fail(msg) { failed++; print "not ok - " msg }
function close_suite(status) {
    if (plan > 0 && seen < plan)
        fail(suite ": " plan - seen " of its " plan " planned results missing")
    if (status != 0 && suite_failed == 0)
        fail(suite ": run.sh exited with status " status)
    suite = ""
}
/^# suite: / {
    if (suite != "") fail(suite ": did not finish")
    suite = substr($0, 10); seen = 0; plan = 0; suite_failed = 0
    print "# ---- suite " suite
    next
}
/^# suite-end: / {
    n = split(substr($0, 14), f, " ")
    if (suite != "") close_suite(n >= 2 ? f[2] + 0 : 1)
    next
}
/^luasync-guest-exit: / { exited = 1; next }
/^(not )?ok([ \t]|$)/ {
    print
    seen++
    if ($0 ~ /#[ \t]*[Ss][Kk][Ii][Pp]/) skipped++
    else if ($0 ~ /^not /) { failed++; suite_failed++ }
    else passed++
    next
}
/^1\.\.[0-9]+/ { plan = substr($0, 4) + 0; print; next }
{ print }
END {
    if (suite != "")
        fail(suite ": did not finish")
    if (!exited) {
        if (timed_out) fail("the guest did not report before the hard timeout")
        else fail("the guest stopped without reporting (see the kernel log)")
    }
    printf "%d %d %d\n", passed, failed, skipped > counts
}'
read -r passed failed skipped <"$counts"

suite_passed=$passed

# The kernel log is one more check of the run.
# Known Lunatik defects (tests/known/lunatik-defects) are named, not counted.
if reason=$(bash "$here/check-log.sh" "$log"); then
    printf '%s\n' "$reason" | grep '^known Lunatik defect: ' | sed 's/^/# /' || true
    echo "ok - kernel log: no oops, BUG, WARNING, lockdep, KASAN or kmemleak report of luasync's"
    passed=$((passed + 1))
else
    echo "not ok - kernel log ($log)"
    printf '%s\n' "$reason" | sed 's/^/# /'
    failed=$((failed + 1))
fi

if [ "$require_pass" = 1 ] && [ "$suite_passed" = 0 ]; then
    echo "not ok - no suite result passed: nothing was tested"
    failed=$((failed + 1))
fi

line="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && line="$line, $skipped skipped"
echo "$line"
[ "$failed" = 0 ]
