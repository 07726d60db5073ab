#!/usr/bin/env bash
# Adds up the closing lines ("N passed, N failed[, N skipped]") of the parts of
# a run, each given as a file holding that part's output, and prints the total
# as the run's own closing line. A part without a closing line is an error.
set -euo pipefail

passed=0 failed=0 skipped=0
for part in "$@"; do
    line=$(grep -E '^([a-z-]+: )?[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$part" | tail -n 1 || true)
    [ -n "$line" ] || { echo "luasync: no closing line in $part" >&2; exit 1; }
    read -r p f s <<<"$(echo "$line" | sed -E 's/^[a-z-]+: //; s/ passed, / /; s/ failed(, )?/ /; s/ skipped//')"
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + ${s:-0}))
done
echo "total: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
