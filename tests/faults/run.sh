#!/bin/sh
# Suite `faults`: allocation failures injected into luasync's object
# creation with the kernel's failslab (tests/faults/failslab.lua, run inside
# Lunatik like the files of the `lunatik` suite). Runs in the guest (busybox
# sh).
#
# failslab is set up here, from the shell (debugfs attributes are not
# writable from a kernel thread): only tasks with make-it-fail fail, every
# allocation of such a task fails (probability 100, interval 1, times -1,
# space 0), sleeping allocations included (ignore-gfp-wait N), silently
# (verbose 0: a forced failure would otherwise print a stack). The Lua file
# aims the failures with luasync_testlib.failslab, which marks only its own
# kernel thread, and only for one call. What the file is told, in
# $ready_file: "ready", or why failslab is not there (the plain test kernel
# has no fault injection: those cases are skipped with that reason). The
# attributes are put back afterwards.

here=$(pwd)
failslab=/sys/kernel/debug/failslab
ready_file=/tmp/luasync-failslab
# In this order: set up, failures stay limited to marked tasks at every
# step; put back, probability goes to its old value (0) first.
attrs="probability task-filter interval times space verbose ignore-gfp-wait"
timeout_s=${LUNATIK_FILE_TIMEOUT:-600}

n=0
pass() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { n=$((n + 1)); echo "not ok $n - $*"; }
diag() { sed 's/^/# /'; }

# shellcheck source=tests/lunatik/lunatik.sh
. "$here/../lunatik/lunatik.sh"

if out=$(lunatik_load) && out=$(insmod "$MODDIR/luasync.ko" 2>&1); then
    pass "Lunatik's modules and luasync.ko load"
else
    fail "Lunatik's modules and luasync.ko load"
    echo "$out" | diag
    exit 1
fi

# Writes ATTR=VALUE pairs to failslab's attributes; fails on the first
# attribute that does not take its value.
set_attrs() {
    for pair in "$@"; do
        attr=${pair%%=*} value=${pair#*=}
        echo "$value" >"$failslab/$attr" 2>/dev/null || return 1
        [ "$(cat "$failslab/$attr")" = "$value" ] || return 1
    done
}

saved=
if [ ! -d "$failslab" ]; then
    echo "no $failslab: CONFIG_FAILSLAB or CONFIG_FAULT_INJECTION_DEBUG_FS is off" >"$ready_file"
else
    for a in $attrs; do saved="$saved $a=$(cat "$failslab/$a")"; done
    echo "# failslab before:$saved"
    if set_attrs task-filter=Y probability=100 interval=1 times=-1 space=0 verbose=0 ignore-gfp-wait=N; then
        pass "failslab set up for tasks with make-it-fail"
        echo ready >"$ready_file"
    else
        fail "failslab set up for tasks with make-it-fail (attribute $attr did not take $value)"
        echo "failslab could not be set up ($attr)" >"$ready_file"
    fi
fi

name=tests/faults/failslab.lua
lunatik_exec "$here/failslab.lua" "$name" env "$timeout_s" >/tmp/faults-out
status=$?
lunatik_results /tmp/faults-out "$name" "$status" "$name: "

if [ -n "$saved" ]; then
    # shellcheck disable=SC2086
    if set_attrs $saved; then
        pass "failslab put back as it was"
    else
        fail "failslab put back as it was (attribute $attr)"
    fi
fi
rm -f "$ready_file"

if out=$(rmmod luasync 2>&1); then
    pass "rmmod luasync (no object left alive)"
else
    fail "rmmod luasync (no object left alive)"
    echo "$out" | diag
fi
