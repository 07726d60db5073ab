#!/bin/sh
# Suite `unload`: luasync.ko can be unloaded exactly when nothing holds it.
#
# rmmod is refused at once (not a hang) while a runtime that opened a luasync
# library lives, and succeeds once it is stopped. Then UNLOAD_ROUNDS (100)
# rounds race the last reference's release path against rmmod: a Lua file
# makes and stops runtimes that hold luasync while the shell unloads and
# reloads the module in a loop. The kernel log must stay clean (checked by
# the host), and the module must unload at the end. Runs in the guest
# (busybox sh), prints TAP.

here=$(pwd)
# shellcheck source=tests/lunatik/lunatik.sh
. "$here/../lunatik/lunatik.sh"
ko=$MODDIR/luasync.ko
rounds=${UNLOAD_ROUNDS:-100}

n=0
pass() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { n=$((n + 1)); echo "not ok $n - $*"; }
diag() { sed 's/^/# /'; }
loaded() { grep -q '^luasync ' /proc/modules; }

echo "1..7"
if out=$(lunatik_load) && insmod "$ko"; then
    pass "Lunatik and luasync.ko load"
else
    fail "Lunatik and luasync.ko load"
    echo "$out" | diag
    exit 1
fi

if lunatik_exec "$here/refused.lua" unload/refused.lua plain 60 >/tmp/unload-out; then
    pass "a runtime opens luasync and holds one object of each class"
else
    fail "a runtime opens luasync and holds one object of each class"
    diag </tmp/unload-out
fi
start=$(date +%s)
if err=$(timeout 10 rmmod luasync 2>&1); then
    fail "rmmod luasync is refused while the runtime lives"
else
    pass "rmmod luasync is refused while the runtime lives ($(echo "$err" | tail -n 1))"
fi
if loaded && [ $(($(date +%s) - start)) -lt 5 ]; then
    pass "the refusal came at once and luasync stays loaded"
else
    fail "the refusal came at once and luasync stays loaded"
fi
lunatik_exec "$here/release.lua" unload/release.lua plain 60 >/tmp/unload-out || diag </tmp/unload-out
if out=$(rmmod luasync 2>&1); then
    pass "rmmod luasync once the runtime is stopped"
else
    fail "rmmod luasync once the runtime is stopped"
    echo "$out" | diag
fi

# The race: unload and reload as fast as possible while the rounds run.
insmod "$ko"
rm -f /tmp/unload.stop /tmp/unload.count
(
    unloads=0
    while [ ! -e /tmp/unload.stop ]; do
        if rmmod luasync 2>/dev/null; then
            unloads=$((unloads + 1))
            insmod "$ko" 2>/dev/null
        fi
    done
    echo "$unloads" >/tmp/unload.count
) &
sed "s/^local rounds = [0-9]*/local rounds = $rounds/" "$here/rounds.lua" >/tmp/unload-rounds.lua
if lunatik_exec /tmp/unload-rounds.lua unload/rounds.lua plain 1200 >/tmp/unload-out; then
    pass "$rounds rounds of a last release racing rmmod"
else
    fail "$rounds rounds of a last release racing rmmod"
fi
grep -v "^$LUNATIK_MARKER" /tmp/unload-out | diag
touch /tmp/unload.stop
wait
echo "# luasync.ko was unloaded and reloaded $(cat /tmp/unload.count 2>/dev/null) times meanwhile"

loaded || insmod "$ko"
if out=$(rmmod luasync 2>&1); then
    pass "rmmod luasync at the end (nothing left holding it)"
else
    fail "rmmod luasync at the end (nothing left holding it)"
    echo "$out" | diag
fi
