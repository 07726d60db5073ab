#!/bin/sh
# Suite `torture`: luasync's Lua-level torture test (torture.lua, after the
# kernel's locktorture) inside Lunatik: TORTURE_THREADS kernel threads per
# class for TORTURE_S seconds. Both come from the host's environment through
# /etc/luasync.conf (see scripts/initramfs.sh); defaults 4 and 30. Runs in
# the guest (busybox sh).
#
# Results: Lunatik and luasync load; the torture's own results, renumbered
# into this suite, with its statistics as diagnostics; the file finishing in
# time with its whole plan; luasync unloading afterwards (nothing of the run
# left alive).

here=$(pwd)

conf() { sed -n "s/^$1=//p" /etc/luasync.conf 2>/dev/null; }
threads=$(conf TORTURE_THREADS)
seconds=$(conf TORTURE_S)
threads=${threads:-4}
seconds=${seconds:-30}
# torture.lua reads them here (tests/lua/README's env has no parameters).
printf 'threads %s\nseconds %s\n' "$threads" "$seconds" >/tmp/torture-params
# Starting the workers, the wait for progress after the run and stopping
# them take minutes at most on the debug kernel under TCG.
limit=$((seconds + 600))

n=0
pass() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { n=$((n + 1)); echo "not ok $n - $*"; }
diag() { sed 's/^/# /'; }

# shellcheck source=tests/lunatik/lunatik.sh
. "$here/../lunatik/lunatik.sh"

if [ "$threads" -lt 1 ]; then
    fail "TORTURE_THREADS=$threads: at least one thread per class"
    exit 1
fi

if out=$(lunatik_load); then
    pass "Lunatik's modules load ($LUNATIK_MODULES)"
else
    fail "Lunatik's modules load"
    echo "$out" | diag
    exit 1
fi
if grep -q '^luasync ' /proc/modules; then
    # An earlier suite left it loaded (that suite reports it): use it.
    echo "# luasync.ko is loaded already"
elif out=$(insmod "$MODDIR/luasync.ko" 2>&1); then
    pass "insmod luasync.ko after Lunatik"
else
    fail "insmod luasync.ko after Lunatik"
    echo "$out" | diag
    exit 1
fi

name=tests/torture/torture.lua
start=$(date +%s)
lunatik_exec "$here/torture.lua" "$name" env "$limit" >/tmp/torture-out
status=$?
echo "# $name ran $(($(date +%s) - start)) s (TORTURE_THREADS=$threads TORTURE_S=$seconds)"
lunatik_results /tmp/torture-out "$name" "$status" ""

# Every worker's runtime was stopped and every object dropped: the module
# unloads only if nothing was left behind.
if out=$(rmmod luasync 2>&1); then
    pass "rmmod luasync (no object left alive)"
else
    fail "rmmod luasync (no object left alive)"
    echo "$out" | diag
fi
