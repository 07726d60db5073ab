#!/usr/bin/env bash
# luasync under DKMS (see dkms.conf).
#
#   scripts/dkms.sh source DIR    the source tree DKMS builds from, in DIR:
#                                 this tree without build/ and build
#                                 products, plus the pinned Lunatik source in
#                                 DIR/lunatik/ (from LUNATIK_SRC, the mirror
#                                 or a clone, as scripts/lunatik.sh finds it)
#   scripts/dkms.sh add           that tree as /usr/src/luasync-VERSION, then
#                                 `dkms add` (make dkms-add)
#   scripts/dkms.sh remove        `dkms remove --all`, and the source tree
#                                 (make dkms-remove)
#   scripts/dkms.sh check FLAVOUR add, build, install, uninstall and remove
#                                 for the test kernel of FLAVOUR, every tree
#                                 of DKMS under build/dkms-FLAVOUR/ (make
#                                 dkms-check); prints TAP and closes with
#                                 "dkms: N passed, N failed"
#
# Environment for add and remove: DKMS_SOURCE_TREE (default /usr/src) and
# DKMS_OPTS (more options for dkms, e.g. --dkmstree DIR).
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

command -v dkms >/dev/null || die "no dkms (apt-get install dkms)"
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$TOP/dkms.conf")
[ -n "$version" ] || die "no PACKAGE_VERSION in $TOP/dkms.conf"
read -r -a dkms_opts <<<"${DKMS_OPTS:-}"

export_source() { # DIR
    local dir=$1
    rm -rf "$dir"
    mkdir -p "$dir"
    rsync -a --exclude=/build/ --exclude=/.git --exclude=/tests/host/target/ \
        --exclude='*.o' --exclude='*.ko' --exclude='*.mod' --exclude='*.mod.c' \
        --exclude='.*.cmd' --exclude='*.d' --exclude='*.syms' --exclude=modules.order \
        --exclude=Module.symvers "$TOP/" "$dir/"
    bash "$TOP/scripts/lunatik.sh" --source "$dir/lunatik" >/dev/null
}

add() {
    local src=${DKMS_SOURCE_TREE:-/usr/src}/luasync-$version
    say "putting the source in $src (Lunatik's pinned source in lunatik/)"
    export_source "$src"
    dkms add -m luasync -v "$version" --sourcetree "${DKMS_SOURCE_TREE:-/usr/src}" "${dkms_opts[@]}"
}

remove() {
    local src=${DKMS_SOURCE_TREE:-/usr/src}/luasync-$version
    dkms remove -m luasync -v "$version" --all --sourcetree "${DKMS_SOURCE_TREE:-/usr/src}" "${dkms_opts[@]}"
    rm -rf "$src"
}

check() { # FLAVOUR
    local flavour=$1
    local kdir release root log arch
    kdir=$(kernel_dir "$flavour")
    release=$(cat "$kdir/include/config/kernel.release" 2>/dev/null) ||
        die "no $flavour test kernel in $kdir (run: scripts/kernel.sh $flavour)"
    [ "$(id -u)" = 0 ] || die "dkms needs root (its trees here are under build/, nothing is installed on the host)"
    arch=$(uname -m)
    root=$BUILD/dkms-$flavour
    log=$BUILD/dkms-$flavour.log
    rm -rf "$root"
    mkdir -p "$root/src" "$root/tree" "$root/root/lib/modules/$release"
    : >"$log"
    # The kernel, installed: what its own modules_install leaves in
    # /lib/modules/<release>/ (the test kernel has no modules of its own).
    local f
    for f in modules.order modules.builtin modules.builtin.modinfo; do
        if [ -f "$kdir/$f" ]; then cp "$kdir/$f" "$root/root/lib/modules/$release/"; fi
    done

    # Every tree of DKMS's under build/, depmod left to us (on that root),
    # and no module signing key made in /var/lib/dkms.
    export DKMS_SOURCE_TREE=$root/src
    dkms_opts+=(--dkmstree "$root/tree" --installtree "$root/root/lib/modules" --no-depmod)
    local kernel_opts=(-k "$release/$arch" --kernelsourcedir "$kdir")
    export mok_signing_key=$root/mok.key mok_certificate=$root/mok.pub

    # Every step below is a result, failed or not: none ends the run.
    set +e
    local n=0 failed=0
    pass() { n=$((n + 1)); echo "ok $n - $*"; }
    fail() { n=$((n + 1)) failed=$((failed + 1)); echo "not ok $n - $*"; }
    result() { # NAME: a result from the last command's status
        if [ "$?" = 0 ]; then pass "$1"; else fail "$1"; fi
    }
    logged() { # COMMAND...: its output in the log, shown when it fails
        echo "\$ $*" >>"$log"
        "$@" >>"$log" 2>&1 && return 0
        tail -n 20 "$log" | sed 's/^/# /'
        return 1
    }
    host_state() { ls -A /usr/src /var/lib/dkms /lib/modules 2>/dev/null || true; }

    local before
    before=$(host_state)
    echo "# dkms $(dkms --version | cut -d- -f2), kernel $release, trees under $root"

    local src=$root/src/luasync-$version
    local built=$root/tree/luasync/$version/$release/$arch
    local modlib=$root/root/lib/modules/$release
    local installed=$modlib/updates/dkms/luasync.ko

    logged add
    result "dkms add of the exported source tree"
    [ -f "$src/dkms.conf" ] && [ -f "$src/lunatik/lunatik.h" ] && [ ! -e "$src/build" ]
    result "the source tree holds dkms.conf and Lunatik's pinned source (lunatik/), and no build/"

    # The build takes Lunatik from the tree itself, as on a kernel upgrade.
    local start
    start=$(date +%s)
    logged env -u LUNATIK_DIR -u LUNATIK_SRC dkms build -m luasync -v "$version" "${dkms_opts[@]}" "${kernel_opts[@]}"
    result "dkms build for $release (kernel tree $kdir)"
    echo "# dkms build took $(($(date +%s) - start)) s; its log: $built/log/make.log"
    grep -q "building Lunatik (lunatik) for $release" "$built/log/make.log" 2>/dev/null
    result "the build built the bundled Lunatik for $release"
    grep -q 'luasync\.ko' "$built/log/make.log" 2>/dev/null && ! grep -q 'luasync_selftest' "$built/log/make.log"
    result "the build made luasync.ko alone (TEST_MODULES=n)"

    logged dkms install -m luasync -v "$version" "${dkms_opts[@]}" "${kernel_opts[@]}" && [ -f "$installed" ]
    result "dkms install puts luasync.ko in updates/dkms/"
    local vermagic depends
    vermagic=$(modinfo -F vermagic "$installed" 2>/dev/null | cut -d' ' -f1)
    depends=$(modinfo -F depends "$installed" 2>/dev/null)
    [ "$vermagic" = "$release" ] && [ "$depends" = lunatik ]
    result "modinfo: vermagic '$vermagic' ($release), depends '$depends' (lunatik)"

    # Lunatik installed beside it, as its own make install does: depmod then
    # resolves every symbol and records the dependency.
    local lunatik
    lunatik=$(lunatik_dir "$flavour")
    logged make -C "$lunatik" --no-print-directory modules_install MODULES_PATH="$root/root/lib/modules" \
        KERNEL_RELEASE="$release" INSTALL=install &&
        logged depmod -a -b "$root/root" -e -F "$kdir/System.map" "$release" &&
        ! grep -q "needs unknown symbol" "$log"
    result "with Lunatik installed too, depmod resolves every symbol of luasync.ko"
    local want="updates/dkms/luasync.ko: kernel/lunatik/lunatik.ko"
    grep -qxF "$want" "$modlib/modules.dep" 2>/dev/null
    result "modules.dep: $want"

    dkms status -m luasync -v "$version" "${dkms_opts[@]}" 2>&1 | tee -a "$log" | grep -q ": installed"
    result "dkms status: installed"

    logged remove && [ ! -e "$installed" ] && [ ! -e "$src" ] && [ ! -e "$root/tree/luasync/$version" ]
    result "dkms remove --all, then no luasync.ko, source tree or DKMS tree is left"

    [ "$(host_state)" = "$before" ]
    result "nothing changed in /usr/src, /var/lib/dkms or /lib/modules of the host"

    echo "dkms: $((n - failed)) passed, $failed failed"
    [ "$failed" = 0 ]
}

case ${1:-} in
    source) [ $# -eq 2 ] || die "usage: dkms.sh source DIR"; export_source "$2" ;;
    add) add ;;
    remove) remove ;;
    check) check "${2:-plain}" ;;
    *) die "usage: dkms.sh source DIR | add | remove | check FLAVOUR" ;;
esac
