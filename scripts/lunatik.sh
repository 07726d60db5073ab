#!/usr/bin/env bash
# Builds the pinned Lunatik for a kernel build tree, into a directory of its
# own, and prints that directory. luasync is built against its headers and
# Module.symvers, and the test VM loads its modules and Lua files.
#
#   scripts/lunatik.sh KBUILD_DIR OUT_DIR [LLVM=...]
#   scripts/lunatik.sh --source OUT_DIR     only unpack the source there
#
# Where the source comes from, first match wins:
#   LUNATIK_SRC      a Lunatik source tree or tarball (as `git clone
#                    --recursive` gives it, submodules included)
#   LUNATIK_MIRROR   a directory holding the pinned tarball; by default
#                    ../shared/lunatik beside the checkout, then /work/shared/lunatik
#   the network      `git clone --recursive` of the pinned commit
# The pinned tarball is checked against its sha256. The build is cached on the
# source, the kernel tree and the make flags: it reruns only when one changes.
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

LUNATIK_URL=https://github.com/luainkernel/lunatik
LUNATIK_COMMIT=ce037ea990c7477f7a6bc1794446289639e220a8
LUNATIK_TARBALL=lunatik-4.4-ce037ea9.tar.gz
LUNATIK_SHA256=37c6760a00858a47fe638a7eacfc3e843b1ad40e81895d214fc0f422a7324f31

[ $# -ge 2 ] || die "usage: lunatik.sh KBUILD_DIR OUT_DIR [LLVM=...] | lunatik.sh --source OUT_DIR"

# Finds the source; sets src_kind (tree | tarball) and src_path.
find_source() {
    if [ -n "${LUNATIK_SRC:-}" ]; then
        if [ -d "$LUNATIK_SRC" ]; then src_kind=tree
        elif [ -f "$LUNATIK_SRC" ]; then src_kind=tarball
        else die "LUNATIK_SRC=$LUNATIK_SRC is neither a directory nor a file"; fi
        src_path=$(cd "$(dirname "$LUNATIK_SRC")" && pwd)/$(basename "$LUNATIK_SRC")
        return
    fi
    local mirrors=()
    if [ -n "${LUNATIK_MIRROR:-}" ]; then mirrors=("$LUNATIK_MIRROR")
    else mirrors=("$TOP/../shared/lunatik" /work/shared/lunatik); fi
    local m
    for m in "${mirrors[@]}"; do
        if [ -f "$m/$LUNATIK_TARBALL" ]; then
            src_kind=tarball src_path=$(cd "$m" && pwd)/$LUNATIK_TARBALL
            local sum
            sum=$(sha256sum "$src_path" | cut -d' ' -f1)
            [ "$sum" = "$LUNATIK_SHA256" ] || die "$src_path: sha256 $sum, the pin is $LUNATIK_SHA256"
            return
        fi
    done
    local clone=$BUILD/lunatik-clone
    if [ ! -f "$clone/.luasync-cloned" ]; then
        say "no Lunatik source (LUNATIK_SRC) or mirror; cloning $LUNATIK_URL at ${LUNATIK_COMMIT:0:8}"
        rm -rf "$clone"
        if ! { timeout 600 git clone -q --recursive "$LUNATIK_URL" "$clone" &&
               git -C "$clone" checkout -q "$LUNATIK_COMMIT" &&
               git -C "$clone" submodule -q update --init --recursive; } 2>/dev/null; then
            rm -rf "$clone"
            die "no Lunatik source: set LUNATIK_SRC to a Lunatik 4.4 tree or tarball (commit ${LUNATIK_COMMIT:0:8}), or LUNATIK_MIRROR to a directory holding $LUNATIK_TARBALL"
        fi
        touch "$clone/.luasync-cloned"
    fi
    src_kind=tree src_path=$clone
}

# Copies the source into $1 (emptied first).
unpack() {
    rm -rf "$1"
    mkdir -p "$1"
    if [ "$src_kind" = tarball ]; then
        tar -xzf "$src_path" -C "$1" --strip-components=1
    else
        (cd "$src_path" && tar -cf - --exclude=.git .) | tar -xf - -C "$1"
    fi
    [ -f "$1/lunatik.h" ] && [ -f "$1/lua/lua.h" ] ||
        die "$src_path is not a Lunatik source tree with its submodules (no lunatik.h or lua/lua.h)"
}

find_source
if [ "$src_kind" = tarball ]; then
    identity="tarball $(sha256sum "$src_path" | cut -d' ' -f1)"
else
    # A tree may change: its files' names, sizes and times stand for it.
    identity="tree $src_path $(cd "$src_path" && find . -path ./.git -prune -o -type f \
        ! -name '*.o' ! -name '*.ko' ! -name '.*.cmd' -printf '%P %s %T@\n' | LC_ALL=C sort | sha256sum | cut -c1-16)"
fi
if [ "$1" = --source ]; then
    out=$2
    if [ ! -f "$out/lunatik.h" ] || [ "$(cat "$out/.luasync-stamp" 2>/dev/null)" != "$identity" ]; then
        unpack "$out"
        echo "$identity" >"$out/.luasync-stamp"
    fi
    (cd "$out" && pwd)
    exit 0
fi

kdir=$(cd "$1" 2>/dev/null && pwd) || die "no kernel build tree at $1"
out=$2
llvm=${3:-}
release=$(cat "$kdir/include/config/kernel.release" 2>/dev/null) ||
    die "no include/config/kernel.release in $kdir: not a prepared kernel build tree"
command -v lua5.4 >/dev/null || die "Lunatik's build runs lua5.4 on the host (apt-get install lua5.4)"

# Only what luasync and its tests load; the others need kernel features the
# test kernel leaves out (netfilter, BPF, crypto) or nothing here uses them.
modules=(DEVICE LINUX RCU THREAD DATA FIFO COMPLETION PROBE)
all=(DEVICE LINUX NOTIFIER SOCKET NETLINK RCU SET THREAD DATA PROBE SYSCALL XDP FIFO SKB
     NETFILTER COMPLETION CRYPTO CPU HID SIGNAL BYTEORDER DARKEN BPF)
flags=()
for m in "${all[@]}"; do
    case " ${modules[*]} " in *" $m "*) flags+=("CONFIG_LUNATIK_$m=m") ;; *) flags+=("CONFIG_LUNATIK_$m=n") ;; esac
done
# Lunatik's Kbuild passes GCC's -Wimplicit-fallthrough=0, which clang
# rejects as an unknown option; tell clang to let unknown options pass.
if [ -n "$llvm" ]; then flags+=("$llvm" KCFLAGS=-Wno-unknown-warning-option); fi

stamp=$( { echo "$identity"; echo "$release $(cat "$kdir/.luasync-stamp" 2>/dev/null)"; echo "${flags[*]}"; } |
    sha256sum | cut -c1-16)
if [ -f "$out/lunatik.ko" ] && [ -f "$out/Module.symvers" ] &&
   [ "$(cat "$out/.luasync-stamp" 2>/dev/null)" = "$stamp" ]; then
    (cd "$out" && pwd)
    exit 0
fi

say "building Lunatik ($(basename "$src_path")) for $release${llvm:+ ($llvm)}"
unpack "$out"
out=$(cd "$out" && pwd)
# PWD: Lunatik's Kbuild makes its include paths from it, and the kernel's
# make resets it when the kernel was built with O=.
if ! make -C "$out" -j"$JOBS" MODULES_BUILD_PATH="$kdir" KERNEL_RELEASE="$release" PWD="$out" \
        "${flags[@]}" >"$out/.luasync-build.log" 2>&1; then
    tail -n 30 "$out/.luasync-build.log" >&2
    die "Lunatik did not build for $release (log: $out/.luasync-build.log)"
fi
echo "$stamp" >"$out/.luasync-stamp"
echo "$out"
