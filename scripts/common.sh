# Shared settings for the scripts; sourced, never run.
# shellcheck shell=bash
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
JOBS=${JOBS:-$(nproc)}
BINDGEN_VERSION=0.73.2
LLVM_VERSION=19
export LIBCLANG_PATH=${LIBCLANG_PATH:-/usr/lib/llvm-$LLVM_VERSION/lib}
export PATH="$HOME/.cargo/bin:$PATH"

# Settings of the VM suites that the host passes on to the guest when set.
GUEST_SETTINGS="UNLOAD_ROUNDS TORTURE_THREADS TORTURE_S BENCH_WHAT BENCH_ROUNDS"

die() { echo "luasync: $*" >&2; exit 1; }
say() { echo "luasync: $*" >&2; }

# The kernel make variables for a flavour: "plain" is built with GCC, as
# distribution kernels are; "debug" with clang (6.12 allows KASAN with Rust
# only when the kernel is built with clang); LLVM=1 asks for clang everywhere.
kernel_llvm_flag() {
    local flavour=$1
    if [ "$flavour" = debug ] || [ "${LLVM:-}" = 1 ]; then
        if command -v clang >/dev/null 2>&1; then echo "LLVM=1"; else echo "LLVM=-$LLVM_VERSION"; fi
    fi
}

kernel_dir() { echo "$BUILD/kernel-$1"; }

# The Lunatik tree of a flavour's test kernel: LUNATIK_DIR when given (a tree
# already built for that kernel), else the pinned Lunatik built by lunatik.sh
# into build/lunatik-FLAVOUR (cached). Prints its absolute path.
lunatik_dir() {
    local flavour=$1
    if [ -n "${LUNATIK_DIR:-}" ]; then
        (cd "$LUNATIK_DIR" 2>/dev/null && pwd) || die "LUNATIK_DIR=$LUNATIK_DIR is not a directory"
        return
    fi
    bash "$TOP/scripts/lunatik.sh" "$(kernel_dir "$flavour")" "$BUILD/lunatik-$flavour" \
        $(kernel_llvm_flag "$flavour")
}
