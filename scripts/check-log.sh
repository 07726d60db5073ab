#!/usr/bin/env bash
# Reads a test VM's console log and fails when the kernel reported a problem:
# an oops, BUG or WARNING, a call trace, a panic, a lockdep, KASAN, UBSAN or
# kmemleak report, a stall or a hung task.
#
# A report whose stack has no frame of luasync's and that matches an entry of
# tests/known/lunatik-defects is Lunatik's own known defect: it is named on
# stdout ("known Lunatik defect: TITLE (log line N)") and does not fail the
# log. Any other report fails it: the offending lines (at most 40) and the
# first such report in full (20 lines) are printed as the reason.
#
#   scripts/check-log.sh CONSOLE.log
set -euo pipefail

log=${1:?usage: check-log.sh CONSOLE.log}
[ -f "$log" ] || { echo "no console log $log"; exit 1; }
known=${KNOWN_DEFECTS:-$(cd "$(dirname "$0")/.." && pwd)/tests/known/lunatik-defects}

patterns=(
    'Oops'
    'BUG:'
    '(^|\] )BUG '                # SLUB debug: "BUG kmalloc-64 (...): ..."
    'kernel BUG'
    'WARNING:'
    'Call Trace'
    'Kernel panic'
    'general protection fault'
    'Unable to handle'
    'panicked at'                # a Rust panic
    # lockdep and the other lock debugging
    'possible circular locking'
    'possible recursive locking'
    'inconsistent lock state'
    'possible irq lock inversion'
    'suspicious RCU usage'
    'lock held when returning'
    'bad unlock balance'
    'held lock freed'
    'DEBUG_LOCKS_WARN_ON'
    'turning off the locking correctness validator'
    'lockdep'
    # memory checkers
    'KASAN'
    'UBSAN'
    'unreferenced object'
    'suspected memory leak'
    'stack-protector'
    'list_(add|del) corruption'
    # hangs
    'detected stall'
    'blocked for more than'
    'soft lockup'
    'hard LOCKUP'
)
# Boot banners that carry a watched word without being a report.
benign=(
    'RCU lockdep checking is enabled'
    'Lock dependency validator'
    'kasan: KernelAddressSanitizer initialized'
)

regex=$(IFS='|'; echo "${patterns[*]}")
ok=$(IFS='|'; echo "${benign[*]}")
known_entries=$(grep -v -e '^#' -e '^[[:space:]]*$' "$known" 2>/dev/null || true)

# awk splits the log into reports: a report starts at a watched line that is
# not inside the previous report, and ends at the end of its stack ("</TASK>",
# "---[ end trace", or, for kmemleak, the first unindented line after the
# backtrace), 200 lines at most. Each report is then known or not.
verdict=$(tr -d '\r' <"$log" | awk -v regex="$regex" -v benign="$ok" -v known="$known_entries" '
function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
BEGIN {
    nk = split(known, lines, "\n")
    for (i = 1; i <= nk; i++) {
        split(lines[i], f, "|")
        title[i] = trim(f[1]); head[i] = trim(f[2]); funcs[i] = trim(f[3])
    }
}
{ text[NR] = $0 }
END {
    n = NR; r = 0; inreport = 0
    for (i = 1; i <= n; i++) {
        line = text[i]
        if (!inreport && line ~ regex && line !~ benign) {
            # kmemleak'"'"'s summary line only announces the reports that follow.
            if (line ~ /kmemleak: [0-9]+ new suspected memory leak/) { summary[++ns] = i; continue }
            r++; start[r] = i; inreport = 1; leak = (line ~ /unreferenced object/)
            continue
        }
        if (inreport) {
            ended = 0
            if (line ~ /<\/TASK>|---\[ end trace/) ended = 1
            else if (leak && line !~ /^[ \t]/ && i > start[r]) { ended = 1; i-- }
            else if (i - start[r] >= 200) ended = 1
            if (ended) { stop[r] = i; inreport = 0 }
        }
    }
    if (inreport) stop[r] = n
    bad = 0
    for (k = 1; k <= r; k++) {
        body = ""
        for (i = start[k]; i <= stop[k]; i++) body = body "\n" text[i]
        ours = (body ~ /\[luasync\]|[ \t?]luasync_[a-z_]+\+0x|7luasync/)
        match_title = ""
        if (!ours) {
            for (e = 1; e <= nk; e++) {
                if (text[start[k]] !~ head[e]) continue
                m = split(funcs[e], fn, " "); all = 1
                for (j = 1; j <= m; j++) if (index(body, fn[j] "+0x") == 0) all = 0
                if (all) { match_title = title[e]; break }
            }
        }
        if (match_title != "") print "KNOWN " start[k] " " match_title
        else { print "BAD " start[k] " " stop[k]; bad++ }
    }
    # A leak summary with no report of its own after it is a problem too.
    if (ns > 0 && r == 0) for (s = 1; s <= ns; s++) print "BAD " summary[s] " " summary[s]
}')

bad=$(printf '%s\n' "$verdict" | grep '^BAD ' || true)
printf '%s\n' "$verdict" | sed -n 's/^KNOWN \([0-9]*\) \(.*\)/known Lunatik defect: \2 (log line \1)/p'
if [ -n "$bad" ]; then
    lines=$(printf '%s\n' "$bad" | awk '{ for (i = $2; i <= $3; i++) print i }')
    found=$(tr -d '\r' <"$log" | awk -v want="$(echo $lines)" -v regex="$regex" -v benign="$ok" '
        BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) keep[w[i]] = 1 }
        (NR in keep) && $0 ~ regex && $0 !~ benign { print NR ": " $0 }')
    n=$(printf '%s\n' "$found" | wc -l)
    echo "the kernel log $log reports $n problem line(s):"
    printf '%s\n' "$found" | cut -d: -f2- | head -n 40 | sed 's/^/    /'
    first=$(printf '%s\n' "$bad" | head -n 1 | cut -d' ' -f2)
    echo "the first report, from line $first:"
    tr -d '\r' <"$log" | sed -n "${first},$((first + 19))p" | sed 's/^/    /'
    exit 1
fi
exit 0
