# shellcheck shell=sh
# Lunatik in the test VM: loading its modules and running a Lua file inside
# it through /dev/lunatik. Sourced (busybox sh) by the suites `lunatik` and
# `examples`; needs LUNATIK_MODDIR (set by the guest's /init with LUNATIK=1).
#
# How a file runs: lunatik_run.ko starts Lunatik's driver.lua, which makes
# /dev/lunatik. A write to it is one Lua chunk, run in the driver's process-
# context runtime; the next read returns the chunk's results. The chunk that
# lunatik_exec writes puts the file's source and name in lunatik._ENV, makes a
# runtime of tests/lunatik/filehost.lua (with luasync_testlib.runtime, see
# tests/lunatik/testlib.c), runs it on a kernel thread, waits for its output
# and stops thread and runtime; the output's last line is a status marker:
# "done", or what went wrong. So every file runs in a fresh runtime on a
# kernel thread, and the driver runtime itself never loads luasync.
#
# A suite file ("env" mode) is called with the `env` table of
# tests/lua/README, built by tests/lunatik/env.lua (installed in the VM as
# the Lua module luasync.lunatik.env); the workers it spawned and left
# running are stopped afterwards, and that is a failure. An example ("plain"
# mode) is run as it is, its printed lines being its output.

# Lunatik's modules in load order (its completion module is left out:
# luasync.ko exports the same luaopen_completion).
LUNATIK_MODULES="lunatik luadevice lualinux luarcu luathread luadata luafifo lunatik_run"
# The Lua tests' own support library (tests/lunatik/testlib.c).
LUNATIK_TESTLIB=luasync_testlib
LUNATIK_DEVICE=${LUNATIK_DEVICE:-/dev/lunatik}
LUNATIK_MARKER="# luasync-lunatik:"

# Loads what is not loaded yet, in order; says what failed on stdout.
lunatik_load() {
    for m in $LUNATIK_MODULES; do
        grep -q "^$m " /proc/modules && continue
        if ! err=$(insmod "$LUNATIK_MODDIR/$m.ko" 2>&1); then
            echo "insmod $m: $err"
            return 1
        fi
    done
    if ! grep -q "^$LUNATIK_TESTLIB " /proc/modules &&
       ! err=$(insmod "$MODDIR/$LUNATIK_TESTLIB.ko" 2>&1); then
        echo "insmod $LUNATIK_TESTLIB: $err"
        return 1
    fi
    # driver.lua makes the device while lunatik_run loads; devtmpfs may add
    # the node a moment later: poll for it, 10 s at most.
    i=0
    while [ ! -e "$LUNATIK_DEVICE" ]; do
        i=$((i + 1))
        if [ "$i" -gt 100 ]; then
            echo "no $LUNATIK_DEVICE after loading lunatik_run"
            return 1
        fi
        sleep 0.1
    done
}

# lunatik_wrap FILE NAME MODE SECONDS: prints the chunk that runs FILE as
# NAME in MODE ("env" or "plain"), stopping it after SECONDS.
lunatik_wrap() {
    # A long-bracket level the file does not contain.
    level=
    while grep -qF "]$level]" "$1"; do level="$level="; done
    echo "local source = [$level["
    cat "$1"
    echo "]$level]"
    cat <<EOF
local name, mode, limit_ms = "$2", "$3", $4 * 1000
local marker = "$LUNATIK_MARKER"
local lunatik = require("lunatik")
local thread = require("thread")
local linux = require("linux")
local strings = require("luasync.lunatik.strings")
local testlib = require("luasync_testlib")
local shared = lunatik._ENV
local keys = {"luasync.file.name", "luasync.file.mode", "luasync.file.marker",
	"luasync.file.source", "luasync.file.out", "luasync.file.done"}
local function putstring(key, s)
	shared[key] = strings.pack(s)
end
for _, k in ipairs(keys) do shared[k] = nil end
putstring("luasync.file.name", name)
putstring("luasync.file.mode", mode)
putstring("luasync.file.marker", marker)
putstring("luasync.file.source", source)
local runtime, err = testlib.runtime("luasync/lunatik/filehost")
if runtime == nil then
	return marker .. " the file's runtime could not be made: " .. tostring(err)
end
local made, th = pcall(thread.run, runtime, "luasync_file")
if not made then
	testlib.stop(runtime)
	return marker .. " the file's thread could not be started: " .. tostring(th)
end
local waited = 0
while shared["luasync.file.done"] == nil and waited < limit_ms do
	linux.schedule(10)
	waited = waited + 10
end
th:stop()
testlib.stop(runtime)
local out = shared["luasync.file.out"]
for _, k in ipairs(keys) do shared[k] = nil end
if out == nil then
	return marker .. " did not finish within " .. limit_ms // 1000 .. " s (stopped)"
end
return strings.unpack(out)
EOF
}

# lunatik_exec FILE NAME MODE SECONDS: runs FILE in Lunatik, prints its
# output, the marker line last. Fails unless the marker says "done".
lunatik_exec() {
    chunk=/tmp/lunatik-chunk.lua
    lunatik_wrap "$1" "$2" "$3" "$4" >"$chunk"
    size=$(wc -c <"$chunk")
    # One write(2) is one chunk: write the whole file at once. The chunk
    # stops the file after SECONDS; the shell gives it a minute more.
    if ! err=$(timeout $(($4 + 60)) dd if="$chunk" of="$LUNATIK_DEVICE" bs="$size" count=1 2>&1); then
        echo "$LUNATIK_MARKER did not finish within ${4}s, or the write failed: $(echo "$err" | tail -n 1)"
        return 1
    fi
    # One read returns the whole result (at most 1 MiB here).
    result=$(dd if="$LUNATIK_DEVICE" bs=1048576 count=1 2>/dev/null)
    printf '%s\n' "$result"
    case $result in
        *"$LUNATIK_MARKER done") return 0 ;;
        *"$LUNATIK_MARKER "*) return 1 ;;
        *) echo "$LUNATIK_MARKER failed in the driver (no status line in its result)"; return 1 ;;
    esac
}


# lunatik_results OUT NAME STATUS PREFIX: the TAP results of a file's output
# OUT (from lunatik_exec, which ended with STATUS), renumbered after the
# suite's count $n, each after PREFIX; other lines become comments. Adds a
# failure when the file ended badly, printed no result or fewer than its
# plan, and sets n to the new count.
lunatik_results() {
    awk -v start="$n" -v name="$2" -v status="$3" -v prefix="$4" -v marker="$LUNATIK_MARKER" '
        BEGIN { n = start }
        function result(ok, text) { n++; print ok " " n " - " text }
        index($0, marker) == 1 { end = substr($0, length(marker) + 2); next }
        /^(not )?ok([ \t]|$)/ {
            ok = ($0 ~ /^not /) ? "not ok" : "ok"
            text = $0
            sub(/^(not )?ok[ \t]*[0-9]*[ \t]*(-[ \t]*)?/, "", text)
            result(ok, prefix text); seen++; next
        }
        /^[ \t]*1\.\.[0-9]+/ { plan = $0; sub(/^[ \t]*1\.\./, "", plan); plan += 0; next }
        /^#/ { print; next }
        { print "# " $0 }
        END {
            if (status != 0) result("not ok", name ": " end)
            else if (seen == 0) result("not ok", name ": printed no result")
            if (plan > seen) result("not ok", name ": " plan - seen " of its " plan " planned results missing")
            print "COUNT " n > "/tmp/lunatik-count"
        }' "$1"
    n=$(sed -n 's/^COUNT //p' /tmp/lunatik-count)
}
