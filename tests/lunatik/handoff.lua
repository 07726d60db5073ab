-- Kernel only: two kernel threads (Lunatik's thread.run, one runtime each)
-- hand work to each other over each class, while this runtime only starts
-- them and checks what they report.
local env = ...
local tap = require("luasync_tap")
local t = tap.new()
local completion = require("completion")
local mutex = require("mutex")
local semaphore = require("semaphore")

if not (env.kernel and env.spawn) then
	t:skip("handoffs between two kernel threads", "needs env.spawn inside Lunatik")
	t:done()
	return
end

local function joined(h, name)
	local ok, err = h:join()
	return t:ok(ok, name, err)
end

-- semaphore: a producer thread and a consumer thread
do
	local n = 200
	local items = semaphore.new(0)
	env.share("items", items)
	env.share("n", n)
	env.share("consumed_in_order", nil)
	local consumer = env.spawn("consumer")
	local producer = env.spawn("producer")
	joined(producer, "semaphore: the producer thread ends")
	joined(consumer, "semaphore: the consumer thread ends")
	t:is(env.fetch("consumed_in_order"), n, "semaphore: each item was there when its count was taken")
	t:is(items:count(), 0, "semaphore: every count was taken once")
end

-- completion: a pinger thread and a ponger thread
do
	local rounds = 100
	env.share("ping", completion.new())
	env.share("pong", completion.new())
	env.share("rounds", rounds)
	env.share("pong_seen", nil)
	env.share("ping_answered", nil)
	local ponger = env.spawn("ponger")
	local pinger = env.spawn("pinger")
	joined(pinger, "completion: the pinger thread ends")
	joined(ponger, "completion: the ponger thread ends")
	t:is(env.fetch("ping_answered"), rounds, "completion: the pinger got every answer in order")
	t:is(env.fetch("pong_seen"), rounds, "completion: the ponger saw every round in order")
end

-- mutex: the giver thread holds it, the taker thread finds it held, sleeps in
-- lock() and gets it once the giver unlocks
do
	local m, release, tried = mutex.new(), completion.new(), completion.new()
	env.share("m", m)
	env.share("locked", completion.new())
	env.share("release", release)
	env.share("tried", tried)
	env.share("giver_holds", nil)
	local giver = env.spawn("giver")
	local taker = env.spawn("taker")
	t:is(tried:wait(10000), true, "mutex: the taker tried the mutex while the giver held it")
	t:ok(m:locked() and not m:owned(), "mutex: held by the giver's runtime, not this one")
	release:complete()
	joined(giver, "mutex: the giver thread ends")
	joined(taker, "mutex: the taker thread ends")
	t:is(env.fetch("taker_trylock"), false, "mutex: trylock() in the taker failed while the giver held it")
	t:is(env.fetch("taker_locked"), true, "mutex: lock() in the taker succeeded after the giver unlocked")
	t:is(env.fetch("taker_saw_free"), true, "mutex: the taker got the mutex only after the giver let go")
	t:is(m:locked(), false, "mutex: free at the end")
end

t:done()
