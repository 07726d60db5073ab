-- Two runtimes on two threads sharing objects: producer/consumer, handshake, mutual
-- exclusion, contention, waits woken by another runtime, and stop() interrupting every
-- infinite wait without any count or wakeup being lost.
local env = ...
local tap = require("luasync_tap")
local t = tap.new()
local completion = require("completion")
local mutex = require("mutex")
local semaphore = require("semaphore")

if not env.spawn then
	t:skip("runtimes on threads", "env.spawn is not provided")
	t:done()
	return
end

-- Whether the worker sleeps in a luasync wait (not merely queued or running).
local function blocked(h)
	return h:waitblocked()
end

local function joined(h, name)
	local ok, err = h:join()
	return t:ok(ok, name, err)
end

-- producer/consumer over a semaphore
do
	local n = 300
	local items = semaphore.new(0)
	env.share("items", items)
	env.share("n", n)
	local h = env.spawn("consumer")
	for i = 1, n do
		env.share("item" .. i, i * 7)
		items:up()
	end
	joined(h, "producer/consumer: the consumer ends")
	t:is(env.fetch("consumed_in_order"), n, "producer/consumer: every item was there when its count was")
	t:is(items:count(), 0, "producer/consumer: every count was taken once")
end

-- completion handshake
do
	local rounds = 200
	local ping, pong = completion.new(), completion.new()
	env.share("ping", ping)
	env.share("pong", pong)
	env.share("rounds", rounds)
	local h = env.spawn("ponger")
	local answered = 0
	for i = 1, rounds do
		env.share("turn", i)
		ping:complete()
		if pong:wait() == true and env.fetch("turn") == -i then
			answered = answered + 1
		end
	end
	joined(h, "handshake: the other side ends")
	t:is(answered, rounds, "handshake: every round was answered in order")
	t:is(env.fetch("pong_seen"), rounds, "handshake: the other side saw every round in order")
end

-- mutual exclusion over a shared counter, with lock/unlock and with scope
for _, role in ipairs({"counter", "scopecounter"}) do
	local n = 400
	local m = mutex.new()
	env.share("m", m)
	env.share("n", n)
	env.share("counter", 0)
	env.share("overlap", false)
	env.share("inside", false)
	local a, b = env.spawn(role), env.spawn(role)
	joined(a, role .. ": the first thread ends")
	joined(b, role .. ": the second thread ends")
	t:is(env.fetch("counter"), 2 * n, role .. ": no increment was lost")
	t:is(env.fetch("overlap"), false, role .. ": no two threads were inside at once")
	t:is(m:locked(), false, role .. ": the mutex is free at the end")
end

-- contention: another runtime holds the mutex
do
	local m, locked, release = mutex.new(), completion.new(), completion.new()
	env.share("m", m)
	env.share("locked", locked)
	env.share("release", release)
	local h = env.spawn("holder")
	locked:wait()
	t:ok(m:locked() and not m:owned(), "a mutex held by another runtime is locked, not owned")
	t:is(tostring(m), "mutex (locked)", "tostring of a mutex held elsewhere")
	t:shape("trylock() of a mutex held elsewhere returns false", {n = 1, false}, m:trylock())
	t:shape("lock(0) of a mutex held elsewhere returns nil, \"timeout\"", {n = 2, nil, "timeout"}, m:lock(0))
	local start = env.now()
	t:shape("lock(30) of a mutex held elsewhere returns nil, \"timeout\"", {n = 2, nil, "timeout"}, m:lock(30))
	local waited = env.now() - start
	t:ok(waited >= 30, "lock(30) times out no earlier than 30 ms", "waited " .. waited .. " ms")
	t:raises(function() m:unlock() end, "mutex: unlock: not the owner (another runtime holds it)",
		"unlock() by a runtime that is not the owner raises")
	t:ok(m:locked() and not m:owned(), "the refused unlock changed nothing")
	release:complete()
	joined(h, "the holder unlocks and ends")
	t:is(env.fetch("holder_unlocked"), true, "the holder's unlock succeeded")
	t:is(m:lock(0), true, "the mutex can be taken once the holder released it")
	m:unlock()
end

-- infinite waits woken by another runtime: absent, nil, negative and huge timeouts sleep
for _, case in ipairs({{"no timeout", nil}, {"-1", -1}, {"maximum integer", 0x7fffffffffffffff}}) do
	local c = completion.new()
	env.share("c", c)
	env.share("timeout", case[2])
	env.share("blocked", nil)
	local h = env.spawn("waitwith")
	t:ok(blocked(h), "wait(" .. case[1] .. ") sleeps until completed")
	c:complete()
	joined(h, "wait(" .. case[1] .. "): the waiter ends")
	t:is(env.fetch("blocked"), "true,nil", "wait(" .. case[1] .. ") returns true once completed")
end
do
	local m = mutex.new()
	m:lock()
	env.share("m", m)
	env.share("blocked", nil)
	local h = env.spawn("lockforever")
	t:ok(blocked(h), "lock() of a held mutex sleeps")
	m:unlock()
	joined(h, "lock(): the waiter ends")
	t:is(env.fetch("blocked"), "true,nil", "lock() returns true once the owner unlocked")
	t:ok(m:locked() and not m:owned(), "the waiter's runtime now holds the mutex")
end

-- stop() on a thread sleeping in each infinite wait: it returns promptly, the script sees
-- "interrupt", and nothing meant for another waiter is swallowed
do
	local c = completion.new()
	env.share("c", c)
	env.share("blocked", nil)
	local h = env.spawn("waitforever")
	t:ok(blocked(h), "stop/wait: the worker sleeps in wait()")
	t:is(h:stop(), true, "stop/wait: stop() returns and the body ended normally")
	t:is(env.fetch("blocked"), "nil,interrupt", "stop/wait: wait() returned nil, \"interrupt\"")
	c:complete()
	t:is(c:trywait(), true, "stop/wait: the interrupted waiter did not swallow the later completion")
end
do
	local m = mutex.new()
	m:lock()
	env.share("m", m)
	env.share("blocked", nil)
	local h = env.spawn("lockforever")
	t:ok(blocked(h), "stop/lock: the worker sleeps in lock()")
	t:is(h:stop(), true, "stop/lock: stop() returns and the body ended normally")
	t:is(env.fetch("blocked"), "nil,interrupt", "stop/lock: lock() returned nil, \"interrupt\"")
	m:unlock()
	t:is(m:trylock(), true, "stop/lock: the interrupted waiter did not take the released mutex")
	m:unlock()
end
do
	local s = semaphore.new(0)
	env.share("s", s)
	env.share("blocked", nil)
	local h = env.spawn("downforever")
	t:ok(blocked(h), "stop/down: the worker sleeps in down()")
	t:is(h:stop(), true, "stop/down: stop() returns and the body ended normally")
	t:is(env.fetch("blocked"), "nil,interrupt", "stop/down: down() returned nil, \"interrupt\"")
	s:up()
	t:is(s:trydown(), true, "stop/down: the interrupted waiter did not swallow the later count")
end
do
	local m = mutex.new()
	m:lock()
	env.share("m", m)
	env.share("blocked", nil)
	local h = env.spawn("scopeforever")
	t:ok(blocked(h), "stop/scope: the worker sleeps in scope()")
	t:is(h:stop(), true, "stop/scope: stop() returns and the body ended normally")
	local result = env.fetch("blocked") or ""
	t:ok(string.find(result, "false,", 1, true) == 1
		and string.find(result, "mutex: scope: lock failed (interrupt)", 1, true),
		"stop/scope: scope() raised \"lock failed (interrupt)\"", result)
	m:unlock()
	t:is(m:locked(), false, "stop/scope: the mutex is free")
end

-- objects outlive the runtime that made them
do
	local h = env.spawn("maker")
	joined(h, "a worker creates objects, shares them and ends")
	local made, done = env.fetch("made"), env.fetch("madecompletion")
	t:is(made and made:count(), 42, "a semaphore made by an ended runtime is still usable")
	t:is(done and done:trywait(), true, "a completion made by an ended runtime is still usable")
	env.share("made", nil)
	env.share("madecompletion", nil)
end

t:done()
