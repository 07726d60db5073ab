-- A mutex scope. This script and a kernel thread, in a runtime of its own,
-- each add 1 to a shared counter 50 times, as a read, a short sleep and a
-- write: without the mutex they would lose updates. m:scope(f, ...) locks,
-- calls f(...), unlocks (also when f raises) and returns what f returned.
--
-- The thread runs luasync/examples/threads/adder.lua (installed, as in the
-- test VM, under /lib/modules/lua/luasync/examples/).
local lunatik = require("lunatik")
local thread = require("thread")
local rcu = require("rcu")
local linux = require("linux")
local completion = require("completion")
local mutex = require("mutex")

local shared = rcu.table(8)
local m, finished = mutex.new(), completion.new()
shared.mutex, shared.finished, shared.counter, shared.rounds = m, finished, 0, 50

lunatik._ENV["luasync.example.mutex"] = shared
local runtime = lunatik.runtime("luasync/examples/threads/adder")
lunatik._ENV["luasync.example.mutex"] = nil
local adder = thread.run(runtime, "adder")

local function add()
	local v = shared.counter
	linux.schedule(1)
	shared.counter = v + 1
end

local function count()
	for _ = 1, 50 do
		m:scope(add)
	end
	local ok, why = finished:wait(5000)
	print("the thread finished: " .. tostring(ok or why))
	print("counter: " .. shared.counter .. " (2 x 50 additions)")
	assert(ok and shared.counter == 100, "an addition was lost")
	print("scope returns what f returns: " .. m:scope(function(a, b) return a + b end, 40, 2))
	local raised, message = pcall(m.scope, m, function() error("oops", 0) end)
	print("scope re-raises f's error: " .. tostring(raised) .. ", " .. message ..
		"; locked afterwards: " .. tostring(m:locked()))
end

local ok, err = pcall(count)
adder:stop()
runtime:stop()
assert(ok, err)
