-- The runtime script that runs one Lua file of the tests (or an example) in
-- the test VM, loaded as "luasync/lunatik/filehost" by the chunk that
-- tests/lunatik/lunatik.sh writes to /dev/lunatik.
--
-- Each file gets a process-context runtime of its own, run on a kernel thread
-- as a Lunatik user's script would be: the driver runtime behind /dev/lunatik
-- never loads a luasync library itself, so once the file's runtime is stopped
-- nothing of the file holds luasync.ko any more.
--
-- While it loads it takes its request from lunatik._ENV (see lunatik.sh);
-- the body it returns runs the file, under pcall, with print collecting the
-- lines it prints, and, in "env" mode (a suite file), called with the env of
-- tests/lua/README; then it publishes the output, whose last line is the
-- status marker ("done", or what went wrong), and sleeps until
-- thread.shouldstop().

local lunatik = require("lunatik")
local thread = require("thread")
local linux = require("linux")
local strings = require("luasync.lunatik.strings")

local shared = lunatik._ENV

local function getstring(key)
	local t = shared[key]
	return t and strings.unpack(t)
end

local function putstring(key, s)
	shared[key] = strings.pack(s)
end

local name = getstring("luasync.file.name")
local mode = getstring("luasync.file.mode")
local marker = getstring("luasync.file.marker")
local source = getstring("luasync.file.source")
assert(name and mode and marker and source, "filehost: no request in lunatik._ENV")

local out = {}
local function collect(...)
	local n = select("#", ...)
	local t = {}
	for i = 1, n do
		t[i] = tostring((select(i, ...)))
	end
	out[#out + 1] = table.concat(t, "\t")
end

local function run()
	local env, close = nil, nil
	if mode == "env" then
		local made, lib = pcall(require, "luasync.lunatik.env")
		if not made then
			return "the env could not be made: " .. tostring(lib)
		end
		env, close = lib.new({print = collect, name = name})
	else
		_G.print = collect
	end
	local globals = setmetatable({print = collect, env = env}, {__index = _G})
	local chunk, err = load(source, "@" .. name, "t", globals)
	local status = "done"
	if not chunk then
		status = "could not be loaded: " .. tostring(err)
	else
		local ok, e = pcall(chunk, env)
		if not ok then
			status = "raised: " .. tostring(e)
		end
	end
	if close then
		local left = close()
		if status == "done" and left > 0 then
			status = "left " .. left .. " spawned thread(s) running (stopped them)"
		end
	end
	return status
end

return function()
	local ok, status = pcall(run)
	if not ok then
		status = "runner error: " .. tostring(status)
	end
	out[#out + 1] = marker .. " " .. status
	putstring("luasync.file.out", table.concat(out, "\n"))
	shared["luasync.file.done"] = true
	while not thread.shouldstop() do
		linux.schedule(100)
	end
end
