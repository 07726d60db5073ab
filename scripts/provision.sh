#!/usr/bin/env bash
# Installs what the bench needs, idempotently: Debian packages (lua5.4 runs
# Lunatik's code generator; lua-check, lua-ldoc, lua-markdown and jq serve
# scripts/lint.sh and make doc; dkms serves make dkms-check; gnuplot-nox draws
# make bench's plots and binutils' c++filt demangles its profiles), rust-src
# and bindgen-cli. Present tools are not reinstalled.
. "$(dirname "$0")/common.sh"

PACKAGES=(linux-source-6.12 gcc make flex bison bc libelf-dev libssl-dev cpio
          xz-utils kmod rsync busybox-static qemu-system-x86 "libclang-$LLVM_VERSION-dev"
          "clang-$LLVM_VERSION" "lld-$LLVM_VERSION" "llvm-$LLVM_VERSION" lua5.4
          lua-check lua-ldoc lua-markdown jq dkms gnuplot-nox binutils)

mkdir -p "$BUILD"
missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || die "missing Debian packages: ${missing[*]} (run: sudo apt-get install ${missing[*]})"
    say "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The Rust toolchain: rustup's stable with rust-src, or Debian's rustc-web
# (which ships its sources) as the fallback when rust-src cannot be had.
if [ -z "${RUSTC:-}" ]; then
    command -v rustc >/dev/null || die "no rustc: install rustup (https://rustup.rs) or Debian's rustc-web"
    sysroot=$(rustc --print sysroot)
    if [ ! -d "$sysroot/lib/rustlib/src/rust/library/core" ]; then
        if ! { command -v rustup >/dev/null && rustup component add rust-src >/dev/null 2>&1; }; then
            say "rust-src not available through rustup; falling back to Debian's rustc-web"
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rustc-web rust-web-src >/dev/null ||
                die "cannot get Rust sources: install rustup's rust-src or Debian's rustc-web + rust-web-src"
            echo "RUSTC=/usr/bin/rustc" > "$BUILD/toolchain.mk"
        fi
    fi
fi

have=$(bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$BINDGEN_VERSION" ]; then
    command -v cargo >/dev/null || die "no cargo: install rustup's stable toolchain"
    say "installing bindgen-cli $BINDGEN_VERSION"
    cargo install --locked --quiet "bindgen-cli@$BINDGEN_VERSION" ||
        die "cannot install bindgen-cli $BINDGEN_VERSION (cargo install --locked bindgen-cli@$BINDGEN_VERSION)"
fi
