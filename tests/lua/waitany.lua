-- waitany: one wait on several objects, taking from the first that can give and from
-- that one only; timeouts, closed objects, bad input, and waiters on threads.
---@diagnostic disable: param-type-mismatch, missing-parameter, assign-type-mismatch (bad input on purpose)
local env = ...
local tap = require("luasync_tap")
local t = tap.new()
local waitany = require("waitany")
local completion = require("completion")
local semaphore = require("semaphore")
local mutex = require("mutex")
local channel = require("channel")

t:is(type(waitany), "function", "require \"waitany\" returns a function")

-- what is taken
do
	local c, s = completion.new(), semaphore.new(2)
	t:shape("waitany({c, s}) takes a count of the semaphore: 2", {n = 1, 2}, waitany({c, s}))
	t:is(s:count(), 1, "it took one count")
	c:complete()
	t:shape("with both ready it takes the first: 1", {n = 1, 1}, waitany({c, s}))
	t:ok(not c:done() and s:count() == 1, "it took only from the first")
	local m = mutex.new()
	t:shape("a free mutex is taken", {n = 1, 1}, waitany({m}))
	t:ok(m:owned(), "and held by this runtime")
	t:raises(function() waitany({m}) end, "deadlock", "a non-recursive mutex this runtime holds raises deadlock")
	m:unlock()
	local r = mutex.new(true)
	r:lock()
	t:shape("a recursive mutex this runtime holds is taken one level deeper", {n = 1, 1}, waitany({r}))
	r:unlock()
	t:ok(r:owned(), "one level was left")
	r:unlock()
	local ch = channel.new(2)
	ch:send({k = "v"})
	local i, v = waitany({c, ch})
	t:ok(i == 2 and type(v) == "table" and v.k == "v", "a channel gives its index, then the value")
	t:is(ch:count(), 0, "and the value left the channel")
end

-- timeouts and closed objects
do
	local c = completion.new()
	t:shape("waitany({c}, 0) polls: nil, \"timeout\"", {n = 2, nil, "timeout"}, waitany({c}, 0))
	local start = env.now()
	t:shape("waitany({c}, 30) returns nil, \"timeout\"", {n = 2, nil, "timeout"}, waitany({c}, 30))
	t:ok(env.now() - start >= 30, "waitany({c}, 30) times out no earlier than 30 ms")
	local ch = channel.new()
	ch:close()
	t:shape("a closed, empty channel: its index, nil, \"closed\"", {n = 3, 2, nil, "closed"}, waitany({c, ch}, 0))
	local full = channel.new()
	full:send("last")
	full:close()
	local i, v = waitany({full})
	t:ok(i == 1 and v == "last", "a closed channel still gives what was sent")
	local gone = completion.new()
	gone:close()
	t:raises(function() waitany({gone}) end, "got closed completion", "a closed object in the list raises")
end

-- bad input
t:raises(function() waitany() end, "table of at most 64 objects expected, got no value", "no list raises")
t:raises(function() waitany({}) end, "table of at most 64 objects expected", "an empty list raises")
local many = {}
for i = 1, 65 do many[i] = completion.new() end
t:raises(function() waitany(many) end, "table of at most 64 objects expected", "65 objects raise")
t:raises(function() waitany({completion.new(), 42}) end,
	"item 2: completion, semaphore, mutex or channel expected, got number", "a number in the list raises")
t:raises(function() waitany({{}}) end, "got table", "a table in the list raises")
t:raises(function() waitany({completion.new()}, "soon") end, "number expected, got string",
	"a string timeout raises")

if not env.spawn then
	t:skip("waitany between runtimes", "env.spawn is not provided")
	t:done()
	return
end

-- between runtimes
do
	local c, ch = completion.new(), channel.new()
	env.share("c", c)
	env.share("ch", ch)
	env.share("blocked", nil)
	local h = env.spawn("anyforever")
	t:ok(h:waitblocked(), "waitany sleeps while nothing can give")
	ch:send("work")
	t:ok(h:join(), "the waiter ends")
	t:is(env.fetch("blocked"), "2,work,nil", "it got the channel's value")
	t:is(c:done(), false, "and took nothing from the completion")
end
do
	local c, ch = completion.new(), channel.new()
	env.share("c", c)
	env.share("ch", ch)
	env.share("blocked", nil)
	local h = env.spawn("anyforever")
	t:ok(h:waitblocked(), "stop/waitany: the worker sleeps")
	t:is(h:stop(), true, "stop/waitany: stop() returns")
	t:is(env.fetch("blocked"), "nil,interrupt,nil", "stop/waitany: it returned nil, \"interrupt\"")
end
do
	local c, ch = completion.new(), channel.new()
	env.share("c", c)
	env.share("ch", ch)
	env.share("blocked", nil)
	local h = env.spawn("anyforever")
	t:ok(h:waitblocked(), "close/waitany: the worker sleeps")
	ch:close()
	t:ok(h:join(), "close/waitany: the worker ends")
	t:is(env.fetch("blocked"), "2,nil,closed", "close/waitany: it returned 2, nil, \"closed\"")
end

-- a pool of waitany workers, jobs on a channel and a shutdown completion
do
	local jobs, quit, results = channel.new(4), completion.new(), channel.new(64)
	env.share("jobs", jobs)
	env.share("quit", quit)
	env.share("results", results)
	local workers, ids = {}, channel.new(3)
	env.share("ids", ids)
	for w = 1, 3 do
		ids:send(w)
		workers[w] = env.spawn("anyworker")
	end
	local want = 0
	for x = 1, 40 do
		jobs:send(x)
		want = want + x * x
	end
	local got = 0
	for _ = 1, 40 do
		got = got + results:receive(10000)
	end
	quit:completeall()
	local done = 0
	-- A worker's number is the id it took from "ids", not its handle's index: every
	-- worker has ended before any count is read.
	for w = 1, 3 do
		local ok, err = workers[w]:join()
		t:ok(ok, "pool: worker " .. w .. " ends on the shutdown completion", err)
	end
	for w = 1, 3 do
		done = done + (env.fetch("anyworker_done_" .. w) or 0)
	end
	t:is(got, want, "pool: every job was answered once")
	t:is(done, 40, "pool: the workers did 40 jobs in all")
end

t:done()
