-- Bodies of the worker threads of the contract suite, by role: env.spawn(role) runs
-- roles[role](env) in a new runtime on its own thread. Workers get their objects and
-- report their results through env.share/env.fetch; an error raised here is what the
-- handle's join() returns.

local roles = {}

-- Consumer of producer/consumer: takes "n" items announced on semaphore "items".
function roles.consumer(env)
	local items = env.fetch("items")
	local n = env.fetch("n")
	local inorder = 0
	for i = 1, n do
		assert(items:down() == true, "down failed")
		if env.fetch("item" .. i) == i * 7 then
			inorder = inorder + 1
		end
	end
	env.share("consumed_in_order", inorder)
end

-- Other side of the completion handshake: waits for "ping", answers on "pong".
function roles.ponger(env)
	local ping, pong = env.fetch("ping"), env.fetch("pong")
	local rounds = env.fetch("rounds")
	local seen = 0
	for i = 1, rounds do
		assert(ping:wait() == true, "ping wait failed")
		if env.fetch("turn") == i then
			seen = seen + 1
		end
		env.share("turn", -i)
		pong:complete()
	end
	env.share("pong_seen", seen)
end

-- One of the threads incrementing "counter" under mutex "m", checking that nobody else
-- is inside at the same time.
local function count(env, use_scope)
	local m = env.fetch("m")
	local n = env.fetch("n")
	local function critical()
		if env.fetch("inside") then
			env.share("overlap", true)
		end
		env.share("inside", true)
		local v = env.fetch("counter")
		env.yield()
		env.share("counter", v + 1)
		env.share("inside", false)
	end
	for _ = 1, n do
		if use_scope then
			m:scope(critical)
		else
			assert(m:lock() == true, "lock failed")
			assert(m:owned(), "locked but not owned")
			critical()
			m:unlock()
		end
	end
end

function roles.counter(env)
	count(env, false)
end

function roles.scopecounter(env)
	count(env, true)
end

-- Holds mutex "m" until completion "release" is completed.
function roles.holder(env)
	local m = env.fetch("m")
	local locked, release = env.fetch("locked"), env.fetch("release")
	assert(m:lock() == true)
	locked:complete()
	assert(release:wait() == true)
	m:unlock()
	env.share("holder_unlocked", true)
end

-- Blocks forever in one blocking call and reports how it returned, as "blocked".
local function report(env, ...)
	local results = {...}
	env.share("blocked", tostring(results[1]) .. "," .. tostring(results[2]))
end

function roles.waitforever(env)
	report(env, env.fetch("c"):wait())
end

function roles.lockforever(env)
	report(env, env.fetch("m"):lock())
end

function roles.downforever(env)
	report(env, env.fetch("s"):down())
end

function roles.scopeforever(env)
	local ok, err = pcall(env.fetch("m").scope, env.fetch("m"), function() end)
	env.share("blocked", tostring(ok) .. "," .. tostring(err))
end

-- Waits on completion "c" with the timeout stored as "timeout" (absent: none).
function roles.waitwith(env)
	report(env, env.fetch("c"):wait(env.fetch("timeout")))
end

-- Receives "n" messages from the mailbox made of the shared "queue" and "event".
function roles.receiver(env)
	local mailbox = require("luasync_mailbox")
	local inbox = mailbox.new(env.fetch("queue"), env.fetch("event"))
	local got = {}
	for i = 1, env.fetch("n") do
		got[i] = inbox:receive()
	end
	env.share("received", table.concat(got, ","))
end

-- Creates objects, shares them and ends: they must outlive this runtime.
function roles.maker(env)
	local semaphore = require("semaphore")
	local completion = require("completion")
	env.share("made", semaphore.new(42))
	local c = completion.new()
	c:complete()
	env.share("madecompletion", c)
end

-- Channels and waitany ------------------------------------------------------

-- Receives from channel "ch" once, without a timeout, and reports how it returned.
function roles.receiveforever(env)
	report(env, env.fetch("ch"):receive())
end

-- Sends "value" into channel "ch" once, without a timeout, and reports how it returned.
function roles.sendforever(env)
	report(env, env.fetch("ch"):send(env.fetch("value")))
end

-- waitany on completion "c" and channel "ch", without a timeout; reports what it got.
function roles.anyforever(env)
	local waitany = require("waitany")
	local i, a, b = waitany({env.fetch("c"), env.fetch("ch")})
	env.share("blocked", tostring(i) .. "," .. tostring(a) .. "," .. tostring(b))
end

-- A worker of a pool, its number taken from channel "ids": takes jobs from channel "jobs"
-- or stops on completion "quit", whichever comes first, with waitany; answers each job x
-- with x * x on "results".
function roles.anyworker(env)
	local waitany = require("waitany")
	local jobs, quit, results = env.fetch("jobs"), env.fetch("quit"), env.fetch("results")
	local me = env.fetch("ids"):receive()
	local done = 0
	while true do
		local i, job = waitany({jobs, quit})
		if i == 2 then
			break
		end
		assert(i == 1, "waitany returned " .. tostring(i) .. ", " .. tostring(job))
		assert(results:send(job * job) == true, "results:send failed")
		done = done + 1
	end
	env.share("anyworker_done_" .. me, done)
end

-- A small generator of pseudo-random integers, the same in every Lua (no math.random
-- in the kernel's).
---@param seed integer
---@return fun(n: integer): integer
local function lcg(seed)
	local x = seed
	return function(n)
		x = (x * 1103515245 + 12345) % 2147483648
		return x % n
	end
end

-- Stress sender number "me" (taken from channel "senders"): sends "n" distinct ids into "ch" with random short
-- timeouts, retrying timeouts; reports how many it sent, their sum and sum of squares.
function roles.stresssender(env)
	local ch, n = env.fetch("ch"), env.fetch("n")
	local me = env.fetch("senders"):receive() --[[@as integer]]
	local random = lcg(me * 7919 + 1)
	local sent, sum, squares = 0, 0, 0
	local timeouts = {0, 1, 2, -1}
	for k = 1, n do
		local id = me * 1000000 + k
		while true do
			local ok, why = ch:send(id, timeouts[random(#timeouts) + 1])
			if ok then
				sent, sum, squares = sent + 1, sum + id, squares + id * id
				break
			end
			assert(why == "timeout", "send returned " .. tostring(why))
		end
	end
	env.share("sent_" .. me, sent)
	env.share("sentsum_" .. me, sum)
	env.share("sentsq_" .. me, squares)
end

-- Stress receiver number "me" (taken from channel "receivers"): receives with random
-- timeouts until interrupted (stopped) or the channel is closed and empty; reports how
-- many, their sum and sum of squares.
function roles.stressreceiver(env)
	local ch = env.fetch("ch")
	local me = env.fetch("receivers"):receive() --[[@as integer]]
	local random = lcg(me * 104729 + 3)
	local got, sum, squares = 0, 0, 0
	local timeouts = {0, 1, 3, 10}
	while true do
		local got_id, why = ch:receive(timeouts[random(#timeouts) + 1])
		local id = got_id --[[@as integer?]]
		if id then
			got, sum, squares = got + 1, sum + id, squares + id * id
		elseif why ~= "timeout" then
			env.share("end_" .. me, why)
			break
		end
	end
	env.share("got_" .. me, got)
	env.share("gotsum_" .. me, sum)
	env.share("gotsq_" .. me, squares)
end

-- Conditions, rwsems and cycles of waits ----------------------------------------------

-- Long enough for any handoff, short enough that a lost wake-up fails instead of hanging.
local BOUND = 10000

-- Takes, or gives back, a lock of the way "mode" names: "lock" (a mutex), "read" or
-- "write" (an rwsem).
---@param lock any
---@param mode string
---@param timeout integer?
local function take(lock, mode, timeout)
	if mode == "read" then
		return lock:read(timeout)
	elseif mode == "write" then
		return lock:write(timeout)
	end
	return lock:lock(timeout)
end

---@param lock any
---@param mode string
local function give(lock, mode)
	if mode == "read" then
		lock:unread()
	elseif mode == "write" then
		lock:unwrite()
	else
		lock:unlock()
	end
end

-- Sends what a call returned, with the name of the job and this runtime's number, on the
-- shared channel "reports".
local function reportjob(env, name, ok, why, cycle)
	env.fetch("reports"):send({name = name, runtime = require("mutex").runtime(), ok = ok, why = why,
		cycle = cycle})
end

-- Locks mutex "m", completes "locked", waits on condition "cv" with the timeout stored as
-- "timeout" (absent: none), and sends on "reports" how the wait returned and whether it
-- holds "m" ("closed" if "m" was closed); gives "m" back if it holds it.
function roles.cvwaiter(env)
	local cv, m = env.fetch("cv"), env.fetch("m")
	assert(m:lock(BOUND) == true, "cvwaiter: lock failed")
	env.fetch("locked"):complete()
	local ok, why = cv:wait(m, env.fetch("timeout"))
	local live, owned = pcall(m.owned, m)
	if live and owned then
		m:unlock()
	end
	env.fetch("reports"):send(tostring(ok) .. "," .. tostring(why) .. "," .. (live and tostring(owned) or "closed"))
end

-- Takes the next job from channel "jobs": holds job.held (job.heldmode), completes
-- job.locked, then takes job.wanted (job.wantedmode) and reports how that went; gives
-- back what it holds.
function roles.chain(env)
	local job = env.fetch("jobs"):receive()
	assert(take(job.held, job.heldmode, BOUND) == true, "chain: first lock failed")
	job.locked:complete()
	local ok, why, cycle = take(job.wanted, job.wantedmode, BOUND)
	if ok then
		give(job.wanted, job.wantedmode)
	end
	give(job.held, job.heldmode)
	reportjob(env, job.name, ok, why, cycle)
end

-- As chain, but once job.held is held it waits for job.go before asking for job.wanted:
-- two of them released at once race into an ABBA.
function roles.crosser(env)
	local job = env.fetch("jobs"):receive()
	assert(job.held:lock(BOUND) == true, "crosser: first lock failed")
	job.locked:complete()
	assert(job.go:wait(BOUND) == true, "crosser: never released")
	local ok, why, cycle = job.wanted:lock(BOUND)
	if ok then
		job.wanted:unlock()
	end
	job.held:unlock()
	reportjob(env, job.name, ok, why, cycle)
end

-- Holds mutex job.x, then locks job.m, completes job.locked and waits on condition job.cv
-- with job.m: once signalled, it takes job.m back while holding job.x. Reports how the
-- wait returned; gives back what it holds.
function roles.cvcross(env)
	local job = env.fetch("jobs"):receive()
	assert(job.x:lock(BOUND) == true, "cvcross: lock of x failed")
	assert(job.m:lock(BOUND) == true, "cvcross: lock of m failed")
	job.locked:complete()
	local ok, why, cycle = job.cv:wait(job.m, BOUND)
	if job.m:owned() then
		job.m:unlock()
	end
	job.x:unlock()
	reportjob(env, job.name, ok, why, cycle)
end

-- Locks random subsets of the mutexes of job.locks, always in their order, job.n times,
-- without a timeout that matters: reports the first failure, or true and the number of
-- rounds.
function roles.ordered(env)
	local job = env.fetch("jobs"):receive()
	local random = lcg(job.seed)
	local locks = job.locks
	for round = 1, job.n do
		local set = random(1 << #locks)
		local taken = {}
		for k = 1, #locks do
			if set & (1 << (k - 1)) ~= 0 then
				local ok, why, cycle = locks[k]:lock(BOUND)
				if not ok then
					for i = #taken, 1, -1 do taken[i]:unlock() end
					reportjob(env, job.name, ok, why .. " in round " .. round, cycle)
					return
				end
				taken[#taken + 1] = locks[k]
			end
		end
		if round % 4 == 0 then
			env.yield()
		end
		for i = #taken, 1, -1 do
			taken[i]:unlock()
		end
	end
	reportjob(env, job.name, true, job.n)
end

-- Takes rwsem "r" (the way "mode" names: "read" or "write"), completes "locked", waits
-- for "release", gives it back, and sends "released" on "reports".
function roles.rwholder(env)
	local r, mode = env.fetch("r"), env.fetch("mode")
	assert(take(r, mode, BOUND) == true, "rwholder: lock failed")
	env.fetch("locked"):complete()
	assert(env.fetch("release"):wait(BOUND) == true, "rwholder: never released")
	give(r, mode)
	env.fetch("reports"):send("released")
end

-- Takes rwsem "r" the way "mode" names, with the timeout stored as "timeout" (absent:
-- none), gives it back if it got it, and sends how the call returned on "reports".
function roles.rwtaker(env)
	local r, mode = env.fetch("r"), env.fetch("mode")
	local ok, why, cycle = take(r, mode, env.fetch("timeout"))
	if ok then
		give(r, mode)
	end
	env.fetch("reports"):send(tostring(ok) .. "," .. tostring(why) .. (cycle and ("," .. cycle) or ""))
end

-- One of the threads of the rwsem stress: job.n scopes of rwsem job.r, reading
-- (job.mode "read") or writing, checking through the store that no writer is in with
-- anyone; reports how many scopes it went through.
function roles.rwloop(env)
	local job = env.fetch("jobs"):receive()
	local r, n = job.r, job.n
	local done = 0
	for _ = 1, n do
		if job.mode == "read" then
			r:readscope(function()
				if env.fetch("rw_writing") then
					env.share("rw_overlap", true)
				end
				env.yield()
			end)
		else
			r:writescope(function()
				if env.fetch("rw_writing") then
					env.share("rw_overlap", true)
				end
				env.share("rw_writing", true)
				env.yield()
				env.share("rw_writing", false)
			end)
		end
		done = done + 1
	end
	reportjob(env, job.name, true, done)
end

return roles
