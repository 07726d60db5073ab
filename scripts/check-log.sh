#!/usr/bin/env bash
# Reads a test VM's console log and fails when the kernel reported a problem:
# an oops, BUG or WARNING, a call trace, a panic, a lockdep, KASAN, UBSAN or
# kmemleak report, a stall or a hung task. Prints the offending lines (at most
# 40) and the first report in full (20 lines) as the reason.
#
#   scripts/check-log.sh CONSOLE.log
set -euo pipefail

log=${1:?usage: check-log.sh CONSOLE.log}
[ -f "$log" ] || { echo "no console log $log"; exit 1; }

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

strip() { tr -d '\r' <"$log"; }
regex=$(IFS='|'; echo "${patterns[*]}")
ok=$(IFS='|'; echo "${benign[*]}")
found=$(strip | grep -n -E -e "$regex" | grep -v -E -e "$ok" || true)
if [ -n "$found" ]; then
    n=$(printf '%s\n' "$found" | wc -l)
    echo "the kernel log $log reports $n problem line(s):"
    printf '%s\n' "$found" | cut -d: -f2- | head -n 40 | sed 's/^/    /'
    first=$(printf '%s\n' "$found" | head -n 1 | cut -d: -f1)
    echo "the first report, from line $first:"
    strip | sed -n "${first},$((first + 19))p" | sed 's/^/    /'
    exit 1
fi
