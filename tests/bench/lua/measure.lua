-- One round of the Lua-level bench, run by tests/bench/run.sh in a runtime
-- of its own on a kernel thread (tests/lunatik/lunatik.sh), once with
-- luasync.ko loaded and once with Lunatik's C completion (luacompletion.ko)
-- in its place, the order alternating from round to round; with a baseline
-- (make bench BENCH_BASELINE=REV), once more with REV's build of luasync.ko,
-- its samples labelled "before". The same code measures whichever
-- `completion` require finds; mutex and semaphore exist only with luasync.
-- Prints one "sample ..." line per measurement (common.sample); run.sh takes
-- the medians over the rounds.
--
-- Timing: linux.time() around a loop of n calls, nothing subtracted; the
-- loop's own cost is part of every row, and of the floor.
--
-- The floor: d:getbyte(0) on a Lunatik `data` object made "single". Of the
-- methods of Lunatik's C classes it does least: its check of the object is
-- a load and a NULL test (no class comparison), a "single" object's methods
-- run without the monitor's lock, and its body reads one byte and pushes an
-- integer. So it is what any method call of a Lunatik object costs at least:
-- the lookup through the metatable's __index, the C call, one argument and
-- one result.

local common = require("luasync.bench.common")
local benchlib = require("luasync_benchlib")
local completion = require("completion")
local data = require("data")

local time, sample = common.time, common.sample
local args = common.args()
-- mutex and semaphore come with luasync only. The samples' label: "luasync"
-- (this build), "before" (the baseline's build of luasync) or "lunatik".
local haslocks = pcall(require, "mutex")
local impl = tostring(args.impl)
assert((impl == "luasync" or impl == "before") == haslocks,
	"run.sh loaded " .. impl .. "'s completion, but require found " .. (haslocks and "luasync's" or "Lunatik's"))

local CALLS = common.integer(args, "calls") -- calls per per-call measurement
local WAIT_MS = 60000 -- a hang guard for the untimed waits

local function check(ok, why)
	if not ok then
		error(why or "failed", 2)
	end
end

-- Per call: each loop is written out, so that nothing but the calls runs.
local function calls(n)
	local d = data.new(8, "single")
	local t0 = time()
	for _ = 1, n do
		d:getbyte(0)
	end
	sample("calls", "floor", 1, "floor", time() - t0, n)

	local c = completion.new()
	t0 = time()
	for _ = 1, n do
		c:complete()
	end
	sample("calls", "complete", 1, impl, time() - t0, n)
	t0 = time()
	for _ = 1, n do
		c:wait(0)
	end
	sample("calls", "wait(0)_done", 1, impl, time() - t0, n)
	-- Each wait(0) takes at most one completion: none left means all n took one.
	check(select(2, c:wait(0)) == "timeout", "wait(0) did not take every completion")
	-- Lunatik's C wait(0) is no poll: it sleeps until the next tick
	-- (schedule_timeout(0)), so it is timed over fewer calls.
	local polls = haslocks and n or n // 100
	t0 = time()
	for _ = 1, polls do
		c:wait(0)
	end
	sample("calls", "wait(0)_timeout", 1, impl, time() - t0, polls)
	-- Making objects, and collecting them as the loop goes (the garbage
	-- collector runs __gc, which releases them).
	local made = n // 10
	collectgarbage()
	t0 = time()
	for _ = 1, made do
		completion.new()
	end
	sample("calls", "new", 1, impl, time() - t0, made)
	collectgarbage()
end

-- Per call, luasync's mutex and semaphore.
local function lockcalls(n)
	local mutex, semaphore = require("mutex"), require("semaphore")
	local m = mutex.new()
	local t0 = time()
	for _ = 1, n do
		m:lock()
		m:unlock()
	end
	sample("calls", "lock+unlock", 2, impl, time() - t0, n)
	-- unlock raises unless the trylock took the mutex.
	t0 = time()
	for _ = 1, n do
		m:trylock()
		m:unlock()
	end
	sample("calls", "trylock+unlock", 2, impl, time() - t0, n)
	local f = function() end
	t0 = time()
	for _ = 1, n do
		m:scope(f)
	end
	sample("calls", "scope(f)", 1, impl, time() - t0, n)

	local s = semaphore.new(1)
	t0 = time()
	for _ = 1, n do
		s:down()
		s:up()
	end
	sample("calls", "down+up", 2, impl, time() - t0, n)
	t0 = time()
	for _ = 1, n do
		s:trydown()
		s:up()
	end
	sample("calls", "trydown+up", 2, impl, time() - t0, n)
	check(s:count() == 1, "a trydown failed")
end

-- Round trips between this thread and a worker over two completions, after
-- one untimed round trip; each thread on its CPU, or anywhere (-1).
local function pingpong(row, mycpu, theircpu, rounds)
	benchlib.pin(mycpu >= 0 and mycpu or nil)
	local ping, pong = completion.new(), completion.new()
	local w = common.spawn({role = common.PONG, cpu = theircpu, count = rounds, first = ping, second = pong})
	ping:complete()
	check(pong:wait(WAIT_MS))
	local t0 = time()
	for _ = 1, rounds do
		ping:complete()
		check(pong:wait())
	end
	local ns = time() - t0
	common.join(w)
	common.stop(w)
	benchlib.pin(nil)
	sample("pingpong", row, 1, impl, ns, rounds)
end

-- Round trips of a short string between this thread and a worker that sends
-- it back, both on CPU 0, after one untimed round trip: over two luasync
-- channels ("channel"), or over two of Lunatik's lib/mailbox.lua
-- ("mailbox": its fifo, and whichever completion is loaded). Each side
-- calls through a closure, so that both rows pay the same for it.
local function messages(row, rounds)
	benchlib.pin(0)
	local send, receive, w
	if row == "channel" then
		local channel = require("channel")
		local there, back = channel.new(1), channel.new(1)
		w = common.spawn({role = common.ECHO, cpu = 0, count = rounds, first = there, second = back})
		send = function(v) check(there:send(v)) end
		receive = function() return back:receive() end
	else
		local mailbox, fifo = require("mailbox"), require("fifo")
		local q1, e1, q2, e2 = fifo.new(1024), completion.new(), fifo.new(1024), completion.new()
		w = common.spawn({role = common.MAILBOX_ECHO, cpu = 0, count = rounds,
			first = q1, second = e1, third = q2, fourth = e2})
		local outbox, inbox = mailbox.outbox(q1, e1), mailbox.inbox(q2, e2)
		send = function(v) outbox:send(v) end
		receive = function() return inbox:receive() end
	end
	send("ping")
	check(receive() == "ping", "the first message did not come back")
	local t0 = time()
	for _ = 1, rounds do
		send("ping")
		check(receive() == "ping", "a message did not come back")
	end
	local ns = time() - t0
	common.join(w)
	common.stop(w)
	benchlib.pin(nil)
	sample("messages", row, 1, impl, ns, rounds)
end

-- n threads each doing count operations on one lock, started together: the
-- time from their release until the last one is done, per operation.
local function contend(row, role, lock, nthreads, count)
	local go, done = completion.new(), require("semaphore").new(0)
	local workers = {}
	for i = 1, nthreads do
		workers[i] = common.spawn({role = role, cpu = -1, count = count, first = go, second = lock, third = done})
	end
	common.allsleeping(workers)
	local t0 = time()
	go:completeall()
	for _ = 1, nthreads do
		check(done:down(WAIT_MS))
	end
	local ns = time() - t0
	for _, w in ipairs(workers) do
		common.join(w)
		common.stop(w)
	end
	sample("scale", row, nthreads, impl, ns, nthreads * count)
end

-- n threads asleep in c:wait(): the time from c:completeall() until the last
-- one has run (each ups a semaphore once it is released).
local function releaseall(nwaiters)
	local c, done = completion.new(), require("semaphore").new(0)
	local workers = {}
	for i = 1, nwaiters do
		workers[i] = common.spawn({role = common.WAITER, cpu = -1, count = 0, first = c, third = done})
	end
	common.allsleeping(workers)
	local t0 = time()
	c:completeall()
	for _ = 1, nwaiters do
		check(done:down(WAIT_MS))
	end
	local ns = time() - t0
	for _, w in ipairs(workers) do
		common.join(w)
		common.stop(w)
	end
	sample("scale", "completeall", nwaiters, impl, ns, 1)
end

-- n operations, round robin over count live objects of one class.
local function completions(count, n)
	local objs = {}
	for i = 1, count do
		objs[i] = completion.new()
	end
	collectgarbage()
	local t0 = time()
	for i = 1, n do
		local c = objs[i % count + 1] --[[@as completion]]
		c:complete()
		c:wait(0)
	end
	sample("scale", "objects_complete+wait(0)", count, impl, time() - t0, n)
end

local function mutexes(count, n)
	local mutex = require("mutex")
	local locks = {}
	for i = 1, count do
		locks[i] = mutex.new()
	end
	collectgarbage()
	local t0 = time()
	for i = 1, n do
		local m = locks[i % count + 1] --[[@as mutex]]
		m:lock()
		m:unlock()
	end
	sample("scale", "objects_lock+unlock", count, impl, time() - t0, n)
end

-- make profile-insns (run.sh's insns): only the workload args.only names,
-- args.rounds times: ping-pong round trips, or completion.new() calls (their
-- objects collected as the loop goes).
local ONLY = {
	pingpong_same_cpu = function(n) pingpong("same_cpu", 0, 0, n) end,
	pingpong_cross_cpu = function(n) pingpong("cross_cpu", 0, 1, n) end,
	new = function(n)
		for _ = 1, n do
			completion.new()
		end
	end,
}

local function run()
	if args.only ~= nil then
		local only = ONLY[tostring(args.only)]
		if only == nil then
			error("unknown only=" .. tostring(args.only))
		end
		only(common.integer(args, "rounds"))
		return
	end
	calls(CALLS)
	if haslocks then
		lockcalls(CALLS)
	end
	local same, cross = common.integer(args, "rounds_same"), common.integer(args, "rounds_cross")
	local letters = common.integer(args, "rounds_messages")
	pingpong("same_cpu", 0, 0, same)
	if pcall(benchlib.pin, 1) then
		pingpong("cross_cpu", 0, 1, cross)
	end
	pingpong("unpinned", -1, -1, cross)
	if pcall(require, "channel") then
		messages("channel", letters)
	end
	if pcall(require, "mailbox") then
		messages("mailbox", letters)
	end
	local ops = common.integer(args, "object_calls")
	for _, n in ipairs({8, common.integer(args, "objects")}) do
		completions(n, ops)
		collectgarbage()
		if haslocks then
			mutexes(n, ops)
			collectgarbage()
		end
	end
	if haslocks then
		local mutex, semaphore = require("mutex"), require("semaphore")
		local contended = common.integer(args, "contend")
		for _, n in ipairs({1, 2, 4, 8}) do
			contend("mutex_lock+unlock", common.LOCKER, mutex.new(), n, contended // n)
			contend("semaphore_down+up", common.DOWNER, semaphore.new(1), n, contended // n)
		end
		for _, n in ipairs({1, 8, 64}) do
			releaseall(n)
		end
	end
end

local ok, err = pcall(run)
benchlib.pin(nil)
common.stopall()
assert(ok, err)
