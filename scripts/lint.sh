#!/usr/bin/env bash
# Lints the Lua files, printing one TAP result per file and check, then
# "lint: N passed, N failed":
#   luacheck  every Lua file, with .luacheckrc (Lunatik's kernel Lua);
#   types     emmylua_check with .emmyrc.json: the examples and tests
#             type-check against the stubs in lua/types/, and each fixture in
#             tests/lint/fail/ fails with the diagnostic its "-- expect: CODE"
#             line names, so the check cannot pass by checking nothing;
#   ldoc      the reference (make doc) builds from the stubs without a warning;
#   rustfmt   every Rust file is formatted as the kernel's .rustfmt.toml says
#             (`make fmt` formats them).
# The .emmyrc.json turns off two diagnostics that are not about types:
# global-in-non-module (the test harness swaps print on purpose) and
# unnecessary-if (wrong about tests/lunatik/filehost.lua's flow).
. "$(dirname "$0")/common.sh"

EMMYLUA_CHECK_VERSION=0.25.1
OUT=$BUILD/lint

have=$(emmylua_check --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$EMMYLUA_CHECK_VERSION" ]; then
    command -v cargo >/dev/null || die "no cargo: install rustup's stable toolchain"
    say "installing emmylua_check $EMMYLUA_CHECK_VERSION"
    cargo install --locked --quiet "emmylua_check@$EMMYLUA_CHECK_VERSION" ||
        die "cannot install emmylua_check $EMMYLUA_CHECK_VERSION (cargo install --locked emmylua_check@$EMMYLUA_CHECK_VERSION)"
fi

cd "$TOP"
mkdir -p "$OUT"
n=0 failed=0

# result STATUS NAME [DETAILS]: STATUS 0 passes; DETAILS become diagnostics.
result() {
    n=$((n + 1))
    if [ "$1" = 0 ]; then
        echo "ok $n - $2"
    else
        failed=$((failed + 1))
        echo "not ok $n - $2"
        [ -z "${3:-}" ] || sed 's/^/# /' <<<"$3"
    fi
}

mapfile -t files < <(find . \( -path ./build -o -path ./.git \) -prune -o -name '*.lua' -print |
                     sed 's#^\./##' | sort)

# One luacheck run, its findings ("FILE:LINE:COL: (CODE) ...") sorted out
# by file. Exit status 1 is warnings, 2 errors; above that luacheck itself
# failed, and nothing it printed can pass for a clean file.
lc_status=0
lc=$(luacheck --codes --no-color --formatter plain "${files[@]}" 2>&1) || lc_status=$?
if [ "$lc_status" -gt 2 ]; then
    result 1 "luacheck: runs" "$lc"
fi
for f in "${files[@]}"; do
    out=$(awk -v f="$f:" 'index($0, f) == 1' <<<"$lc")
    [ -z "$out" ] && [ "$lc_status" -le 2 ] && status=0 || status=1
    result "$status" "luacheck: $f" "$out"
done

# One run over the workspace; its exit status counts the fixtures' failures
# too, so each file is judged from the JSON report instead.
emmylua_check --output-format json --warnings-as-errors . >"$OUT/types.json" 2>"$OUT/types.err" || true
if ! jq -e 'type == "array"' "$OUT/types.json" >/dev/null 2>&1; then
    result 1 "types: emmylua_check reports" "$(cat "$OUT/types.err")"
fi
for f in "${files[@]}"; do
    case $f in lua/types/* | tests/lint/untyped/*) continue ;; esac  # the stubs themselves
    # "code line: message" for each warning or error of the file.
    found=$(jq -r --arg f "$f" '.[] | select(.file | endswith("/" + $f)) | .diagnostics[]
        | select(.severity <= 2) | "\(.code) \(.range.start.line + 1): \(.message)"' \
        "$OUT/types.json" 2>/dev/null || true)
    if ! jq -e --arg f "$f" 'any(.[]; .file | endswith("/" + $f))' "$OUT/types.json" >/dev/null 2>&1; then
        result 1 "types: $f" "not checked by emmylua_check"
    elif [[ $f == tests/lint/fail/* ]]; then
        expect=$(sed -n '1s/^-- expect: //p' "$f")
        others=$(grep -v "^$expect " <<<"$found" || true)
        [ -n "$expect" ] && grep -q "^$expect " <<<"$found" && [ -z "$others" ] && status=0 || status=1
        result "$status" "types: $f fails with $expect" "${found:-no diagnostic}"
    else
        [ -z "$found" ] && status=0 || status=1
        result "$status" "types: $f" "$found"
    fi
done

out=$(ldoc --dir "$OUT/doc" . 2>&1) && status=0 || status=1
warnings=$(grep -v -e '^reading configuration from ' -e '^output written to ' <<<"$out" || true)
[ -z "$warnings" ] || status=1
result "$status" "ldoc: the reference builds without a warning" "$warnings"

# The kernel's rustfmt configuration, from the same linux-source the test
# kernel is built from.
rustfmt_toml=$OUT/rustfmt.toml
if [ ! -f "$rustfmt_toml" ]; then
    tar -xOf /usr/src/linux-source-6.12.tar.xz linux-source-6.12/.rustfmt.toml >"$rustfmt_toml.tmp" &&
        mv "$rustfmt_toml.tmp" "$rustfmt_toml"
fi
mapfile -t rust_files < <(git ls-files '*.rs' 2>/dev/null || find rust tests -name '*.rs')
# One rustfmt run; it names each file it would change ("Diff in PATH:LINE:",
# PATH absolute), and the diff follows until the next such line. A failure
# with no diff (a file that does not parse) fails as a whole.
rf_status=0
rf=$(rustfmt --edition 2021 --config-path "$rustfmt_toml" --color never --check \
     "${rust_files[@]}" 2>&1) || rf_status=$?
if [ "$rf_status" -ne 0 ] && ! grep -q '^Diff in ' <<<"$rf"; then
    result 1 "rustfmt: runs" "$(head -n 20 <<<"$rf")"
fi
for f in "${rust_files[@]}"; do
    out=$(awk -v f="Diff in $PWD/$f:" 'index($0, "Diff in ") == 1 { on = index($0, f) == 1 } on' <<<"$rf")
    [ -z "$out" ] && status=0 || status=1
    result "$status" "rustfmt: $f" "$(head -n 20 <<<"$out")"
done

echo "lint: $((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
