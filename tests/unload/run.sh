#!/bin/sh
# Suite `unload`: luasync.ko can be unloaded exactly when nothing holds it.
#
# rmmod is refused at once (not a hang) while a runtime that opened a luasync
# library lives, and succeeds once it is stopped. Then UNLOAD_ROUNDS (50;
# make check-debug: 1000; a round takes about 0.2 s on the plain kernel)
# rounds race the last reference's release path against rmmod, every one of
# them: in each, a Lua file makes a runtime that holds luasync and stops it
# while the shell runs rmmod in a loop, which succeeds once the last
# reference went; the shell then loads luasync again and tells the Lua file,
# whose next round starts only then. A runtime is never made while rmmod
# runs: Lunatik's require of a C library is the kernel's symbol_get, which
# can meet the module being freed under it (strong_try_module_get's BUG_ON
# on a module that free_module just made UNFORMED, after find_symbol checked
# it was not), a race of the kernel's own that the debug kernel hit once in
# 1,000 rounds when loads were retried during the unloads. The kernel log
# must stay clean (checked by the host), and the module must unload at the
# end. Runs in the guest (busybox sh), prints TAP.

here=$(pwd)
# shellcheck source=tests/lunatik/lunatik.sh
. "$here/../lunatik/lunatik.sh"
ko=$MODDIR/luasync.ko
rounds=${UNLOAD_ROUNDS:-50}

n=0
pass() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { n=$((n + 1)); echo "not ok $n - $*"; }
diag() { sed 's/^/# /'; }
loaded() { grep -q '^luasync ' /proc/modules; }

echo "1..8"
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

# The race, round after round: once the round's runtime holds luasync, say
# so in /tmp/unload.spinning (the Lua file stops the runtime then) and rmmod
# in a loop; then load luasync again and count the unload in
# /tmp/unload.ready, which the Lua file waits for before its next round.
# Whether a reference holds the module; reads its count without starting a
# process, since the loop below polls it.
held() {
    count=0
    read -r count </sys/module/luasync/refcnt 2>/dev/null
    [ "${count:-0}" -gt 0 ] 2>/dev/null
}
insmod "$ko"
rm -f /tmp/unload.stop /tmp/unload.count /tmp/unload.spinning
echo 0 >/tmp/unload.ready
(
    unloads=0
    while [ ! -e /tmp/unload.stop ]; do
        held || continue
        echo "$unloads" >/tmp/unload.spinning
        until rmmod luasync 2>/dev/null; do
            [ -e /tmp/unload.stop ] && break
        done
        loaded && break
        insmod "$ko" 2>/dev/null || break
        unloads=$((unloads + 1))
        echo "$unloads" >/tmp/unload.ready
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
unloads=$(cat /tmp/unload.count 2>/dev/null)
if [ "$unloads" = "$rounds" ]; then
    pass "rmmod went through once in each round, after its runtime was stopped ($unloads unloads)"
else
    fail "rmmod went through once in each round ($unloads unloads for $rounds rounds)"
fi

loaded || insmod "$ko"
if out=$(rmmod luasync 2>&1); then
    pass "rmmod luasync at the end (nothing left holding it)"
else
    fail "rmmod luasync at the end (nothing left holding it)"
    echo "$out" | diag
fi
