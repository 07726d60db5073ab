#!/usr/bin/env bash
# Builds the test kernel of a flavour (plain | debug) into build/kernel-FLAVOUR
# from Debian's newest linux-source-6.12, tinyconfig plus the fragments in
# scripts/kconfig/. Cached: it rebuilds only when the source version, a
# fragment, the compiler choice or the Rust toolchain changes.
. "$(dirname "$0")/common.sh"

flavour=${1:-plain}
case $flavour in
    plain) fragments=("$TOP/scripts/kconfig/base.config") ;;
    debug) fragments=("$TOP/scripts/kconfig/base.config" "$TOP/scripts/kconfig/debug.config") ;;
    *) die "unknown kernel flavour '$flavour' (plain or debug)" ;;
esac

tarball=/usr/src/linux-source-6.12.tar.xz
[ -f "$tarball" ] || die "no $tarball (apt-get install linux-source-6.12)"
version=$(dpkg-query -W -f='${Version}' linux-source-6.12)
src="$BUILD/src/linux-source-6.12-$version"
out=$(kernel_dir "$flavour")
llvm=$(kernel_llvm_flag "$flavour")
rustc_bin=${RUSTC:-rustc}
[ -f "$BUILD/toolchain.mk" ] && rustc_bin=/usr/bin/rustc
rustc_version=$("$rustc_bin" --version)

# What the kernel depends on: the options the fragments set (comments, order and
# repeats do not matter), the source version, the compiler and rustc.
stamp=$( { echo "$version $llvm $rustc_version"; grep -h '^CONFIG_' "${fragments[@]}" | sort -u; } |
    sha256sum | cut -c1-16)
if [ -f "$out/arch/x86/boot/bzImage" ] && [ "$(cat "$out/.luasync-stamp" 2>/dev/null)" = "$stamp" ]; then
    exit 0
fi

if [ ! -f "$src/Makefile" ]; then
    say "unpacking linux-source-6.12 $version"
    rm -rf "$BUILD/src" && mkdir -p "$BUILD/src"
    tar -xf "$tarball" -C "$BUILD/src"
    mv "$BUILD/src/linux-source-6.12" "$src"
fi

kmake=(make -C "$src" O="$out" ARCH=x86_64 -j"$JOBS" $llvm)
[ "$rustc_bin" = rustc ] || kmake+=(RUSTC="$rustc_bin")

say "building the $flavour test kernel (${llvm:-GCC}); this takes a few minutes"
mkdir -p "$out"
rm -f "$out/.luasync-stamp"
"${kmake[@]}" -s tinyconfig >/dev/null
"${kmake[@]}" -s rustavailable >/dev/null ||
    die "the kernel cannot use this Rust toolchain: $("${kmake[@]}" rustavailable 2>&1 | tail -n1)"
KCONFIG_CONFIG="$out/.config" "$src/scripts/kconfig/merge_config.sh" -m -O "$out" \
    "$out/.config" "${fragments[@]}" >/dev/null
"${kmake[@]}" -s olddefconfig >/dev/null

# A fragment line that did not survive olddefconfig is a broken bench.
for f in "${fragments[@]}"; do
    while IFS= read -r line; do
        case $line in
            CONFIG_*=n) ! grep -q "^${line%=n}=" "$out/.config" ||
                        die "$flavour kernel: ${line%=n} is on, $(basename "$f") wants it off" ;;
            CONFIG_*) grep -qx "$line" "$out/.config" || die "$flavour kernel: '$line' from $(basename "$f") did not take" ;;
        esac
    done < "$f"
done

"${kmake[@]}" -s >/dev/null
echo "$stamp" > "$out/.luasync-stamp"
say "$flavour test kernel ready: $out/arch/x86/boot/bzImage"
