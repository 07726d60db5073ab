#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Suite `bench`: luasync against the kernel's primitives and against
# Lunatik's own C completion, measured in one boot. A measurement, not a
# test: it prints tables and no results, and fails only when something does
# not run (a module that does not load or unload, a Lua file that raises, a
# table that is not printed). Runs in the guest (busybox sh) with $MODDIR
# and $LUNATIK_MODDIR holding the modules.
#
# BENCH_WHAT: "all" (default), or one part: "kernel", "lua" or "profile";
# or "insns" (make profile-insns: 4. below, alone).
# BENCH_ROUNDS: rounds per measurement (default 7); the tables show medians.
#
#   1. kernel level: luasync_bench.ko (tests/bench/*.rs, kernel_baseline.c)
#      times rust/sync/ against struct mutex, completion and semaphore, and
#      prints its tables when it loads;
#   2. Lua level: lua/measure.lua runs in Lunatik once per round with
#      luasync.ko loaded and once with Lunatik's luacompletion.ko in its place
#      (both export luaopen_completion: one is unloaded, the other loaded), the
#      order alternating; this script takes the medians and prints the tables.
#      With $MODDIR/baseline/luasync.ko (make bench BENCH_BASELINE=REV: REV's
#      build of luasync, its "rev" file beside it), each round runs it too, as
#      "before", the order of the three rotating, and a table sets this
#      build against it;
#   3. profiles: lua/profile.lua, once with each completion;
#   4. the instruction profile (make profile-insns): the completion
#      ping-pong on one CPU and across two, and completion.new(), with each
#      completion, for $insns_short then $insns_long round trips or calls,
#      each run between two writes of 4 (drop nothing, log nothing) to
#      /proc/sys/vm/drop_caches, at which the host's QEMU plugin
#      (scripts/insns-plugin.c) zeroes its counts and then writes them; the modules' symbols ("ksym ...") and the run ("insns
#      WORKLOAD IMPL N") printed before it, for scripts/insns.lua.

: "${MODDIR:?MODDIR must name the directory holding luasync_bench.ko}"
: "${LUNATIK_MODDIR:?LUNATIK_MODDIR must name the directory holding Lunatik's modules}"

here=$(pwd)
# shellcheck source=tests/lunatik/lunatik.sh
. "$here/../lunatik/lunatik.sh"

what=${BENCH_WHAT:-all}
rounds=${BENCH_ROUNDS:-7}
# Where Lunatik finds the bench's scripts as luasync/bench/NAME.
luadir=/lib/modules/lua/luasync/bench
args=/tmp/luasync-bench.args
samples=/tmp/luasync-bench.samples
kernel_table=/tmp/luasync-bench.kernel
file_timeout=600

status=0
problem() {
    echo "# $*"
    status=1
}

# Per-call loops: calls per measurement; ping-pong round trips on one CPU and
# across CPUs (about 8 us and 90 us under TCG: 5,000 and 3,000 make
# measurements of 40 and 270 ms, long enough not to move with the host's
# scheduling; across CPUs, also long enough to dilute what a measurement
# pays once, whatever it is: on the instruction clock, medians over 1,000
# sat up to 250 instructions a round trip above those over 3,000, which
# agree with make profile-insns); message round trips (up to about 140 us,
# the mailbox's);
# live objects; operations per contention measurement (split among the
# threads); samples per profiled workload, and the time it may take at most.
settings() {
    cat <<EOF
impl=$1
calls=50000
rounds_same=5000
rounds_cross=3000
rounds_messages=1000
objects=100000
object_calls=50000
contend=2000
profile_samples=4000
profile_limit_ms=10000
profile_period_us=250
profile_top=20
EOF
}

# The instruction profile's two lengths: the difference of their counts over
# that of their round trips (or calls) is the count of one, whatever a run
# costs to start and end.
insns_short=2000
insns_long=20000

kernel_level() {
    mod=luasync_bench
    if ! out=$(insmod "$MODDIR/$mod.ko" 2>&1); then
        problem "insmod $mod.ko failed:"
        echo "$out" | sed 's/^/#   /'
        return
    fi
    # The module's lines of the kernel log, from its first table on, without
    # the printk prefix ("[    1.234567] luasync_bench: ").
    dmesg | sed -n "s/^.*$mod: //p" |
        awk '/^luasync bench: ns per operation/ { n = 0 } { line[n++] = $0 }
             END { for (i = 0; i < n; i++) print line[i] }' >"$kernel_table"
    if [ -s "$kernel_table" ]; then
        cat "$kernel_table"
    else
        problem "$mod printed no table"
    fi
    if ! out=$(rmmod "$mod" 2>&1); then
        problem "rmmod $mod failed:"
        echo "$out" | sed 's/^/#   /'
    fi
}

# The baseline's build of luasync.ko, when make bench was given one.
baseline=$MODDIR/baseline/luasync.ko
# Which completion use() loaded last: luasync.ko and the baseline's build
# are both the module "luasync", so /proc/modules cannot tell them apart.
loaded=

# use luasync|before|lunatik: loads that completion (this build's luasync.ko,
# the baseline's, or Lunatik's luacompletion.ko) and unloads the others.
use() {
    case $1 in
        luasync) mod=luasync ko=$MODDIR/luasync.ko ;;
        before) mod=luasync ko=$baseline ;;
        lunatik) mod=luacompletion ko=$LUNATIK_MODDIR/luacompletion.ko ;;
    esac
    [ "$loaded" = "$1" ] && grep -q "^$mod " /proc/modules && return 0
    loaded=
    for drop in luasync luacompletion; do
        if grep -q "^$drop " /proc/modules && ! out=$(rmmod "$drop" 2>&1); then
            problem "rmmod $drop: $out"
            return 1
        fi
    done
    if ! out=$(insmod "$ko" 2>&1); then
        problem "insmod $ko: $out"
        return 1
    fi
    loaded=$1
}

# order ROUND IMPL...: the order of the implementations in round ROUND (from
# 1): rotated by one each round, so that each runs first as often as the
# others; with more than two, reversed every other cycle, so that each runs
# before each other one as often as after it (every order once in six
# rounds, for three).
order() {
    o_round=$1
    shift
    o_n=$#
    o_shift=$(((o_round - 1) % o_n))
    o_list=
    o_i=0
    for o_impl in "$@" "$@"; do
        if [ "$o_i" -ge "$o_shift" ] && [ "$o_i" -lt $((o_shift + o_n)) ]; then o_list="${o_list:+$o_list }$o_impl"; fi
        o_i=$((o_i + 1))
    done
    if [ "$o_n" -gt 2 ] && [ $(((o_round - 1) / o_n % 2)) = 1 ]; then
        o_reversed=
        for o_impl in $o_list; do o_reversed="$o_impl${o_reversed:+ $o_reversed}"; done
        o_list=$o_reversed
    fi
    echo "$o_list"
}

# lua FILE IMPL [SETTING...]: runs lua/FILE with IMPL's completion, the
# settings ("name=value") after the usual ones; its output in
# /tmp/luasync-bench.out.
lua() {
    l_file=$1 l_impl=$2
    shift 2
    use "$l_impl" || return 1
    settings "$l_impl" >"$args"
    for l_setting in "$@"; do echo "$l_setting" >>"$args"; done
    if ! lunatik_exec "$here/lua/$l_file" "bench/$l_file" plain "$file_timeout" >/tmp/luasync-bench.out; then
        problem "lua/$l_file with $l_impl's completion failed:"
        grep -v '^sample ' /tmp/luasync-bench.out | sed 's/^/#   /'
        return 1
    fi
}

lua_setup() {
    if ! out=$(lunatik_load); then
        problem "Lunatik's modules do not load: $out"
        return 1
    fi
    mkdir -p "$luadir" && cp "$here"/lua/*.lua "$luadir/"
}

lua_level() {
    : >"$samples"
    impls="luasync lunatik" before_rev=
    if [ -f "$baseline" ]; then
        impls="luasync before lunatik"
        before_rev=$(cut -d' ' -f1 "$MODDIR/baseline/rev" 2>/dev/null)
    fi
    round=1
    while [ "$round" -le "$rounds" ]; do
        # Change which goes first, so none always runs warm.
        # shellcheck disable=SC2086
        for impl in $(order "$round" $impls); do
            lua measure.lua "$impl" || return 1
            grep '^sample ' /tmp/luasync-bench.out >>"$samples"
        done
        round=$((round + 1))
    done
    echo
    awk -v rounds="$rounds" -v kernel_table="$kernel_table" -v before_rev="${before_rev:-?}" \
        -f "$here/tables.awk" "$samples"
}

profiles() {
    echo
    echo "Profiles (lua/profile.lua): where the time of each workload goes, by kernel function"
    for impl in luasync lunatik; do
        lua profile.lua "$impl" || return 1
        grep -v "^$LUNATIK_MARKER" /tmp/luasync-bench.out
    done
}

# 4. above: the runs that make profile-insns counts.
insns() {
    for workload in pingpong_same_cpu pingpong_cross_cpu new; do
        for impl in luasync lunatik; do
            for n in "$insns_short" "$insns_long"; do
                use "$impl" || return 1
                grep '\[' /proc/kallsyms | sed 's/^/ksym /'
                echo "insns $workload $impl $n"
                echo 4 >/proc/sys/vm/drop_caches
                lua measure.lua "$impl" "only=$workload" "rounds=$n" || return 1
                echo 4 >/proc/sys/vm/drop_caches
            done
        done
    done
}

echo "guest: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(nproc) CPUs," \
    "$(uname -r), clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"

case $what in
    all)
        kernel_level
        lua_setup && lua_level && profiles
        ;;
    kernel) kernel_level ;;
    lua) lua_setup && lua_level ;;
    profile) lua_setup && profiles ;;
    insns) lua_setup && insns ;;
    *) problem "unknown BENCH_WHAT=$what (all, kernel, lua, profile or insns)" ;;
esac

# Every runtime of the bench has stopped: both completions must unload.
for m in luasync luacompletion; do
    if grep -q "^$m " /proc/modules && ! out=$(rmmod "$m" 2>&1); then
        problem "rmmod $m: $out"
    fi
done
exit $status
