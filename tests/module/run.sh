#!/bin/sh
# Suite `module`: luasync.ko loads and unloads cleanly, twice.
#
# Each round: insmod; the luaopen_* functions and their export entries
# are in /proc/kallsyms; the module's own "loaded" line appears once more in
# the kernel log; /sys/module/luasync is live; rmmod; the symbols and
# /sys/module/luasync are gone; the "unloaded" line appears once more.
# Also: the module's modinfo matches the running kernel and names Lunatik as
# its dependency, insmod without Lunatik refuses it, and the guest sees the 2
# CPUs the VM was given. Runs in the guest (busybox sh), prints TAP.

: "${MODDIR:?MODDIR must name the directory holding luasync.ko}"
ko=$MODDIR/luasync.ko
symbols="luaopen_completion luaopen_mutex luaopen_semaphore luaopen_channel luaopen_waitany luaopen_condition luaopen_rwsem"
loaded_line="luasync: loaded (completion, mutex, semaphore, channel, waitany, condition, rwsem)"
unloaded_line="luasync: unloaded"

n=0
pass() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { n=$((n + 1)); echo "not ok $n - $*"; }
diag() { sed 's/^/# /'; }

# How many times the kernel log holds a line ending in $1.
log_count() { dmesg | grep -cF -- "$1"; }

# The symbol names of /proc/kallsyms that contain luaopen_, read once: the
# kernel makes the whole file anew at every read, which takes the emulated
# CPU about a third of a second.
luaopen_symbols() { grep -F luaopen_ /proc/kallsyms | awk '{ print $3 }'; }

# The names among $symbols (prefixed with $1) that /proc/kallsyms lacks.
missing_symbols() {
    have=$(luaopen_symbols)
    for s in $symbols; do
        echo "$have" | grep -qxF "$1$s" || printf '%s ' "$1$s"
    done
}

# The names among $symbols (prefixed with $1) that /proc/kallsyms still has.
present_symbols() {
    have=$(luaopen_symbols)
    for s in $symbols; do
        ! echo "$have" | grep -qxF "$1$s" || printf '%s ' "$1$s"
    done
}

echo "1..24"

cpus=$(nproc)
online=$(cat /sys/devices/system/cpu/online)
if [ "$cpus" = 2 ] && [ "$online" = 0-1 ]; then
    pass "the guest sees 2 CPUs (online: $online)"
else
    fail "the guest sees 2 CPUs (nproc: $cpus, online: $online)"
fi

if [ -f "$ko" ]; then
    release=$(uname -r)
    vermagic=$(modinfo -F vermagic "$ko" 2>/dev/null)
    license=$(modinfo -F license "$ko" 2>/dev/null)
    case $vermagic in
        "$release "*) pass "modinfo: built for the running kernel ($release)" ;;
        *) fail "modinfo: vermagic '$vermagic' does not match the running kernel $release" ;;
    esac
    if [ "$license" = GPL ]; then
        pass "modinfo: license GPL"
    else
        fail "modinfo: license is '$license', GPL expected"
    fi
    depends=$(modinfo -F depends "$ko" 2>/dev/null)
    if [ "$depends" = lunatik ]; then
        pass "modinfo: depends: lunatik"
    else
        fail "modinfo: depends is '$depends', lunatik expected"
    fi
else
    fail "modinfo: no $ko"
    fail "modinfo: license (no module)"
    fail "modinfo: depends (no module)"
fi

# Without Lunatik, the kernel refuses the module (its Lua symbols are unknown).
if insmod "$ko" >/dev/null 2>&1; then
    fail "insmod luasync.ko without Lunatik is refused"
    rmmod luasync 2>/dev/null
else
    pass "insmod luasync.ko without Lunatik is refused"
fi

# shellcheck source=tests/lunatik/lunatik.sh
. "$(pwd)/../lunatik/lunatik.sh"
if out=$(lunatik_load); then
    pass "Lunatik's modules load ($LUNATIK_MODULES)"
else
    fail "Lunatik's modules load"
    echo "$out" | diag
fi

for round in 1 2; do
    before_loaded=$(log_count "$loaded_line")
    before_unloaded=$(log_count "$unloaded_line")

    if out=$(insmod "$ko" 2>&1); then
        pass "round $round: insmod luasync.ko"
    else
        fail "round $round: insmod luasync.ko"
        echo "$out" | diag
    fi

    missing=$(missing_symbols "")
    if [ -z "$missing" ]; then
        pass "round $round: $symbols in /proc/kallsyms while loaded"
    else
        fail "round $round: missing from /proc/kallsyms while loaded: $missing"
    fi
    missing=$(missing_symbols "__ksymtab_")
    if [ -z "$missing" ]; then
        pass "round $round: every luaopen_* is exported (__ksymtab_ entries)"
    else
        fail "round $round: not exported: $missing"
    fi

    if [ "$(log_count "$loaded_line")" -eq $((before_loaded + 1)) ]; then
        pass "round $round: the kernel log says '$loaded_line'"
    else
        fail "round $round: no new '$loaded_line' in the kernel log"
        dmesg | tail -n 5 | diag
    fi

    state=$(cat /sys/module/luasync/initstate 2>/dev/null)
    if [ "$state" = live ]; then
        pass "round $round: /sys/module/luasync is live"
    else
        fail "round $round: /sys/module/luasync/initstate is '$state', live expected"
    fi

    if out=$(rmmod luasync 2>&1); then
        pass "round $round: rmmod luasync"
    else
        fail "round $round: rmmod luasync"
        echo "$out" | diag
    fi

    left=$(present_symbols "")
    if [ -z "$left" ]; then
        pass "round $round: the luaopen_* symbols are gone after rmmod"
    else
        fail "round $round: still in /proc/kallsyms after rmmod: $left"
    fi

    if [ "$(log_count "$unloaded_line")" -eq $((before_unloaded + 1)) ]; then
        pass "round $round: the kernel log says '$unloaded_line'"
    else
        fail "round $round: no new '$unloaded_line' in the kernel log"
        dmesg | tail -n 5 | diag
    fi

    if [ ! -e /sys/module/luasync ]; then
        pass "round $round: /sys/module/luasync is gone"
    else
        fail "round $round: /sys/module/luasync still exists after rmmod"
    fi
done
