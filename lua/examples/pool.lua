-- A worker pool bounded by a semaphore. Four kernel threads, each in a
-- runtime of its own, take jobs from a shared queue until it is empty; a
-- semaphore of two slots lets at most two jobs run at once, however many
-- workers there are. A mutex guards the queue and the counters.
--
-- The workers run luasync/examples/threads/pool_worker.lua (installed, as in
-- the test VM, under /lib/modules/lua/luasync/examples/).
local lunatik = require("lunatik")
local thread = require("thread")
local rcu = require("rcu")
local completion = require("completion")
local mutex = require("mutex")
local semaphore = require("semaphore")

local WORKERS, SLOTS, JOBS = 4, 2, 8

local shared = rcu.table(16)
local slots, finished, start = semaphore.new(SLOTS), semaphore.new(0), completion.new()
shared.slots, shared.finished, shared.start, shared.lock = slots, finished, start, mutex.new()
shared.jobs, shared.next = JOBS, 1
shared.running, shared.peak, shared.sum = 0, 0, 0

local workers = {}

local function spawn()
	lunatik._ENV["luasync.example.pool"] = shared
	for i = 1, WORKERS do
		local runtime = lunatik.runtime("luasync/examples/threads/pool_worker")
		workers[i] = {runtime = runtime}
		workers[i].thread = thread.run(runtime, "pool_worker" .. i)
	end
	lunatik._ENV["luasync.example.pool"] = nil
end

local function run()
	spawn()
	start:completeall() -- every worker starts taking jobs now
	for _ = 1, WORKERS do
		local ok, why = finished:down(5000)
		assert(ok, "a worker did not finish: " .. tostring(why))
	end
	local want = JOBS * (JOBS + 1) * (2 * JOBS + 1) // 6
	print(WORKERS .. " workers, " .. SLOTS .. " slots, " .. JOBS .. " jobs (job n: sleep 10 ms, add n^2)")
	print("jobs taken: " .. shared.next - 1 .. ", sum of squares: " .. shared.sum .. " (" .. want .. " expected)")
	print("most jobs running at once: " .. shared.peak .. " (the semaphore allows " .. SLOTS .. ")")
	print("slots free at the end: " .. slots:count())
	assert(shared.next - 1 == JOBS and shared.sum == want, "a job was lost or ran twice")
	assert(shared.peak >= 1 and shared.peak <= SLOTS, "more jobs ran at once than the semaphore allows")
	assert(shared.running == 0 and slots:count() == SLOTS, "a slot was not given back")
end

local ok, err = pcall(run)
lunatik._ENV["luasync.example.pool"] = nil
for _, w in ipairs(workers) do
	if w.thread then w.thread:stop() end
	w.runtime:stop()
end
assert(ok, err)
