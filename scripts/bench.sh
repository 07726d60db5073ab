#!/usr/bin/env bash
# make bench, make profile, make profile-insns: boots the plain test kernel
# with the bench suite (tests/bench/run.sh), prints its tables with the Rust
# symbols of the profiles demangled, keeps them in build/bench/, and draws
# the curves of the scaling table there (gnuplot, SVG).
#
#   scripts/bench.sh all|profile|insns
#   scripts/bench.sh plot          (draws again from build/bench/bench.txt)
#
# insns: the instructions of one ping-pong round trip (and of one new()) by
# kernel function, each completion beside the other, counted exactly by a
# QEMU plugin (scripts/insns-plugin.c, built here with gcc) under -icount,
# and given their functions by scripts/insns.lua.
#
# A measurement, not a test: it fails only when something did not run (see
# run.sh). Environment: BENCH_ROUNDS (rounds per measurement, default 7);
# BENCH_WHAT (make bench: all, or only kernel, lua or profile; see run.sh);
# BENCH_BASELINE (a git revision: the Lua level also runs luasync.ko built
# at that revision, as "before", in the same boot, and a table sets this
# build against it); BENCH_CLOCK (time, the default, or instructions: the
# guest's clock counts executed instructions, 1 ns each, QEMU's icount).
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

what=${1:-all}
case $what in
    all | plot) name=bench ;;
    profile) name=profile ;;
    insns) name=insns ;;
    *) die "usage: bench.sh all|profile|insns|plot" ;;
esac
out=$BUILD/bench
mkdir -p "$out"
report=$out/$name.txt

# Rust's v0 symbol names, demangled (binutils' c++filt reads them), without
# the crate hashes ("luasync[0123456789abcdef]::sync::..." -> "luasync::sync::...").
demangle() {
    c++filt | sed -E 's/\[[0-9a-f]{16}\]//g'
}

# BENCH_CLOCK=instructions: QEMU advances the guest's clock by 1 ns per
# instruction executed (-icount shift=0) and, when the guest idles, jumps to
# its next timer (sleep=off). Every "ns" then counts instructions, which do
# not move with the host's load nor with where the emulator's translated
# code falls; what they leave out is what an instruction costs on hardware.
[ "$what" != insns ] || BENCH_CLOCK=instructions
case ${BENCH_CLOCK:-time} in
    time) clock="TCG" ;;
    instructions)
        export VM_ICOUNT=shift=0,sleep=off
        clock="TCG with icount: every ns below is one guest instruction"
        ;;
    *) die "BENCH_CLOCK=$BENCH_CLOCK: time or instructions" ;;
esac

# Where it ran: the numbers mean little without it.
machine() {
    echo "host: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
        "$(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg);" \
        "$(qemu-system-x86_64 --version | head -n 1), $clock, 2 vCPUs"
}

# baseline REV: luasync.ko at REV, built into build/baseline/SHA/luasync.ko
# from a detached worktree of REV in build/baseline/SHA/src, the way
# module.sh builds this checkout's, against the same kernel and Lunatik;
# beside it "rev": "SHORT SHA SUBJECT". Cached: built again only when the
# kernel (its stamp) or Lunatik (its Module.symvers) changed. Prints the
# directory.
baseline() {
    local rev=$1 sha dir stamp
    sha=$(git -C "$TOP" rev-parse --verify --quiet "$rev^{commit}") ||
        die "BENCH_BASELINE=$rev is not a commit of $TOP"
    dir=$BUILD/baseline/$sha
    stamp=$(cat "$(kernel_dir plain)/.luasync-stamp")
    stamp="$stamp $(sha256sum <"$(lunatik_dir plain)/Module.symvers" | cut -d' ' -f1)"
    if [ ! -f "$dir/luasync.ko" ] || [ "$(cat "$dir/stamp" 2>/dev/null)" != "$stamp" ]; then
        rm -f "$dir/luasync.ko"
        # (A directory of build/ that is no worktree of its own is inside this one.)
        if [ ! -f "$dir/src/.git" ] || [ "$(git -C "$dir/src" rev-parse HEAD 2>/dev/null)" != "$sha" ]; then
            say "checking out $rev (${sha:0:12}) in $dir/src"
            rm -rf "$dir/src"
            mkdir -p "$dir"
            # -f: a worktree whose directory went away (make distclean) is
            # still registered; take its place.
            git -C "$TOP" worktree add -f --detach --quiet "$dir/src" "$sha" >&2 ||
                die "cannot check out $rev in $dir/src"
        fi
        say "building luasync.ko at $rev (${sha:0:12}) for the baseline"
        MODULE_SOURCE=$dir/src TEST_MODULES=n bash "$TOP/scripts/module.sh" plain "$dir/module" >&2 ||
            die "luasync.ko does not build at $rev (${sha:0:12})"
        install -m 0644 "$dir/module/luasync.ko" "$dir/luasync.ko"
        echo "$stamp" >"$dir/stamp"
    fi
    git -C "$TOP" log -1 --format='%h %H %s' "$sha" >"$dir/rev"
    echo "$dir"
}

# make bench's part (run.sh's BENCH_WHAT); make profile runs the profiles
# only, make profile-insns the runs it counts.
case $what in
    profile | insns) part=$what ;;
    *) part=${BENCH_WHAT:-all} ;;
esac

# The counter of make profile-insns: its plugin, the kernel function whose
# entries start and stop it, and the files of its counts.
if [ "$what" = insns ]; then
    # The plugin declares QEMU 7.2's plugin interface itself (Debian 12's QEMU);
    # another QEMU may have changed the calls it makes.
    qemu_version=$(qemu-system-x86_64 --version | sed -n '1s/^QEMU emulator version \([0-9]*\.[0-9]*\).*/\1/p')
    [ "$qemu_version" = 7.2 ] ||
        die "make profile-insns needs QEMU 7.2's plugin interface; this QEMU is ${qemu_version:-of unknown version}"
    plugin=$out/insns-plugin.so
    gcc -O2 -Wall -shared -fPIC -o "$plugin" "$TOP/scripts/insns-plugin.c" ||
        die "cannot build $plugin"
    system_map=$(kernel_dir plain)/System.map
    trigger=$(awk '$3 == "drop_caches_sysctl_handler" { print $1 }' "$system_map")
    [ -n "$trigger" ] || die "no drop_caches_sysctl_handler in $system_map"
    rm -f "$out"/insns.[0-9]*
    export VM_PLUGIN="$plugin,trigger=$trigger,out=$out/insns"
fi
baseline_dir=
if [ -n "${BENCH_BASELINE:-}" ] && [ "$what" != plot ]; then
    case $part in
        all | lua) baseline_dir=$(baseline "$BENCH_BASELINE") ;;
        *) say "BENCH_BASELINE=$BENCH_BASELINE ignored: it serves the Lua level, and this run has none" ;;
    esac
fi

# What the Lua level's "before" is, and what this build is.
builds() {
    [ -n "$baseline_dir" ] || return 0
    local head dirty=""
    head=$(git -C "$TOP" log -1 --format='%h %s' HEAD)
    [ -z "$(git -C "$TOP" status --porcelain --untracked-files=no -- Kbuild rust)" ] ||
        dirty=", with uncommitted changes to its sources"
    echo "before: luasync.ko at BENCH_BASELINE=$BENCH_BASELINE: $(cut -d' ' -f1,3- "$baseline_dir/rev")"
    echo "after: this build: $head$dirty"
}

# What of the output the terminal shows: all but the modules' symbols that
# make profile-insns prints for scripts/insns.lua.
shown() {
    if [ "$what" = insns ]; then grep -v '^ksym ' || true; else cat; fi
}

status=0
if [ "$what" != plot ]; then
    { machine; builds
      BENCH_WHAT=$part BENCH_BASELINE_DIR=$baseline_dir REQUIRE_PASS=0 \
          bash "$TOP/scripts/vm.sh" plain "$name" bench 2>&1; } |
        demangle | tee "$report" | shown || status=$?
    say "the bench's output: $report"
fi
if [ "$what" = insns ]; then
    [ "$status" = 0 ] || die "the runs to count failed"
    lua5.4 "$TOP/scripts/insns.lua" "$system_map" "$report" "$out/insns" >"$out/insns-table.txt" ||
        die "scripts/insns.lua failed"
    cat "$out/insns-table.txt"
    say "the table: $out/insns-table.txt"
    exit 0
fi
[ -f "$report" ] || die "no $report: run make bench first"

# The scaling table: from its title to the next empty line, the data rows
# "ROW WORK LUASYNC LUNATIK RUST KERNEL ...", "-" where not measured.
table=$(awk '/^Lua and kernel level: how the cost grows/ { on = 1; next }
             on && /^$/ { on = 0 }
             on && $2 ~ /^[0-9]+$/ { print }' "$report")
if [ -z "$table" ]; then
    [ "$what" = profile ] || say "no scaling table in the output: no plots"
    exit "$status"
fi

# One data file per row: "WORK LUASYNC LUNATIK RUST KERNEL".
for row in mutex_lock+unlock semaphore_down+up completeall 'objects_complete+wait(0)' objects_lock+unlock; do
    awk -v row="$row" '$1 == row { print $2, $3, $4, $5, $6 }' <<<"$table" >"$out/$row.dat"
done

plot() { # NAME TITLE XLABEL XTICS YLABEL PLOT-COMMAND
    cat >"$out/$1.gp" <<EOF
set terminal svg size 900,640 dynamic font "sans,12"
set output "$out/$1.svg"
set title "$2 (QEMU TCG, 2 vCPUs; medians)"
set xlabel "$3"
set xtics ($4)
set ylabel "$5"
set logscale xy
set offsets graph 0.05, graph 0.05, 0, 0
set datafile missing "-"
set key below
set grid
plot $6
EOF
    if gnuplot "$out/$1.gp"; then
        say "plot: $out/$1.svg"
    else
        say "gnuplot failed on $out/$1.gp"
        status=1
    fi
}

# Columns of the data files: 2 luasync (Lua), 3 Lunatik's C completion
# (Lua), 4 rust/sync, 5 the kernel's primitive; a column without a value
# (BENCH_WHAT=lua measures no rust/sync nor kernel) is left out.
lines() { # FILE LABEL COLUMNS...
    local file=$1 label=$2 col who sep=""
    shift 2
    for col in "$@"; do
        awk -v c="$col" '$c != "-" { found = 1 } END { exit !found }' "$out/$file.dat" || continue
        case $col in
            2) who="luasync (Lua)" ;;
            3) who="Lunatik C completion (Lua)" ;;
            4) who="rust/sync" ;;
            5) who="kernel" ;;
        esac
        printf '%s"%s" using 1:%s with linespoints title "%s%s"' "$sep" "$out/$file.dat" "$col" "$label" "$who"
        sep=", "
    done
}

command -v gnuplot >/dev/null || die "no gnuplot (apt-get install gnuplot-nox)"
# The works of a row, as gnuplot's xtics list them.
ticks() { awk '{ printf "%s%s", (NR > 1 ? ", " : ""), $1 }' "$out/$1.dat"; }

plot contention "Threads contending for one lock" "threads" "$(ticks mutex_lock+unlock)" "ns per operation" \
    "$(lines mutex_lock+unlock "mutex lock+unlock, " 2 4 5), $(lines semaphore_down+up "semaphore down+up, " 2 4 5)"
plot completeall "Releasing waiters at once (completeall)" "waiters" "$(ticks completeall)" "ns until the last one ran" \
    "$(lines completeall "" 2 4 5)"
plot objects "Operations spread over live objects" "live objects" "$(ticks 'objects_complete+wait(0)')" "ns per operation" \
    "$(lines 'objects_complete+wait(0)' "complete+wait(0), " 2 3 4 5), $(lines objects_lock+unlock "lock+unlock, " 2 4 5)"
exit "$status"
