-- A bounded queue under a mutex and two conditions, as pthreads code writes
-- it. This script puts the squares of 1 to 20 into a queue of 4 slots,
-- waiting on `notfull` while it is full; a kernel thread, in a runtime of its
-- own, takes them out, waiting on `notempty` while it is empty. After every
-- change each side signals the other. cv:wait(m) gives the mutex back while it
-- sleeps and holds it again when it returns, so the loop around it sees the
-- queue as it is now; a signal sent when nobody waits is not kept, which the
-- loop makes harmless.
--
-- The thread runs luasync/examples/threads/queue_consumer.lua (installed, as
-- in the test VM, under /lib/modules/lua/luasync/examples/).
local lunatik = require("lunatik")
local thread = require("thread")
local rcu = require("rcu")
local completion = require("completion")
local mutex = require("mutex")
local condition = require("condition")

local SLOTS, ITEMS = 4, 20
local shared = rcu.table(32)
local m, notfull, notempty = mutex.new(), condition.new(), condition.new()
local finished = completion.new()
shared.mutex, shared.notfull, shared.notempty, shared.finished = m, notfull, notempty, finished
shared.slots, shared.items, shared.head, shared.count = SLOTS, ITEMS, 0, 0
shared.fullwaits = 0

lunatik._ENV["luasync.example.condition"] = shared
local runtime = lunatik.runtime("luasync/examples/threads/queue_consumer")
lunatik._ENV["luasync.example.condition"] = nil
local consumer = thread.run(runtime, "consumer")

-- Puts v at the tail of the queue, waiting while it is full.
local function put(v)
	m:lock()
	while shared.count == SLOTS do
		shared.fullwaits = shared.fullwaits + 1
		local ok, why = notfull:wait(m, 5000)
		if not ok then
			if why == "timeout" then
				m:unlock()
			end
			error("notfull:wait: " .. tostring(why), 0)
		end
	end
	shared["slot" .. (shared.head + shared.count) % SLOTS] = v
	shared.count = shared.count + 1
	notempty:signal()
	m:unlock()
end

local function produce()
	for i = 1, ITEMS do
		put(i * i)
	end
	local ok, why = finished:wait(5000)
	print("the consumer finished: " .. tostring(ok or why))
	print("it took " .. shared.taken .. " squares in order, adding up to " .. shared.sum ..
		" (1 + 4 + ... + 400 = 2870)")
	print("this script found the queue full " .. shared.fullwaits .. " times and waited")
	assert(ok and shared.taken == ITEMS and shared.sum == 2870, "the queue lost or reordered an item")
end

local ok, err = pcall(produce)
consumer:stop()
runtime:stop()
assert(ok, err)
