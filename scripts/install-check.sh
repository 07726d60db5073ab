#!/usr/bin/env bash
# The install, checked on the host and staged for the test VM: installs
# Lunatik (its own `make modules_install`) and luasync (`make install`) into
# build/install-FLAVOUR/ as they would go into /, checks the layout and
# depmod's modules.dep, checks that `make uninstall` takes luasync's files
# away and leaves Lunatik's, then installs again. The VM's `install` suite
# runs modprobe on that tree (vm.sh with INITRAMFS_OVERLAY pointing at it).
#
#   scripts/install-check.sh FLAVOUR
#
# Prints TAP and closes with "install: N passed, N failed"; the commands'
# output is in build/install-FLAVOUR.log.
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

flavour=${1:-plain}
kdir=$(kernel_dir "$flavour")
moddir=$BUILD/module-$flavour
stage=$BUILD/install-$flavour
log=$BUILD/install-$flavour.log
release=$(cat "$kdir/include/config/kernel.release" 2>/dev/null) ||
    die "no $flavour test kernel in $kdir (run: scripts/kernel.sh $flavour)"
[ -f "$moddir/luasync.ko" ] || die "no $moddir/luasync.ko (run: scripts/module.sh $flavour)"
lunatik=$(lunatik_dir "$flavour")
modlib=$stage/lib/modules/$release

n=0 failed=0
pass() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { n=$((n + 1)) failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { # NAME COMMAND...: a result from the command's status
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name"; fi
}
# Runs a command with its output in the log; on failure shows the log's tail.
logged() {
    echo "\$ $*" >>"$log"
    if "$@" >>"$log" 2>&1; then return 0; fi
    tail -n 20 "$log" | sed 's/^/# /'
    return 1
}
make_install() { # install | uninstall
    logged make -C "$TOP" --no-print-directory "$1" KDIR="$kdir" MODULE_DIR="$moddir" DESTDIR="$stage"
}
dep_line() { grep -s "^$1:" "$modlib/modules.dep"; }

rm -rf "$stage"
: >"$log"
echo "# staging root: $stage (kernel $release)"

# What the kernel's own modules_install leaves there (the test kernel has no
# modules of its own), so that depmod finds its usual files.
mkdir -p "$modlib"
for f in modules.order modules.builtin modules.builtin.modinfo; do
    if [ -f "$kdir/$f" ]; then cp "$kdir/$f" "$modlib/"; fi
done

check "Lunatik's make modules_install puts lunatik.ko in kernel/lunatik/" \
    eval 'logged make -C "$lunatik" --no-print-directory modules_install MODULES_PATH="$stage/lib/modules" \
        KERNEL_RELEASE="$release" INSTALL=install && [ -f "$modlib/kernel/lunatik/lunatik.ko" ]'

check "make install DESTDIR=... installs luasync.ko as extra/luasync.ko" \
    eval 'make_install install && cmp -s "$moddir/luasync.ko" "$modlib/extra/luasync.ko"'

if grep -q 'needs unknown symbol' "$log"; then
    fail "depmod finds every symbol luasync.ko needs in the kernel and Lunatik"
    grep 'needs unknown symbol' "$log" | head -n 5 | sed 's/^/# /'
else
    pass "depmod finds every symbol luasync.ko needs in the kernel and Lunatik"
fi

want="extra/luasync.ko: kernel/lunatik/lunatik.ko"
got=$(dep_line extra/luasync.ko || true)
if [ "$got" = "$want" ]; then pass "modules.dep: $want"
else fail "modules.dep says '$got', '$want' expected"; fi

examples=$stage/lib/modules/lua/luasync/examples
check "the Lua examples are in /lib/modules/lua/luasync/examples/, as in the tree" \
    diff -r "$TOP/lua/examples" "$examples"

types=$stage/lib/modules/lua/luasync/types
stubs=("$TOP"/lua/types/*.lua)
if [ -f "${stubs[0]}" ]; then
    check "the type stubs (lua/types/) are in /lib/modules/lua/luasync/types/" \
        eval 'for s in "${stubs[@]}"; do cmp -s "$s" "$types/$(basename "$s")" || exit 1; done'
else
    check "no lua/types/ in the tree: no type stubs installed" test ! -e "$types"
fi

check "make uninstall removes luasync.ko, the examples and the stubs" \
    eval 'make_install uninstall && [ ! -e "$modlib/extra/luasync.ko" ] && [ ! -e "$examples" ] && [ ! -e "$types" ]'
if dep_line extra/luasync.ko >/dev/null; then
    fail "after make uninstall, modules.dep no longer lists luasync"
else
    pass "after make uninstall, modules.dep no longer lists luasync"
fi
check "make uninstall leaves Lunatik's modules installed" \
    eval '[ -f "$modlib/kernel/lunatik/lunatik.ko" ] && dep_line kernel/lunatik/lunatik.ko >/dev/null'

# Again, for the VM.
check "make install again (the tree the VM's install suite uses)" \
    eval 'make_install install && dep_line extra/luasync.ko >/dev/null'

echo "install: $((n - failed)) passed, $failed failed"
[ "$failed" = 0 ]
