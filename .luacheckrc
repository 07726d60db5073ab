-- luacheck configuration: every Lua file of luasync runs in Lunatik's kernel
-- Lua 5.5 (its README: no os, integer-only math, a small io).
std = "lua54"
read_globals = {"_LUNATIK_VERSION"}
not_globals = {
	"os", "debug.debug",
	"io.close", "io.input", "io.output", "io.popen", "io.read", "io.stderr",
	"io.stdin", "io.stdout", "io.tmpfile", "io.write",
	"math.acos", "math.asin", "math.atan", "math.ceil", "math.cos", "math.deg",
	"math.exp", "math.floor", "math.fmod", "math.huge", "math.log", "math.modf",
	"math.pi", "math.rad", "math.random", "math.randomseed", "math.sin",
	"math.sqrt", "math.tan", "math.type",
}
max_line_length = 120
exclude_files = {"build/", "tests/host/target/"}

-- Type stubs declare; they never run, so nothing in them is used or set.
files["lua/types"] = {ignore = {"2"}}
files["tests/lint/untyped"] = {ignore = {"2"}}
-- Every suite is called with the env table, whether it needs it or not.
files["tests/lua"] = {ignore = {"211/env"}}

-- Values dropped on purpose (set to nil so the collector takes them).
files["tests/lunatik/hostile.lua"] = {ignore = {"311"}}
files["tests/faults/failslab.lua"] = {ignore = {"311"}}
