#!/bin/sh
# Suite `install`: modprobe on the tree that `make install` staged, as a
# user has it after installing Lunatik (its make install: kernel/lunatik/)
# and luasync (extra/luasync.ko), depmod run over both. The host stages it
# (scripts/install-check.sh) and the VM gets it as /lib/modules/<release>/.
#
# Runs before any other suite loads Lunatik: `modprobe luasync` must load
# lunatik.ko by itself, from the modules.dep that the host's depmod (kmod)
# wrote and busybox's modprobe reads; `modprobe -r luasync` must unload
# luasync and then lunatik, which nothing else uses. Runs in the guest
# (busybox sh), prints TAP.

release=$(uname -r)
modlib=/lib/modules/$release
symbols="luaopen_completion luaopen_mutex luaopen_semaphore"

n=0
pass() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { n=$((n + 1)); echo "not ok $n - $*"; }
diag() { sed 's/^/# /'; }
loaded() { grep -q "^$1 " /proc/modules; }

echo "1..10"

want="extra/luasync.ko: kernel/lunatik/lunatik.ko"
if grep -qxF "$want" "$modlib/modules.dep" 2>/dev/null; then
    pass "modules.dep: $want"
else
    fail "modules.dep has no line '$want' (was the install staged? scripts/install-check.sh)"
    grep luasync "$modlib/modules.dep" 2>&1 | diag
fi

if loaded lunatik || loaded luasync; then
    fail "neither lunatik nor luasync is loaded before modprobe (run this suite first)"
    diag </proc/modules
else
    pass "neither lunatik nor luasync is loaded before modprobe"
fi

# By name: busybox's modinfo finds the file through modules.dep.
info=$(modinfo luasync 2>&1)
echo "$info" | diag
depends=$(modinfo -F depends luasync 2>/dev/null)
if [ "$depends" = lunatik ] && echo "$info" | grep -qF "$modlib/extra/luasync.ko"; then
    pass "modinfo luasync: $modlib/extra/luasync.ko, depends: lunatik"
else
    fail "modinfo luasync: depends is '$depends', the file $modlib/extra/luasync.ko expected"
fi

if out=$(modprobe luasync 2>&1); then
    pass "modprobe luasync"
else
    fail "modprobe luasync"
    echo "$out" | diag
fi

if loaded luasync && loaded lunatik; then
    pass "luasync and lunatik are loaded"
else
    fail "luasync and lunatik are loaded"
    diag </proc/modules
fi

if [ -e /sys/module/lunatik/holders/luasync ]; then
    pass "lunatik is held by luasync (/sys/module/lunatik/holders/luasync)"
else
    fail "lunatik is held by luasync (/sys/module/lunatik/holders/ has: $(ls /sys/module/lunatik/holders 2>&1))"
fi

missing=
for s in $symbols; do
    grep -qE "[[:space:]]$s([[:space:]]|\$)" /proc/kallsyms || missing="$missing $s"
done
if [ -z "$missing" ]; then
    pass "$symbols are in the kernel"
else
    fail "missing from /proc/kallsyms:$missing"
fi

if out=$(modprobe -r luasync 2>&1); then
    pass "modprobe -r luasync"
else
    fail "modprobe -r luasync"
    echo "$out" | diag
fi

if loaded luasync; then
    fail "luasync is unloaded"
    rmmod luasync 2>/dev/null
else
    pass "luasync is unloaded"
fi

# Later suites start without Lunatik loaded, as this one did.
if loaded lunatik; then
    fail "lunatik, which nothing else used, is unloaded with it"
    rmmod lunatik 2>/dev/null
else
    pass "lunatik, which nothing else used, is unloaded with it"
fi
