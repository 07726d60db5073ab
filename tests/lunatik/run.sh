#!/bin/sh
# Suite `lunatik`: the Lua contract suite (tests/lua/*.lua) and the
# kernel-only cases (tests/lunatik/*.lua) run inside Lunatik, with luasync.ko
# providing completion, mutex and semaphore. Runs in the guest (busybox sh).
#
# Every tests/lua/*.lua is a case
# file; in tests/lunatik/, a case file is one that takes its env as the
# chunk's argument (a line `local env = ...`), the others being support
# scripts (env.lua, worker.lua, ...), which the VM has as the Lua modules
# luasync.lunatik.NAME. Each case file runs with the env of tests/lua/README
# (see lunatik.sh) and prints TAP; its results are renumbered into this
# suite's stream as "FILE: name". A file fails as a whole when it raises,
# leaves spawned threads running, does not finish within
# LUNATIK_FILE_TIMEOUT seconds, prints no result, or prints fewer results
# than its plan.

here=$(pwd)
files=
support=
for f in "$here"/../lua/*.lua; do
    [ -f "$f" ] && files="$files $f"
done
for f in "$here"/*.lua; do
    [ -f "$f" ] || continue
    if grep -q '^local env = \.\.\.' "$f"; then
        files="$files $f"
    else
        support="${support:+$support }$(basename "$f")"
    fi
done
timeout_s=${LUNATIK_FILE_TIMEOUT:-300}

n=0
pass() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { n=$((n + 1)); echo "not ok $n - $*"; }
diag() { sed 's/^/# /'; }
# tests/lua/x.lua or tests/lunatik/y.lua
label() { echo "tests/$(basename "$(dirname "$1")")/$(basename "$1")"; }

# shellcheck source=tests/lunatik/lunatik.sh
. "$here/lunatik.sh"

echo "# support scripts, not run as cases: ${support:-none}"

if out=$(lunatik_load); then
    pass "Lunatik's modules load ($LUNATIK_MODULES)"
else
    fail "Lunatik's modules load"
    echo "$out" | diag
    exit 1
fi
if grep -q '^luacompletion ' /proc/modules; then
    fail "Lunatik's own completion module is not loaded"
else
    pass "Lunatik's own completion module is not loaded"
fi
if out=$(insmod "$MODDIR/luasync.ko" 2>&1); then
    pass "insmod luasync.ko after Lunatik"
else
    fail "insmod luasync.ko after Lunatik"
    echo "$out" | diag
    exit 1
fi

[ -n "$files" ] || fail "no Lua files in tests/lua/ or tests/lunatik/"

for f in $files; do
    name=$(label "$f")
    start=$(date +%s)
    lunatik_exec "$f" "$name" env "$timeout_s" >/tmp/lunatik-out
    status=$?
    echo "# $name ran $(($(date +%s) - start)) s"
    lunatik_results /tmp/lunatik-out "$name" "$status" "$name: "
done

# Every object and every runtime that opened a luasync library holds a
# reference on luasync.ko. Each file ran in a runtime of its own, stopped
# since: the module unloads only if nothing was left behind.
if out=$(rmmod luasync 2>&1); then
    pass "rmmod luasync (no object left alive)"
else
    fail "rmmod luasync (no object left alive)"
    echo "$out" | diag
fi
