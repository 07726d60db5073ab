-- Kernel only: luasync.ko stays pinned while one of its objects lives in a
-- kernel thread's runtime, after every other runtime dropped it, and is
-- unpinned once that runtime drops it too. Pinned means a module reference
-- count above what it was without the object: rmmod refuses such a module.
local env = ...
local tap = require("luasync_tap")
local t = tap.new()
local completion = require("completion")
local semaphore = require("semaphore")

local REFCNT = "/sys/module/luasync/refcnt"

-- The module's reference count. Lunatik's Lua has no io library: loadfile is
-- the one way a script reads a file, and a file that holds only a number does
-- not compile; the compiler's message quotes that number ("near '3'").
local function refcount()
	local chunk, err = loadfile(REFCNT)
	if chunk ~= nil then
		return nil, REFCNT .. " compiled as Lua"
	end
	local n = string.match(tostring(err), "near '(%d+)'$")
	if n == nil then
		return nil, tostring(err)
	end
	return tonumber(n)
end

local function collect()
	collectgarbage()
	collectgarbage()
end

local NAMES = {
	"an object holds a module reference",
	"the keeper thread holds the object",
	"the reference stays while only the thread's runtime holds the object",
	"the object still works in the thread after this runtime dropped it",
	"the reference goes once the thread's runtime dropped the object",
	"the keeper thread ends",
}

if not (env.kernel and env.spawn) or refcount() == nil then
	local _, why = refcount()
	local reason = env.kernel and env.spawn and ("cannot read " .. REFCNT .. ": " .. tostring(why))
		or "needs env.spawn inside Lunatik"
	for _, name in ipairs(NAMES) do
		t:skip(name, reason)
	end
	t:done()
	return
end

-- Makes the object and shares it; this runtime keeps no reference of its own.
-- Returns the count once the object exists.
local function makeshared()
	env.share("kept", semaphore.new(5))
	collect()
	return refcount()
end

-- Every other luasync object of the case exists before the count is taken.
local take, holding, dropnow, gone = completion.new(), completion.new(), completion.new(), completion.new()
env.share("take", take)
env.share("holding", holding)
env.share("dropnow", dropnow)
env.share("gone", gone)
env.share("kept_count", nil)
local keeper = env.spawn("keeper")
collect()
local before = refcount()
local made = makeshared()
t:is(made, before + 1, NAMES[1])

take:complete()
t:is(holding:wait(10000), true, NAMES[2])
env.share("kept", nil)
collect()
t:is(refcount(), made, NAMES[3])

dropnow:complete()
local dropped = gone:wait(10000)
t:is(env.fetch("kept_count"), 6, NAMES[4])
t:ok(dropped == true and refcount() == before, NAMES[5], "gone: " .. tostring(dropped) .. ", count " ..
	tostring(refcount()) .. ", before " .. tostring(before))
local ok, err = keeper:join()
t:ok(ok, NAMES[6], err)

t:done()
