#!/bin/sh
# Suite `examples` (what `make run` shows, and the last suite of `make
# check`): loads Lunatik's modules (with its probe module, for kprobe.lua)
# and luasync.ko, shows them loaded and luasync's luaopen_* exports, runs
# every lua/examples/*.lua inside Lunatik and prints what it printed, then
# unloads luasync.ko. An example passes when it returns; each asserts its
# outcome, so a wrong behaviour raises. Runs in the guest (busybox sh),
# prints TAP.
#
# Last in any list of suites: the examples make runtimes from a script
# (lunatik.runtime), on which the debug kernel's lockdep reports a known
# Lunatik defect (tests/known/lunatik-defects) and turns itself off.

here=$(pwd)
n=0
pass() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { n=$((n + 1)); echo "not ok $n - $*"; }
diag() { sed 's/^/# /'; }

echo "# kernel $(uname -r), $(nproc) CPUs"

# shellcheck source=tests/lunatik/lunatik.sh
. "$here/../lunatik/lunatik.sh"
LUNATIK_MODULES="$LUNATIK_MODULES luaprobe"
if out=$(lunatik_load); then
    pass "Lunatik loaded ($LUNATIK_MODULES)"
else
    fail "Lunatik loaded"
    echo "$out" | diag
fi

if out=$(insmod "$MODDIR/luasync.ko" 2>&1); then
    pass "insmod luasync.ko"
else
    fail "insmod luasync.ko"
    echo "$out" | diag
    exit 1
fi
echo "# lsmod:"
lsmod | diag
echo "# the kernel log of the load:"
dmesg | grep 'luasync' | tail -n 3 | diag
echo "# /proc/kallsyms:"
exports=$(grep -E '[[:space:]]luaopen_(completion|mutex|semaphore|channel|waitany|condition|rwsem)([[:space:]]|$)' /proc/kallsyms)
echo "$exports" | diag
if [ "$(echo "$exports" | grep -c luaopen_)" = 7 ]; then
    pass "luaopen_completion, _mutex, _semaphore, _channel, _waitany, _condition and _rwsem are in the kernel"
else
    fail "luaopen_completion, _mutex, _semaphore, _channel, _waitany, _condition and _rwsem are in the kernel"
fi

examples=
for f in "$here"/../../lua/examples/*.lua; do
    [ -f "$f" ] && examples="$examples $f"
done
if [ -z "$examples" ]; then
    fail "no Lua examples in lua/examples/"
else
    for f in $examples; do
        name=lua/examples/$(basename "$f")
        echo "# ---- $name"
        if lunatik_exec "$f" "$name" plain 60 >/tmp/example-out; then
            grep -v "^$LUNATIK_MARKER" /tmp/example-out | diag
            pass "$name"
        else
            diag </tmp/example-out
            fail "$name"
        fi
    done
fi

# Each example ran in a runtime of its own, stopped since: nothing holds the
# module any more.
if out=$(rmmod luasync 2>&1); then
    pass "rmmod luasync"
else
    fail "rmmod luasync"
    echo "$out" | diag
fi
