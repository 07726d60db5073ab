-- Producer/consumer over a semaphore. This script produces five items; a
-- kernel thread, in a runtime of its own, consumes them. The semaphore
-- "items" counts the items ready to take; "finished" says the consumer is
-- done. Both runtimes reach the objects through an RCU table published in
-- lunatik._ENV while the thread's runtime loads.
--
-- The thread runs luasync/examples/threads/consumer.lua (installed, as in the
-- test VM, under /lib/modules/lua/luasync/examples/).
local lunatik = require("lunatik")
local thread = require("thread")
local rcu = require("rcu")
local semaphore = require("semaphore")

local shared = rcu.table(16)
local items, finished = semaphore.new(0), semaphore.new(0)
shared.items, shared.finished, shared.count = items, finished, 5

lunatik._ENV["luasync.example.semaphore"] = shared
local runtime = lunatik.runtime("luasync/examples/threads/consumer")
lunatik._ENV["luasync.example.semaphore"] = nil
local consumer = thread.run(runtime, "consumer")

local function produce()
	for i = 1, 5 do
		shared["v" .. i] = i * i
		items:up()
		print("produced item " .. i .. " = " .. i * i)
	end
	local ok, why = finished:down(2000)
	print("consumer finished: " .. tostring(ok or why) .. ", it took items totalling " .. tostring(shared.total))
	assert(ok and shared.total == 55, "the consumer did not take every item")
end

local ok, err = pcall(produce)
consumer:stop()
runtime:stop()
assert(ok, err)
