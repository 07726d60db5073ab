#!/usr/bin/env bash
# Packs the initramfs of the test VM: busybox-static and its applets, the
# guest's /init, the modules under test, the suites, the Lua examples, and
# Lunatik's modules and Lua files (from lunatik_dir: LUNATIK_DIR, or the
# pinned Lunatik built for this kernel) where Lunatik's own install puts them.
#
#   scripts/initramfs.sh FLAVOUR OUTPUT.cpio.gz SUITE...
#
# Guest layout:
#   /init, /etc/luasync.conf            scripts/guest/init and its settings
#   /lib/modules/luasync/*.ko           the modules under test ($MODDIR)
#   /tests/<suite>/, /tests/lua/        the suites and the Lua contract files
#   /lua/examples/                      lua/examples/
#   /lib/modules/<release>/lunatik/     Lunatik's modules ($LUNATIK_MODDIR)
#   /lib/modules/lua/                   Lunatik's Lua files (its LUA_ROOT)
#   /lib/modules/lua/luasync/           tests/lunatik/, tests/lua/,
#                                       tests/torture/ and lua/examples/, for
#                                       scripts that a Lunatik runtime loads
#                                       by name
# With INITRAMFS_OVERLAY set (an absolute path), that directory's tree is
# copied over the guest's root last (a staged `make install`:
# lib/modules/<release>/ with depmod's files, for modprobe).
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

[ $# -ge 2 ] || die "usage: initramfs.sh FLAVOUR OUTPUT.cpio.gz SUITE..."
flavour=$1 output=$2
shift 2
suites=("$@")

kdir=$(kernel_dir "$flavour")
moddir=${MODULE_DIR:-$BUILD/module-$flavour}
release=$(cat "$kdir/include/config/kernel.release" 2>/dev/null) ||
    die "no kernel release in $kdir (build the $flavour kernel first)"
busybox=/bin/busybox
[ -x "$busybox" ] || die "no $busybox (apt-get install busybox-static)"
! readelf -l "$busybox" | grep -q 'program interpreter' ||
    die "$busybox is not statically linked (apt-get install busybox-static)"

stage=${output%.cpio.gz}.d
rm -rf "$stage"
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,tests,lua}
cd "$stage" || exit 1

install -m 0755 "$busybox" bin/busybox
"$busybox" --list-full | while read -r applet; do
    [ -e "$applet" ] || ln -s /bin/busybox "$applet"
done
install -m 0755 "$TOP/scripts/guest/init" init

# The modules under test; a missing one is the suite's to report. An empty
# modules.dep lets busybox's modinfo read a module file.
mkdir -p lib/modules/luasync "lib/modules/$release"
: >"lib/modules/$release/modules.dep"
for ko in luasync luasync_selftest luasync_bench luasync_testlib; do
    if [ -f "$moddir/$ko.ko" ]; then install -m 0644 "$moddir/$ko.ko" lib/modules/luasync/; fi
done

# Suites: every directory of tests/ except the host crate, sources of the
# test modules included (small, and harmless to the guest).
copy_tree() { # SRC DST: a directory without build products
    rsync -a --exclude='*.o' --exclude='*.ko' --exclude='*.cmd' --exclude='*.mod*' \
        --exclude='target/' "$1/" "$2/"
}
for d in "$TOP"/tests/*/; do
    name=$(basename "$d")
    [ "$name" = host ] || copy_tree "$d" "tests/$name"
done
if [ -d "$TOP/lua/examples" ]; then copy_tree "$TOP/lua/examples" lua/examples; fi

lunatik_moddir=/lib/modules/$release/lunatik
src=$(lunatik_dir "$flavour")
ls "$src"/lunatik.ko >/dev/null 2>&1 || die "no lunatik.ko in $src: build Lunatik for the $flavour kernel first"
mkdir -p ".$lunatik_moddir"
install -m 0644 "$src"/*.ko "$src"/lib/*.ko ".$lunatik_moddir/"
# The Lua side, as Lunatik's scripts_install lays it out.
root=lib/modules/lua
mkdir -p "$root"
for f in driver.lua lib/class.lua lib/mailbox.lua lib/net.lua lib/struct.lua \
         lib/netlink.lua lib/util.lua lib/lighten.lua; do
    if [ -f "$src/$f" ]; then install -m 0644 "$src/$f" "$root/"; fi
done
for d in lunatik socket netlink netlink/rt netlink/nl80211 syscall crypto bpf; do
    if ls "$src/lib/$d"/*.lua >/dev/null 2>&1; then
        mkdir -p "$root/$d" && install -m 0644 "$src/lib/$d"/*.lua "$root/$d/"
    fi
done
for d in linux lunatik; do
    if ls "$src/autogen/$d"/*.lua >/dev/null 2>&1; then
        mkdir -p "$root/$d" && install -m 0644 "$src/autogen/$d"/*.lua "$root/$d/"
    fi
done
[ -f "$root/driver.lua" ] || die "no driver.lua in $src: LUNATIK_DIR must be a Lunatik source tree"
# luasync's own scripts, reachable as require/runtime names luasync.*.
mkdir -p "$root/luasync"
for d in tests/lunatik tests/lua tests/torture lua/examples; do
    if [ -d "$TOP/$d" ]; then copy_tree "$TOP/$d" "$root/luasync/$(basename "$d")"; fi
done

if [ -n "${INITRAMFS_OVERLAY:-}" ]; then
    [ -d "$INITRAMFS_OVERLAY" ] || die "INITRAMFS_OVERLAY=$INITRAMFS_OVERLAY is not a directory"
    rsync -a "$INITRAMFS_OVERLAY/" ./
fi

kmemleak=0
[ "$flavour" = debug ] && kmemleak=1
cat >etc/luasync.conf <<EOF
SUITES="${suites[*]}"
MODDIR=/lib/modules/luasync
LUNATIK_MODDIR=$lunatik_moddir
KMEMLEAK=$kmemleak
EOF
# Settings of the suites (all counts), passed on when set on the host.
for v in $GUEST_SETTINGS; do
    eval "value=\${$v:-}"
    case $value in *[!0-9]*) die "$v must be a non-negative integer, got '$value'" ;; esac
    if [ -n "$value" ]; then echo "$v=$value" >>etc/luasync.conf; fi
done

find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --owner=0:0 --quiet | gzip -1 >"$output.tmp"
mv "$output.tmp" "$output"
