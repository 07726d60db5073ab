#!/usr/bin/env bash
# `make install` and `make uninstall`: luasync.ko where modprobe finds it,
# and the Lua files a user needs, laid out as Lunatik's own `make install`
# lays out its own (modules under /lib/modules/<release>/, Lua scripts under
# /lib/modules/lua/, Lunatik's LUA_ROOT).
#
#   scripts/install.sh install | uninstall
#
# What goes where, under the staging root ROOT=$DESTDIR$INSTALL_MOD_PATH
# (DESTDIR as packagers name it, INSTALL_MOD_PATH as the kernel's
# modules_install does; both empty: /):
#   ROOT/lib/modules/<release>/$INSTALL_MOD_DIR/luasync.ko     (extra/)
#   ROOT$LUA_ROOT/luasync/examples/     lua/examples/, under the names the
#                                       examples load their thread bodies by
#   ROOT$LUA_ROOT/luasync/types/        lua/types/*.lua, the editor type
#                                       stubs, next to the Lua files; never
#                                       at the top of LUA_ROOT, where a stub
#                                       named completion.lua would shadow the
#                                       C library in every `require`
# then depmod for <release> on ROOT: modules.dep then says that luasync needs
# lunatik, so `modprobe luasync` loads Lunatik's module first. Lunatik's own
# `make install` puts its modules in kernel/lunatik/ of the same release.
#
# Environment (set by the Makefile): MODULE_DIR (holds the built luasync.ko),
# KDIR, DESTDIR, INSTALL_MOD_PATH, INSTALL_MOD_DIR, LUA_ROOT, and
# KERNEL_RELEASE (default: the release luasync.ko was built for on install,
# KDIR's on uninstall).
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

action=${1:-}
case $action in
    install | uninstall) ;;
    *) die "usage: install.sh install | uninstall" ;;
esac

module_dir=${MODULE_DIR:-$TOP}
ko=$module_dir/luasync.ko
kdir=${KDIR:-/lib/modules/$(uname -r)/build}
root=${DESTDIR:-}${INSTALL_MOD_PATH:-}
mod_dir=${INSTALL_MOD_DIR:-extra}
lua_root=${LUA_ROOT:-/lib/modules/lua}
types_dir=$root$lua_root/luasync/types

kdir_release=$(cat "$kdir/include/config/kernel.release" 2>/dev/null || true)
release=${KERNEL_RELEASE:-}
if [ -z "$release" ] && [ "$action" = install ]; then
    [ -f "$ko" ] || die "no $ko: build it first (make), or point MODULE_DIR at it"
    release=$(modinfo -F vermagic "$ko" | cut -d' ' -f1)
    [ -n "$release" ] || die "$ko has no vermagic: not a kernel module"
fi
release=${release:-$kdir_release}
[ -n "$release" ] || die "no kernel release: KDIR=$kdir has no include/config/kernel.release (pass KDIR or KERNEL_RELEASE)"
modlib=$root/lib/modules/$release

# depmod for the release, on the staging root when there is one; with the
# kernel's System.map, it also names any symbol no installed module provides
# (luasync's Lunatik symbols, when Lunatik is not installed for the release).
run_depmod() {
    [ -d "$modlib" ] || return 0
    local args=(-a)
    [ -n "$root" ] && args+=(-b "$root")
    local map=
    if [ "$kdir_release" = "$release" ] && [ -f "$kdir/System.map" ]; then map=$kdir/System.map
    elif [ -f "/boot/System.map-$release" ]; then map=/boot/System.map-$release; fi
    [ -n "$map" ] && args+=(-e -F "$map")
    say "depmod ${args[*]} $release"
    depmod "${args[@]}" "$release"
}

if [ "$action" = install ]; then
    [ -f "$ko" ] || die "no $ko: build it first (make), or point MODULE_DIR at it"
    say "installing luasync.ko for $release into $modlib/$mod_dir/"
    install -D -m 0644 "$ko" "$modlib/$mod_dir/luasync.ko"

    if [ -d "$TOP/lua/examples" ]; then
        dest=$root$lua_root/luasync/examples
        say "installing the Lua examples into $dest/"
        rm -rf "$dest"
        (cd "$TOP/lua/examples" && find . -name '*.lua' -print0) |
            while IFS= read -r -d '' f; do
                install -D -m 0644 "$TOP/lua/examples/$f" "$dest/${f#./}"
            done
    fi

    stubs=("$TOP"/lua/types/*.lua)
    if [ -f "${stubs[0]}" ]; then
        say "installing the Lua type stubs into $types_dir/"
        install -d "$types_dir"
        install -m 0644 "${stubs[@]}" "$types_dir/"
    fi

    if ! find "$modlib" -name 'lunatik.ko*' -print -quit | grep -q .; then
        say "warning: no lunatik.ko under $modlib: modprobe luasync needs Lunatik installed for $release (its make install)"
    fi
    run_depmod
else
    say "removing luasync's files for $release from $modlib/$mod_dir/, $root$lua_root/luasync/ and $types_dir/"
    rm -f "$modlib/$mod_dir/luasync.ko"
    rm -rf "$root$lua_root/luasync/examples" "$types_dir"
    rmdir "$root$lua_root/luasync" 2>/dev/null || true
    run_depmod
fi
