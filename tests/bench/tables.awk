# The Lua-level tables of the bench (busybox awk), from the samples of
# lua/measure.lua: lines "sample TABLE ROW WORK IMPL NS OPS", one per
# measurement and round. Each cell is the median over the rounds of NS/OPS
# (the upper middle value for an even count, as luasync_bench.ko takes it).
# The scaling table puts the kernel level beside the Lua level: the rows of
# luasync_bench.ko's second table, read from the file kernel_table.
# Samples of IMPL "before" (the baseline's build of luasync, make bench
# BENCH_BASELINE=REV; before_rev names REV) add a last table: every Lua-level
# row of luasync, this build against the baseline's. The samples of a cell
# come in the order of the rounds, so the Nth of two cells ran in one round.
#
#   awk -v rounds=N -v kernel_table=FILE [-v before_rev=REV] -f tables.awk SAMPLES

$1 == "sample" && NF == 7 {
    key = $2 SUBSEP $3 SUBSEP $4 SUBSEP $5
    n = ++count[key]
    value[key, n] = $6 / $7
    if (!(($2, $3) in seen)) {
        seen[$2, $3] = 1
        rows[$2] = rows[$2] " " $3
    }
    addwork($3, $4)
    if ($5 == "before")
        hasbefore = 1
}

function addwork(row, work) {
    if (!((row, work) in hasw)) {
        hasw[row, work] = 1
        works[row] = works[row] " " work
    }
}

# The median of the cell, or -1 when it was not measured.
function median(tbl, row, work, impl,    key, n, i, j, v, t) {
    key = tbl SUBSEP row SUBSEP work SUBSEP impl
    n = count[key] + 0
    if (n == 0)
        return -1
    for (i = 1; i <= n; i++)
        v[i] = value[key, i]
    for (i = 2; i <= n; i++)
        for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
            t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
        }
    return v[int(n / 2) + 1]
}

function ns(x) { return x < 0 ? "-" : sprintf("%.1f", x) }
function ratio(a, b) { return (a < 0 || b <= 0) ? "-" : sprintf("%.2f", a / b) }

# The works of a row in increasing order, as a list split() can read.
function sortedworks(row,    w, n, i, j, t, out) {
    n = split(works[row], w, " ")
    for (i = 2; i <= n; i++)
        for (j = i; j > 1 && w[j - 1] + 0 > w[j] + 0; j--) {
            t = w[j]; w[j] = w[j - 1]; w[j - 1] = t
        }
    out = ""
    for (i = 1; i <= n; i++)
        out = out " " w[i]
    return out
}

END {
    # The kernel level's scaling rows: "ROW WORK RUST_NS KERNEL_NS RATIO".
    while ((getline line < kernel_table) > 0) {
        if (line ~ /^luasync bench: how the cost grows/) { inscale = 1; continue }
        if (line ~ /^luasync bench:/) { inscale = 0; continue }
        if (!inscale || split(line, f, " ") < 4 || f[2] !~ /^[0-9]+$/)
            continue
        rust[f[1], f[2]] = f[3] == "-" ? -1 : f[3]
        kern[f[1], f[2]] = f[4] == "-" ? -1 : f[4]
        addwork(f[1], f[2])
    }

    print "Lua level: ping-pong round trip between two Lunatik kthreads, ns, median of " rounds " rounds"
    print "(faster: in how many rounds luasync took less time than Lunatik's C completion in the same round;"
    print " rounds: the lowest and the highest ratio of the two in one round)"
    printf "%-22s %12s %12s %8s %7s %11s\n", "placement", "luasync_ns", "lunatik_ns", "ratio", "faster", "rounds"
    n = split("same_cpu cross_cpu unpinned", r, " ")
    for (i = 1; i <= n; i++) {
        l = median("pingpong", r[i], 1, "luasync"); c = median("pingpong", r[i], 1, "lunatik")
        printf "%-22s %12s %12s %8s %7s %11s\n", r[i], ns(l), ns(c), ratio(l, c),
            faster("pingpong", r[i], 1, "lunatik"), spread("pingpong", r[i], 1, "lunatik")
    }

    print ""
    print "Lua level: a short string's round trip between two Lunatik kthreads on CPU 0, ns, median of " rounds " rounds"
    print "(completion: the same_cpu ping-pong above, which carries no message; mailbox: Lunatik's lib/mailbox.lua,"
    print " its fifo and the completion loaded; channel: luasync's channel; channel/lunatik: the channel's time"
    print " over the row's Lunatik time)"
    printf "%-22s %12s %12s %8s %16s\n", "row", "luasync_ns", "lunatik_ns", "ratio", "channel/lunatik"
    ch = median("messages", "channel", 1, "luasync")
    n = split("completion mailbox channel", r, " ")
    for (i = 1; i <= n; i++) {
        if (r[i] == "completion") {
            l = median("pingpong", "same_cpu", 1, "luasync"); c = median("pingpong", "same_cpu", 1, "lunatik")
        } else {
            l = median("messages", r[i], 1, "luasync"); c = median("messages", r[i], 1, "lunatik")
        }
        printf "%-22s %12s %12s %8s %16s\n", r[i], ns(l), ns(c), ratio(l, c), ratio(ch, c)
    }

    print ""
    print "Lua level: one call (one op: the calls named), ns per op, median of " rounds " rounds;"
    print "floor: d:getbyte(0) on a Lunatik data object (single), once per call of the op"
    floor = median("calls", "floor", 1, "floor")
    printf "%-18s %5s %11s %11s %7s %9s %13s %13s\n", "op", "calls", "luasync_ns", "lunatik_ns",
        "ratio", "floor_ns", "luasync/floor", "lunatik/floor"
    printf "%-18s %5s %11s %11s %7s %9s %13s %13s\n", "floor", 1, "-", "-", "-", ns(floor), "-", "-"
    n = split(rows["calls"], r, " ")
    for (i = 1; i <= n; i++) {
        if (r[i] == "floor")
            continue
        split(sortedworks(r[i]), w, " ")
        calls = w[1]
        l = median("calls", r[i], calls, "luasync"); c = median("calls", r[i], calls, "lunatik")
        f = floor < 0 ? -1 : floor * calls
        printf "%-18s %5d %11s %11s %7s %9s %13s %13s\n", r[i], calls, ns(l), ns(c), ratio(l, c),
            ns(f), ratio(l, f), ratio(c, f)
    }
    print "(Lunatik's C wait(0) is no poll: when not done it sleeps until the next tick, schedule_timeout(0);"
    print " new: completion.new() and the collection of the object by the garbage collector)"

    print ""
    print "Lua and kernel level: how the cost grows, ns per op, median of " rounds " rounds"
    print "(luasync, lunatik: Lua level; rust: rust/sync in luasync_bench.ko; kernel: the kernel's own)"
    printf "%-26s %7s %11s %11s %11s %11s %8s %8s %8s\n", "row", "work", "luasync_ns", "lunatik_ns",
        "rust_ns", "kernel_ns", "lua/kern", "rust/kern", "lua/lntk"
    n = split("mutex_lock+unlock semaphore_down+up completeall objects_complete+wait(0) objects_lock+unlock", r, " ")
    for (i = 1; i <= n; i++) {
        m = split(sortedworks(r[i]), w, " ")
        for (j = 1; j <= m; j++) {
            l = median("scale", r[i], w[j], "luasync"); c = median("scale", r[i], w[j], "lunatik")
            ru = ((r[i], w[j]) in rust) ? rust[r[i], w[j]] : -1
            k = ((r[i], w[j]) in kern) ? kern[r[i], w[j]] : -1
            printf "%-26s %7d %11s %11s %11s %11s %8s %8s %8s\n", r[i], w[j], ns(l), ns(c), ns(ru), ns(k),
                ratio(l, k), ratio(ru, k), ratio(l, c)
        }
    }

    if (hasbefore)
        against_before()
}

# This build (luasync) against the baseline's (before), row by row, and
# against Lunatik's C completion where it has the row.
function against_before(    n, r, i, m, w, j) {
    print ""
    print "Lua level: this build against BENCH_BASELINE (" before_rev "), ns, median of " rounds " rounds"
    print "(before: luasync.ko built at " before_rev "; after: this build; both run in every round;"
    print " ns per op: a round trip for pingpong, the calls named for calls; lunatik: Lunatik's C completion;"
    print " faster: in how many rounds this build took less time than the baseline in the same round)"
    printf "%-8s %-26s %5s %11s %11s %12s %7s %13s\n", "table", "row", "work", "before_ns", "after_ns",
        "after/before", "faster", "after/lunatik"
    n = split("same_cpu cross_cpu unpinned", r, " ")
    for (i = 1; i <= n; i++)
        before_row("pingpong", r[i], 1)
    before_row("messages", "channel", 1)
    before_row("messages", "mailbox", 1)
    n = split(rows["calls"], r, " ")
    for (i = 1; i <= n; i++) {
        if (r[i] == "floor")
            continue
        split(sortedworks(r[i]), w, " ")
        before_row("calls", r[i], w[1])
    }
    n = split("mutex_lock+unlock semaphore_down+up completeall objects_complete+wait(0) objects_lock+unlock", r, " ")
    for (i = 1; i <= n; i++) {
        m = split(sortedworks(r[i]), w, " ")
        for (j = 1; j <= m; j++)
            before_row("scale", r[i], w[j])
    }
}

# One row of that table; none where neither build measured it.
function before_row(tbl, row, work,    b, a, c) {
    b = median(tbl, row, work, "before"); a = median(tbl, row, work, "luasync")
    c = median(tbl, row, work, "lunatik")
    if (a < 0 && b < 0)
        return
    printf "%-8s %-26s %5d %11s %11s %12s %7s %13s\n", tbl, row, work, ns(b), ns(a), ratio(a, b),
        faster(tbl, row, work, "before"), ratio(a, c)
}

# The number of rounds that measured both this build (luasync) and other:
# the samples of a cell come in the order of the rounds.
function paired(tbl, row, work, other,    na, nb) {
    na = count[tbl SUBSEP row SUBSEP work SUBSEP "luasync"] + 0
    nb = count[tbl SUBSEP row SUBSEP work SUBSEP other] + 0
    return na < nb ? na : nb
}

# "K/N": in K of the N rounds that measured both, this build's sample was
# below other's of the same round; "-" when none measured both.
function faster(tbl, row, work, other,    ka, kb, n, i, k) {
    ka = tbl SUBSEP row SUBSEP work SUBSEP "luasync"
    kb = tbl SUBSEP row SUBSEP work SUBSEP other
    n = paired(tbl, row, work, other)
    if (n == 0)
        return "-"
    k = 0
    for (i = 1; i <= n; i++)
        if (value[ka, i] < value[kb, i])
            k++
    return k "/" n
}

# "LOW-HIGH": the lowest and the highest ratio of this build's sample to
# other's of the same round; "-" when no round measured both.
function spread(tbl, row, work, other,    ka, kb, n, i, q, lo, hi) {
    ka = tbl SUBSEP row SUBSEP work SUBSEP "luasync"
    kb = tbl SUBSEP row SUBSEP work SUBSEP other
    n = paired(tbl, row, work, other)
    lo = -1
    for (i = 1; i <= n; i++) {
        if (value[kb, i] <= 0)
            continue
        q = value[ka, i] / value[kb, i]
        if (lo < 0) {
            lo = q; hi = q
        } else if (q < lo) {
            lo = q
        } else if (q > hi) {
            hi = q
        }
    }
    return lo < 0 ? "-" : sprintf("%.2f-%.2f", lo, hi)
}
