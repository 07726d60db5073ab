#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Suite `bench`: rust/sync/ against the kernel's own primitives.
#
# Loads luasync_bench.ko, whose init times every operation on both sides and
# prints the table with pr_info; re-emits the table from the kernel log; unloads
# the module. A measurement, not a test: it prints no results, and fails only
# when the module does not load, print its table or unload. Runs in the guest
# (busybox sh) with $MODDIR holding the modules.

: "${MODDIR:?MODDIR must name the directory holding luasync_bench.ko}"
mod=luasync_bench

if ! out=$(insmod "$MODDIR/$mod.ko" 2>&1); then
    echo "# insmod $mod.ko failed:"
    echo "$out" | sed 's/^/#   /'
    exit 1
fi

# The module's lines of the kernel log, from its last table on, without the
# printk prefix ("[    1.234567] luasync_bench: ").
table=$(dmesg | sed -n "s/^.*$mod: //p" |
    awk '/^luasync bench:/ { n = 0 } { line[n++] = $0 } END { for (i = 0; i < n; i++) print line[i] }')

status=0
if [ -n "$table" ]; then
    echo "$table"
else
    echo "# $mod printed no table"
    status=1
fi

if ! out=$(rmmod "$mod" 2>&1); then
    echo "# rmmod $mod failed:"
    echo "$out" | sed 's/^/#   /'
    status=1
fi
exit $status
