# shellcheck shell=sh
# Lunatik in the test VM: loading its modules and running a Lua file inside
# it through /dev/lunatik. Sourced (busybox sh) by the suites `lunatik` and
# `examples`; needs LUNATIK_MODDIR (set by the guest's /init with LUNATIK=1).
#
# How a file runs: lunatik_run.ko starts Lunatik's driver.lua, which makes
# /dev/lunatik. A write to it is one Lua chunk, run in the driver's process-
# context runtime (it may sleep); the next read returns the chunk's results,
# tab-joined, or its error message. So each file is sent wrapped: inside a
# long string, loaded with a fresh global table (reads fall through to the
# runtime's globals), with `print` collecting lines, run under pcall, and the
# whole output returned as one string whose last line is a status marker:
# "done", or what went wrong.
#
# A suite file ("env" mode) is called with the `env` table of
# tests/lua/README, built by tests/lunatik/env.lua (installed in the VM as
# the Lua module luasync.lunatik.env); the workers it spawned and left
# running are stopped afterwards, and that is a failure. An example ("plain"
# mode) is run as it is, its printed lines being its output.

# Lunatik's modules in load order (its completion module is left out:
# luasync.ko exports the same luaopen_completion).
LUNATIK_MODULES="lunatik luadevice lualinux luarcu luathread luadata luafifo lunatik_run"
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

# lunatik_wrap FILE NAME MODE: prints the chunk that runs FILE as NAME, MODE
# being "env" (a suite file) or "plain" (an example).
lunatik_wrap() {
    # A long-bracket level the file does not contain.
    level=
    while grep -qF "]$level]" "$1"; do level="$level="; done
    cat <<EOF
local name, mode = "$2", "$3"
local out = {}
local function collect(...)
	local n = select("#", ...)
	local t = {}
	for i = 1, n do t[i] = tostring((select(i, ...))) end
	out[#out + 1] = table.concat(t, "\t")
end
local source = [${level}[
EOF
    cat "$1"
    cat <<EOF

]${level}]
local function run()
	local env, close = nil, nil
	if mode == "env" then
		local made, lib = pcall(require, "luasync.lunatik.env")
		if not made then return "the env could not be made: " .. tostring(lib) end
		env, close = lib.new({print = collect, name = name})
	end
	local globals = setmetatable({print = collect, env = env}, {__index = _G})
	local chunk, err = load(source, "@" .. name, "t", globals)
	local status = "done"
	if not chunk then
		status = "could not be loaded: " .. tostring(err)
	else
		local ok, e = pcall(chunk, env)
		if not ok then status = "raised: " .. tostring(e) end
	end
	if close then
		local left = close()
		if status == "done" and left > 0 then
			status = "left " .. left .. " spawned thread(s) running (stopped them)"
		end
	end
	return status
end
local ok, status = pcall(run)
if not ok then status = "runner error: " .. tostring(status) end
out[#out + 1] = "$LUNATIK_MARKER " .. status
return table.concat(out, "\n")
EOF
}

# lunatik_exec FILE NAME MODE SECONDS: runs FILE in Lunatik, prints its
# output, the marker line last. Fails unless the marker says "done".
lunatik_exec() {
    chunk=/tmp/lunatik-chunk.lua
    lunatik_wrap "$1" "$2" "$3" >"$chunk"
    size=$(wc -c <"$chunk")
    # One write(2) is one chunk: write the whole file at once.
    if ! err=$(timeout "$4" dd if="$chunk" of="$LUNATIK_DEVICE" bs="$size" count=1 2>&1); then
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

# Collects garbage in the driver runtime, so that objects the files left
# behind are released (and luasync.ko can be unloaded if none leaked).
lunatik_collect() {
    printf 'collectgarbage("collect")\ncollectgarbage("collect")\nreturn "collected"\n' \
        >/tmp/lunatik-gc.lua
    timeout 30 dd if=/tmp/lunatik-gc.lua of="$LUNATIK_DEVICE" bs=4096 count=1 2>/dev/null &&
        [ "$(dd if="$LUNATIK_DEVICE" bs=4096 count=1 2>/dev/null)" = collected ]
}
