-- Kernel only: /sys/kernel/debug/luasync/objects shows one line per live
-- object (its number, class and state, then its waiters: pid, command and for
-- how long), and /sys/kernel/debug/luasync/stats counts objects and how
-- blocking calls ended, per class. Read while threads wait.
local env = ...
local tap = require("luasync_tap")
local t = tap.new()
local testlib = require("luasync_testlib")
local completion = require("completion")
local mutex = require("mutex")
local semaphore = require("semaphore")
local channel = require("channel")

local OBJECTS = "/sys/kernel/debug/luasync/objects"
local STATS = "/sys/kernel/debug/luasync/stats"

local function read(path)
	local text, err = testlib.read(path, 65536)
	assert(text, "cannot read " .. path .. ": " .. tostring(err))
	return text
end

-- The line of the objects view that matches the pattern, or nil.
local function line(pattern)
	for l in string.gmatch(read(OBJECTS), "[^\n]+") do
		if string.find(l, pattern) then
			return l
		end
	end
end

-- The counters of a class in the stats view: made, live, waited, timeout, interrupt, closed.
local function stats(class)
	local text = read(STATS)
	local fields = {string.match(text, "\n" .. class .. " (%d+) (%d+) (%d+) (%d+) (%d+) (%d+)")}
	assert(#fields == 6, "no line for " .. class .. " in " .. STATS .. ": " .. text)
	local function n(i)
		return math.tointeger(tonumber(fields[i])) or 0
	end
	return {made = n(1), live = n(2), waited = n(3), timeout = n(4), interrupt = n(5), closed = n(6)}
end

-- states
local s = semaphore.new(4242) ---@type semaphore?
t:ok(s and line("^%d+ semaphore count " .. s:count() .. "$") ~= nil,
	"a semaphore's line: number, class, count", line("4242"))
local ch = channel.new(777)
ch:send("x")
ch:send("y")
t:ok(line("^%d+ channel 2/777$") ~= nil, "a channel's line: its count and capacity", line("/777"))
ch:close()
t:ok(line("^%d+ channel 2/777 closed$") ~= nil, "a closed channel says so", line("/777"))
local m = mutex.new(true)
m:lock()
m:lock()
local owner = string.match(line("locked by runtime %d+ depth 2 recursive") or "", "runtime (%d+)")
t:ok(owner ~= nil, "a mutex held twice: its owner runtime and depth", line("recursive"))
m:unlock()
m:unlock()
t:ok(line("^%d+ mutex unlocked recursive$") ~= nil, "then unlocked")

-- numbers are stable and objects leave the view when they go
local before = line("^%d+ semaphore count 4242$")
t:is(line("^%d+ semaphore count 4242$"), before, "an object keeps its number")
s = nil -- luacheck: ignore 311
collectgarbage()
collectgarbage()
t:is(line("count 4242"), nil, "a collected object leaves the view")

-- waiters
do
	local c = completion.new()
	c:complete()
	c:complete()
	c:trywait()
	t:ok(line("^%d+ completion done 1$") ~= nil, "a completion's pending count", line("done"))
	c:trywait()
	env.share("c", c)
	env.share("timeout", nil)
	env.share("blocked", nil)
	local h = env.spawn("waitwith")
	t:ok(h:waitblocked(), "a worker sleeps in wait()")
	local pid = h.thread:task().pid
	local seen = line("completion not done waiter " .. pid .. " %(")
	t:ok(seen ~= nil, "the completion's line names the worker as its waiter", seen)
	t:ok(seen and string.find(seen, "%(luasync_worker%) %d+ ms$") ~= nil,
		"with its command and for how long", seen)
	c:complete()
	t:ok(h:join(), "the worker ends")
	t:is(line("waiter " .. pid .. " "), nil, "then no line names it")
end

-- statistics
do
	local before_stats = stats("completion")
	local c = completion.new() ---@type completion?
	assert(c)
	c:wait(0)
	c:complete()
	c:wait()
	local after = stats("completion")
	t:is(after.made - before_stats.made, 1, "stats: one completion made")
	t:is(after.timeout - before_stats.timeout, 1, "stats: one wait timed out")
	t:is(after.waited - before_stats.waited, 1, "stats: one wait got its completion")
	c = nil -- luacheck: ignore 311
	collectgarbage()
	collectgarbage()
	t:is(stats("completion").live, before_stats.live, "stats: live back to what it was")
end

-- the registry under churn: objects made and collected in bulk, some of them
-- listed by a read of the view before they die and some dying unlisted
do
	local BASE = 700000
	local function counts(first, last)
		local seen = {}
		for l in string.gmatch(read(OBJECTS), "[^\n]+") do
			local count = string.match(l, "^%d+ semaphore count (%d+)$")
			local n = count and math.tointeger(tonumber(count))
			if n and n >= first and n <= last then
				seen[n] = (seen[n] or 0) + 1
			end
		end
		return seen
	end
	-- Whether each count in [first, last] is listed `want(count)` times.
	local function listed(first, last, want)
		local seen = counts(first, last)
		for n = first, last do
			if (seen[n] or 0) ~= want(n) then
				return false, n .. " listed " .. (seen[n] or 0) .. " times"
			end
		end
		return true
	end
	local live = stats("semaphore").live
	local made = {}
	for i = 1, 300 do
		made[i] = semaphore.new(BASE + i)
	end
	local ok, why = listed(BASE + 1, BASE + 300, function() return 1 end)
	t:ok(ok, "300 new objects: each listed once", why)
	local kept = {}
	for i = 3, 300, 3 do
		kept[#kept + 1] = made[i]
	end
	made = {} -- luacheck: ignore 311
	collectgarbage()
	collectgarbage()
	ok, why = listed(BASE + 1, BASE + 300, function(n) return (n - BASE) % 3 == 0 and 1 or 0 end)
	t:ok(ok, "after 200 of them were collected: the 100 kept, once each, and no other", why)
	for i = 301, 600 do
		semaphore.new(BASE + i)
	end
	collectgarbage()
	collectgarbage()
	ok, why = listed(BASE + 301, BASE + 600, function() return 0 end)
	t:ok(ok, "300 collected before any read of the view: none listed", why)
	t:is(stats("semaphore").live, live + #kept, "stats: the 100 kept are live")
	kept = {} -- luacheck: ignore 311
	collectgarbage()
	collectgarbage()
	t:is(stats("semaphore").live, live, "stats: none once they go")
end

t:done()
