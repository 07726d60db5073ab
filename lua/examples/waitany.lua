-- A worker that waits on two things at once: jobs on a channel and a shutdown
-- completion. waitany({jobs, quit}) returns 1 and a job, or 2 once quit is
-- completed: the worker needs neither a timeout loop nor a sentinel job.
--
-- The worker runs luasync/examples/threads/waitany_worker.lua (installed, as
-- in the test VM, under /lib/modules/lua/luasync/examples/).
local lunatik = require("lunatik")
local thread = require("thread")
local rcu = require("rcu")
local channel = require("channel")
local completion = require("completion")

local shared = rcu.table(8)
local jobs, results, quit = channel.new(4), channel.new(16), completion.new()
shared.jobs, shared.results, shared.quit = jobs, results, quit

lunatik._ENV["luasync.example.waitany"] = shared
local runtime = lunatik.runtime("luasync/examples/threads/waitany_worker")
lunatik._ENV["luasync.example.waitany"] = nil
local worker = thread.run(runtime, "waitany_worker")

local ok, err = pcall(function()
	for n = 1, 5 do
		jobs:send(n)
	end
	local sum = 0
	for _ = 1, 5 do
		local square = results:receive(1000)
		assert(square, "no answer from the worker")
		sum = sum + square
	end
	print("five jobs answered: the squares of 1..5 add up to " .. sum)
	assert(sum == 55, "wrong answers")
	quit:complete()
	local final, why = results:receive(1000)
	print("after quit:complete(), the worker says: " .. tostring(final or why))
	assert(final == "bye", "the worker did not see the shutdown")
end)
worker:stop()
runtime:stop()
assert(ok, err)
