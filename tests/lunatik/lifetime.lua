-- Kernel only: luasync.ko stays pinned while one of its objects lives in a
-- kernel thread's runtime, after every other runtime dropped it, and is
-- unpinned once that runtime drops it too. Pinned means a module reference
-- count above what it was without the object: rmmod refuses such a module.
local env = ...
local tap = require("luasync_tap")
local t = tap.new()
local completion = require("completion")
local semaphore = require("semaphore")

local testlib = require("luasync_testlib")

local REFCNT = "/sys/module/luasync/refcnt"

-- The module's reference count.
local function refcount()
	local text, err = testlib.read(REFCNT)
	local n = text and tonumber(string.match(text, "^(%d+)"))
	if n == nil then
		return nil, tostring(err or text)
	end
	return n
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
local opened = completion.new()
env.share("opened", opened)
env.share("take", take)
env.share("holding", holding)
env.share("dropnow", dropnow)
env.share("gone", gone)
env.share("kept_count", nil)
local keeper = env.spawn("keeper")
assert(opened:wait(10000) == true, "the keeper did not open the semaphore library")
collect()
local before = assert(refcount())
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
