#!/bin/sh
# Suite `examples` (what `make run` shows): loads luasync.ko (after Lunatik's
# modules when the VM has them), shows it loaded and its luaopen_* exports,
# runs every lua/examples/*.lua inside Lunatik and prints what it printed,
# then unloads luasync.ko. Without Lunatik it says what it skipped and why.
# Runs in the guest (busybox sh), prints TAP.

here=$(pwd)
n=0
pass() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { n=$((n + 1)); echo "not ok $n - $*"; }
diag() { sed 's/^/# /'; }

echo "# kernel $(uname -r), $(nproc) CPUs"

if [ "${LUNATIK:-}" = 1 ]; then
    # shellcheck source=tests/lunatik/lunatik.sh
    . "$here/../lunatik/lunatik.sh"
    if out=$(lunatik_load); then
        pass "Lunatik loaded ($LUNATIK_MODULES)"
    else
        fail "Lunatik loaded"
        echo "$out" | diag
    fi
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
exports=$(grep -E '[[:space:]]luaopen_(completion|mutex|semaphore)([[:space:]]|$)' /proc/kallsyms)
echo "$exports" | diag
if [ "$(echo "$exports" | grep -c luaopen_)" = 3 ]; then
    pass "luaopen_completion, luaopen_mutex and luaopen_semaphore are in the kernel"
else
    fail "luaopen_completion, luaopen_mutex and luaopen_semaphore are in the kernel"
fi

examples=
for f in "$here"/../../lua/examples/*.lua; do
    [ -f "$f" ] && examples="$examples $f"
done
if [ -z "$examples" ]; then
    fail "no Lua examples in lua/examples/"
elif [ "${LUNATIK:-}" != 1 ]; then
    for f in $examples; do
        n=$((n + 1)); echo "ok $n - lua/examples/$(basename "$f") # SKIP LUNATIK_DIR not set: without Lunatik's modules in the VM there is no Lua to run the examples in (set LUNATIK_DIR to a Lunatik 4.4 tree built for the test kernel)"
    done
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
    lunatik_collect || echo "# garbage collection in the driver runtime failed"
fi

# The driver runtime holds the module references its require()s took (Lua's
# loader keeps each luaopen_* symbol until the state closes): unloading
# lunatik_run closes it, and releases what its objects held.
if grep -q '^lunatik_run ' /proc/modules && ! out=$(rmmod lunatik_run 2>&1); then
    echo "# rmmod lunatik_run failed: $out"
fi
if out=$(rmmod luasync 2>&1); then
    pass "rmmod luasync"
else
    fail "rmmod luasync"
    echo "$out" | diag
fi
