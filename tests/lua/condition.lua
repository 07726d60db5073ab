-- condition: every method, every return shape, the mutex held again (or not) after each
-- result, recursion, bad input, and waiters on threads: signal, broadcast, stop, close.
---@diagnostic disable: param-type-mismatch, missing-parameter (bad input on purpose)
local env = ...
local tap = require("luasync_tap")
local t = tap.new()
local condition = require("condition")
local mutex = require("mutex")
local completion = require("completion")
local channel = require("channel")

local cv = condition.new()
t:is(type(cv), "userdata", "condition.new returns an object")
t:is(tostring(cv), "condition (0 waiting)", "tostring of a new condition")
t:shape("signal() with nobody waiting returns nothing", {n = 0}, cv:signal())
t:shape("broadcast() with nobody waiting returns nothing", {n = 0}, cv:broadcast())

-- waits that time out: the mutex is held again
local m = mutex.new()
m:lock()
t:shape("wait(m, 0) returns nil, \"timeout\"", {n = 2, nil, "timeout"}, cv:wait(m, 0))
t:ok(m:owned(), "after wait(m, 0) the mutex is held again")
t:shape("a signal sent before the wait is not kept: wait(m, 0) still times out", {n = 2, nil, "timeout"},
	(function() cv:signal() return cv:wait(m, 0) end)())
local start = env.now()
t:shape("wait(m, 30) returns nil, \"timeout\"", {n = 2, nil, "timeout"}, cv:wait(m, 30))
t:ok(env.now() - start >= 30, "wait(m, 30) times out no earlier than 30 ms")
t:ok(m:owned(), "after wait(m, 30) the mutex is held again")
t:shape("wait(m, \"5\") takes the string as 5 ms", {n = 2, nil, "timeout"}, cv:wait(m, "5"))
m:unlock()

-- recursion: every level is given back during the wait and taken back after it
local r = mutex.new(true)
r:lock()
r:lock()
r:lock()
t:shape("wait(r, 0) on a recursive mutex held three deep times out", {n = 2, nil, "timeout"}, cv:wait(r, 0))
r:unlock()
r:unlock()
t:ok(r:owned(), "after two unlocks the recursive mutex is still held: three levels came back")
r:unlock()
t:is(r:locked(), false, "the third unlock frees it")

-- not held
t:raises(function() cv:wait(m) end, "condition: wait: the mutex is not held by this runtime",
	"wait(m) without holding m raises")
t:raises(function() cv:wait(m, 0) end, "condition: wait: the mutex is not held by this runtime",
	"wait(m, 0) without holding m raises")
t:is(m:locked(), false, "the refused wait did not lock the mutex")

-- bad input
t:raises(function() cv:wait() end, "bad argument #1 to 'wait' (mutex expected, got no value)",
	"wait() without a mutex raises")
t:raises(function() cv:wait(completion.new()) end, "bad argument #1 to 'wait' (mutex expected, got completion)",
	"wait(completion) raises")
t:raises(function() cv:wait(cv) end, "bad argument #1 to 'wait' (mutex expected, got condition)",
	"wait(condition) raises")
m:lock()
t:raises(function() cv:wait(m, "ten") end, "bad argument #2 to 'wait' (number expected, got string)",
	"a non-numeric timeout raises")
t:raises(function() cv:wait(m, "1.5") end, "bad argument #2 to 'wait'", "a non-integer string timeout raises")
t:raises(function() cv:wait(m, {}) end, "bad argument #2 to 'wait' (number expected, got table)",
	"a table timeout raises")
t:ok(m:owned(), "the rejected waits left the mutex held")
m:unlock()
t:raises(function() cv.wait(m, m) end, "bad argument #1 to 'wait' (condition expected, got mutex)",
	"a mutex as self raises")
t:raises(function() cv.signal() end, "bad argument #1 to 'signal' (condition expected, got no value)",
	"a missing self raises")
local dead = mutex.new()
dead:close()
t:raises(function() cv:wait(dead) end, "bad argument #1 to 'wait' (mutex expected, got closed mutex)",
	"a closed mutex raises")
local rejected = 0
for _, name in ipairs({"wait", "signal", "broadcast"}) do
	if not pcall(cv[name], mutex.new(), mutex.new()) then
		rejected = rejected + 1
	end
end
t:is(rejected, 3, "every method rejects another class as self")

-- close
local closed = condition.new()
closed:close()
t:is(tostring(closed), "condition (closed)", "tostring of a closed condition")
t:raises(function() closed:signal() end, "condition expected, got closed condition",
	"signal() of a closed condition raises")
t:raises(function() closed:wait(m) end, "condition expected, got closed condition",
	"wait() on a closed condition raises")

-- contexts that may not sleep
if env.setcontext then
	for _, context in ipairs({"softirq", "hardirq"}) do
		local c2, m2 = condition.new(), mutex.new()
		env.setcontext(context)
		t:shape(context .. ": signal() works", {n = 0}, c2:signal())
		t:shape(context .. ": broadcast() works", {n = 0}, c2:broadcast())
		t:is(m2:trylock(), true, context .. ": a mutex can be held")
		t:raises(function() c2:wait(m2, 0) end, "condition: wait: cannot sleep in a " .. context .. " runtime",
			context .. ": wait(m, 0) raises: taking the mutex back may sleep")
		t:raises(function() c2:wait(m2) end, "condition: wait: cannot sleep in a " .. context .. " runtime",
			context .. ": wait(m) raises")
		t:ok(m2:owned(), context .. ": the refused waits left the mutex held")
		m2:unlock()
		t:is(tostring(condition.new()), "condition (0 waiting)", context .. ": conditions can be created")
		env.setcontext("process")
	end
else
	t:skip("condition in softirq and hardirq runtimes", "only the userspace harness switches contexts here")
end

if not env.spawn then
	t:skip("conditions between runtimes", "env.spawn is not provided")
	t:done()
	return
end

-- Shares a fresh condition, mutex and report channel for cvwaiter workers.
local function fresh(timeout)
	local c, mx, reports = condition.new(), mutex.new(), channel.new(8)
	env.share("cv", c)
	env.share("m", mx)
	env.share("locked", completion.new())
	env.share("reports", reports)
	env.share("timeout", timeout)
	return c, mx, reports
end

-- a signal sent right after the release reaches the waiter
do
	local c, mx, reports = fresh(nil)
	local h = env.spawn("cvwaiter")
	t:is(env.fetch("locked"):wait(10000), true, "signal: the waiter locked the mutex")
	t:is(mx:lock(10000), true, "signal: the mutex is free once the waiter waits")
	t:is(tostring(c), "condition (1 waiting)", "signal: tostring counts the waiter")
	c:signal()
	t:is(tostring(c), "condition (0 waiting)", "signal: the signal took the waiter off")
	mx:unlock()
	t:ok(h:join(), "signal: the waiter ends")
	t:is(reports:receive(0), "true,nil,true", "signal: wait returned true, holding the mutex")
end

-- one signal wakes one waiter, a broadcast the others
do
	local c, mx, reports = fresh(10000)
	local hs = {}
	for i = 1, 3 do
		hs[i] = env.spawn("cvwaiter")
		t:is(env.fetch("locked"):wait(10000), true, "broadcast: waiter " .. i .. " locked the mutex")
		t:ok(hs[i]:waitblocked(), "broadcast: waiter " .. i .. " sleeps")
	end
	t:is(tostring(c), "condition (3 waiting)", "broadcast: three waiters")
	mx:lock()
	c:signal()
	t:is(tostring(c), "condition (2 waiting)", "broadcast: one signal took one waiter")
	mx:unlock()
	t:is(reports:receive(10000), "true,nil,true", "broadcast: the signalled waiter returned true")
	t:is(tostring(c), "condition (2 waiting)", "broadcast: the two others still wait")
	c:broadcast()
	t:is(tostring(c), "condition (0 waiting)", "broadcast: the broadcast took them all")
	local got = {}
	for i = 1, 2 do
		got[i] = reports:receive(10000)
	end
	t:ok(got[1] == "true,nil,true" and got[2] == "true,nil,true", "broadcast: both returned true, holding the mutex",
		table.concat(got, " "))
	for i = 1, 3 do
		t:ok(hs[i]:join(), "broadcast: waiter " .. i .. " ends")
	end
end

-- stop: "interrupt", and the mutex is not taken back
do
	local c, mx, reports = fresh(nil)
	local h = env.spawn("cvwaiter")
	t:is(env.fetch("locked"):wait(10000), true, "stop: the waiter locked the mutex")
	t:ok(h:waitblocked(), "stop: the waiter sleeps")
	t:is(h:stop(), true, "stop: stop() returns")
	t:is(reports:receive(0), "nil,interrupt,false", "stop: wait returned nil, \"interrupt\", not holding the mutex")
	t:is(mx:locked(), false, "stop: the mutex is free")
	t:is(tostring(c), "condition (0 waiting)", "stop: the waiter left the condition")
end

-- a signalled waiter that finds the mutex taken sleeps for it; stopped there: "interrupt"
do
	local c, mx, reports = fresh(nil)
	local h = env.spawn("cvwaiter")
	t:is(env.fetch("locked"):wait(10000), true, "stop while taking back: the waiter locked the mutex")
	t:is(mx:lock(10000), true, "stop while taking back: the mutex is free once the waiter waits")
	c:signal()
	t:ok(h:waitblocked(), "stop while taking back: the waiter sleeps")
	t:is(h:stop(), true, "stop while taking back: stop() returns")
	t:is(reports:receive(0), "nil,interrupt,false", "stop while taking back: nil, \"interrupt\", without the mutex")
	t:ok(mx:owned(), "stop while taking back: the mutex stayed with its holder")
	mx:unlock()
end

-- close of the condition: "closed", the mutex held again
do
	local c, mx, reports = fresh(nil)
	local h = env.spawn("cvwaiter")
	t:is(env.fetch("locked"):wait(10000), true, "close: the waiter locked the mutex")
	t:ok(h:waitblocked(), "close: the waiter sleeps")
	c:close()
	t:ok(h:join(), "close: the waiter ends")
	t:is(reports:receive(0), "nil,closed,true", "close: wait returned nil, \"closed\", holding the mutex")
	t:is(mx:locked(), false, "close: the waiter gave the mutex back")
end

-- close of the mutex: "closed"
do
	local _, mx, reports = fresh(nil)
	local h = env.spawn("cvwaiter")
	t:is(env.fetch("locked"):wait(10000), true, "mutex closed: the waiter locked the mutex")
	t:ok(h:waitblocked(), "mutex closed: the waiter sleeps")
	mx:close()
	t:ok(h:join(), "mutex closed: the waiter ends")
	t:is(reports:receive(0), "nil,closed,closed", "mutex closed: wait returned nil, \"closed\"")
end

-- held by another runtime
do
	local mx, locked, release = mutex.new(), completion.new(), completion.new()
	env.share("m", mx)
	env.share("locked", locked)
	env.share("release", release)
	local h = env.spawn("holder")
	t:is(locked:wait(10000), true, "another holder: it locked the mutex")
	t:raises(function() cv:wait(mx, 0) end, "condition: wait: the mutex is not held by this runtime",
		"wait(m) with m held by another runtime raises")
	release:complete()
	t:ok(h:join(), "another holder: it ends")
end

t:done()
