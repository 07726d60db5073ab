#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Suite `selftest`: the kernel self-test of rust/sync/.
#
# Loads luasync_selftest.ko, whose init runs every case and prints KTAP with
# pr_info; re-emits that report from the kernel log as TAP; then checks that no
# test thread is left and that the module unloads, as one more result. Runs in
# the guest (busybox sh) with $MODDIR holding the modules; prints TAP.

: "${MODDIR:?MODDIR must name the directory holding luasync_selftest.ko}"
mod=luasync_selftest
ko=$MODDIR/$mod.ko

if ! out=$(insmod "$ko" 2>&1); then
    echo "not ok 1 - insmod $mod.ko"
    echo "$out" | sed 's/^/# /'
    echo "1..1"
    exit 1
fi

# The module's lines of the kernel log, from its last "KTAP version 1" on, without
# the printk prefix ("[    1.234567] luasync_selftest: ").
report=$(dmesg | sed -n "s/^.*$mod: //p" |
    awk '/^KTAP version 1$/ { n = 0 } { line[n++] = $0 } END { for (i = 0; i < n; i++) print line[i] }')

planned=0
seen=0
failed=0
while IFS= read -r line; do
    case $line in
        "KTAP version 1") echo "# $line" ;;
        1..*) planned=${line#1..} ;;
        "ok "* | "not ok "*)
            seen=$((seen + 1))
            case $line in "not ok "*) failed=$((failed + 1)) ;; esac
            # KTAP "ok N name" becomes TAP "ok N - name".
            echo "$line" | sed 's/^\(\(not \)\{0,1\}ok [0-9]*\) /\1 - /'
            ;;
        "#"*) echo "$line" ;;
        *) echo "# $line" ;;
    esac
done <<EOF
$report
EOF

if [ "$planned" -eq 0 ]; then
    echo "not ok 1 - $mod printed no KTAP plan"
    planned=1
    seen=1
    failed=1
fi
# Results the module planned but did not print.
while [ "$seen" -lt "$planned" ]; do
    seen=$((seen + 1))
    failed=$((failed + 1))
    echo "not ok $seen - missing result $seen of $planned"
done

# One more result: no test thread is left, and the module unloads.
n=$((planned + 1))
left=
for comm in /proc/[0-9]*/comm; do
    name=$(cat "$comm" 2>/dev/null) || continue
    case $name in lsst-*) left="$left $name" ;; esac
done
if [ -n "$left" ]; then
    echo "not ok $n - rmmod $mod: test threads still running:$left"
    failed=$((failed + 1))
elif out=$(rmmod "$mod" 2>&1) && [ ! -e "/sys/module/$mod" ]; then
    echo "ok $n - rmmod $mod (no test thread left)"
else
    echo "not ok $n - rmmod $mod"
    echo "$out" | sed 's/^/# /'
    failed=$((failed + 1))
fi
echo "1..$n"
[ "$failed" -eq 0 ]
