-- Object lifetime: collection, __gc called by hand, tostring of a released object, and
-- many objects created and dropped (the runner checks that every one was released).
local env = ...
local tap = require("luasync_tap")
local t = tap.new()
local completion = require("completion")
local mutex = require("mutex")
local semaphore = require("semaphore")

-- Every object holds a reference on the module until it is released.
collectgarbage()
collectgarbage()
local before = env.modulerefs()
local kept = {}
for i = 1, 200 do
	kept[i] = completion.new()
	kept[i]:complete()
	mutex.new(true):lock()
	semaphore.new(3):up()
end
t:ok(env.modulerefs() >= before + 200, "objects alive hold module references",
	"before " .. before .. ", now " .. env.modulerefs())
---@diagnostic disable-next-line: assign-type-mismatch
kept = nil -- luacheck: ignore 311 (the collector must find them unreferenced)
collectgarbage()
collectgarbage()
t:is(env.modulerefs(), before, "600 objects created, used and dropped: every one released its module reference")

-- More live objects than the module's lookup cache has slots (1024), so that
-- objects evict each other: each is still found as itself, of its own class,
-- and the closed ones are refused.
do
	local n = 1500
	local cs = {} ---@type completion[]
	local ss = {} ---@type semaphore[]
	for i = 1, n do
		cs[i], ss[i] = completion.new(), semaphore.new(0)
	end
	for i = 1, n, 3 do
		local c, s = cs[i] --[[@as completion]], ss[i] --[[@as semaphore]]
		c:close()
		s:close()
	end
	local found, refused, wrong = 0, 0, 0
	local function tally(i, closed, ok, result)
		if i % 3 == 1 then
			refused = refused + ((not ok and string.find(tostring(result), closed, 1, true)) and 1 or 0)
		elseif ok and result == true then
			found = found + 1
		else
			wrong = wrong + 1
		end
	end
	local up, done = getmetatable(ss[1]).up, getmetatable(cs[1]).done
	for i = n, 1, -1 do
		local c, s = cs[i] --[[@as completion]], ss[i] --[[@as semaphore]]
		tally(i, "got closed completion", pcall(function() c:complete() return c:trywait() and not c:done() end))
		tally(i, "got closed semaphore", pcall(function() s:up() return s:trydown() and not s:trydown() end))
		-- and the other class's methods refuse it
		if pcall(up, c) or pcall(done, s) then
			wrong = wrong + 1
		end
	end
	t:is(found, 2000, "3000 objects: the 2000 open ones each still found as itself")
	t:is(refused, 1000, "and the 1000 closed ones refused as closed")
	t:is(wrong, 0, "and none found as an object of the other class")
end

local c = completion.new()
getmetatable(c).__gc(c)
t:is(tostring(c), "completion (released)", "tostring of a completion released by hand")
t:raises(function() c:done() end, "completion expected, got released completion",
	"a method of a released completion raises")
local m = mutex.new()
m:lock()
getmetatable(m).__gc(m)
t:is(tostring(m), "mutex (released)", "tostring of a mutex released by hand")
t:raises(function() m:unlock() end, "mutex expected, got released mutex", "a method of a released mutex raises")
local s = semaphore.new(2)
getmetatable(s).__gc(s)
t:is(tostring(s), "semaphore (released)", "tostring of a semaphore released by hand")
t:raises(function() s:up() end, "semaphore expected, got released semaphore",
	"a method of a released semaphore raises")
t:raises(function() getmetatable(s).__gc(s) end, "invalid object", "releasing twice by hand raises")

-- releasing the value of the mutex inside its own scope: scope holds the mutex
-- itself, so it still unlocks it
if env.share then
	local r = mutex.new()
	env.share("scoped", r)
	local other = env.fetch("scoped")
	t:shape("scope returns f's results when f released its value of the mutex", {n = 1, "done"},
		r:scope(function() getmetatable(r).__gc(r) return "done" end))
	t:is(other:locked(), false, "and the mutex is unlocked")
	env.share("scoped", nil)
else
	t:skip("scope after f released its value of the mutex", "needs env.share")
	t:skip("and the mutex is unlocked", "needs env.share")
end

-- a shared object stays alive while another state still refers to it
if env.share then
	local dropped = semaphore.new(7) ---@type semaphore?
	env.share("kept", dropped)
	dropped = nil -- luacheck: ignore 311 (the collector must find it unreferenced here)
	collectgarbage()
	t:is(env.fetch("kept"):count(), 7, "an object dropped here but still shared stays alive")
	env.share("kept", nil)
else
	t:skip("an object dropped here but still shared stays alive", "env.share is not provided")
end

-- Besides new, only mutex.runtime(): the number deadlock reports give a runtime.
local libs = {completion = completion, mutex = mutex, semaphore = semaphore,
	condition = require("condition"), rwsem = require("rwsem")}
local only_new = true
for name, lib in pairs(libs) do
	for k in pairs(lib) do
		only_new = only_new and (k == "new" or (name == "mutex" and k == "runtime"))
	end
end
t:ok(only_new, "each library table holds only new (and mutex.runtime)")
t:ok(getmetatable(completion.new()) ~= getmetatable(mutex.new()), "each class has its own metatable")

t:done()
