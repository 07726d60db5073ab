#!/usr/bin/env bash
# Builds the three modules (luasync.ko, luasync_selftest.ko, luasync_bench.ko)
# against the bench's kernel of a flavour (plain | debug).
#
# The module sources are copied into OUTDIR (default build/module-FLAVOUR) so
# that the plain and debug builds never share objects and the source tree
# stays clean; Kbuild then runs there with the compiler choice the kernel was
# built with. Unchanged sources keep their times, so a rebuild is incremental.
#
# Lunatik: the tree of lunatik_dir (LUNATIK_DIR, or the pinned Lunatik built
# for this kernel): its headers and Module.symvers are used. Environment:
# CLIPPY=1 (lint the Rust code with clippy and fail on any warning), JOBS,
# TEST_MODULES=n (luasync.ko alone, see Kbuild), MODULE_SOURCE (the checkout
# whose sources are built, default this one: make bench builds BENCH_BASELINE's
# luasync.ko from a checkout of that revision, see bench.sh).
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

flavour=${1:-plain}
case $flavour in
    plain | debug) ;;
    *) die "unknown kernel flavour '$flavour' (plain or debug)" ;;
esac
out=${2:-$BUILD/module-$flavour}
srcdir=${MODULE_SOURCE:-$TOP}
kdir=$(kernel_dir "$flavour")
[ -f "$kdir/.luasync-stamp" ] || die "no $flavour test kernel in $kdir (run: scripts/kernel.sh $flavour)"

# What Kbuild builds from; everything else in the tree is not module source.
sources=(Kbuild rust tests/selftest tests/bench tests/lunatik/testlib.c)

# Files Kbuild writes next to the sources: kept across syncs (rsync neither
# copies nor deletes excluded names), so the build stays incremental.
generated=('*.o' '*.ko' '*.mod' '*.mod.c' '*.cmd' '*.d' '*.syms' '*.rmeta'
           '*.ll' '*.s' '*.i' '*.symvers' 'modules.order' '.tmp_*' '*.a')
excludes=()
for g in "${generated[@]}"; do excludes+=(--exclude="$g"); done

mkdir -p "$out"
for s in "${sources[@]}"; do
    if [ -e "$srcdir/$s" ]; then
        mkdir -p "$out/$(dirname "$s")"
        if [ -d "$srcdir/$s" ]; then
            rsync -a --delete "${excludes[@]}" "$srcdir/$s/" "$out/$s/"
        else
            rsync -a "$srcdir/$s" "$out/$s"
        fi
    else
        # A source that went away must not linger in the copy.
        rm -rf "${out:?}/$s"
    fi
done

llvm=$(kernel_llvm_flag "$flavour")
kmake=(make -C "$kdir" M="$out" -j"$JOBS")
[ -n "$llvm" ] && kmake+=("$llvm")
if [ -n "${RUSTC:-}" ]; then
    kmake+=(RUSTC="$RUSTC")
elif [ -f "$BUILD/toolchain.mk" ]; then
    kmake+=(RUSTC=/usr/bin/rustc)
fi
lunatik=$(lunatik_dir "$flavour")
[ -f "$lunatik/lunatik.h" ] || die "$lunatik has no lunatik.h: LUNATIK_DIR must be a Lunatik source tree"
[ -f "$lunatik/Module.symvers" ] ||
    die "no $lunatik/Module.symvers: build that Lunatik for the $flavour kernel first (or leave LUNATIK_DIR unset)"
kmake+=(LUNATIK_DIR="$lunatik" KBUILD_EXTRA_SYMBOLS="$lunatik/Module.symvers")
if [ "${CLIPPY:-}" = 1 ]; then
    kmake+=(CLIPPY=1 KRUSTFLAGS=-Dwarnings)
fi

say "building the modules against the $flavour kernel${llvm:+ ($llvm)} and $lunatik"
"${kmake[@]}" modules
