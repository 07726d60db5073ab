-- Runtimes that may not sleep (softirq, hardirq): blocking calls raise a clear error,
-- calls that never sleep (and polls, timeout 0) work.
local env = ...
local tap = require("luasync_tap")
local t = tap.new()
local completion = require("completion")
local mutex = require("mutex")
local semaphore = require("semaphore")

if not env.setcontext then
	t:skip("blocking calls in softirq and hardirq runtimes", "only the userspace harness can switch contexts")
	t:done()
	return
end

for _, context in ipairs({"softirq", "hardirq"}) do
	local c, m, s = completion.new(), mutex.new(), semaphore.new(0)
	env.setcontext(context)
	local cannot = "cannot sleep in a " .. context .. " runtime"
	-- Finite timeouts first: if one of them slept instead of raising, the infinite form
	-- would hang, so it is reported as failed without being tried.
	local function refuses(name, finite, infinite, message)
		if t:raises(finite, message, context .. ": " .. name .. " with a timeout raises") then
			t:raises(infinite, message, context .. ": " .. name .. " without a timeout raises")
		else
			t:ok(false, context .. ": " .. name .. " without a timeout raises", "not tried: it would sleep")
		end
	end
	refuses("wait", function() c:wait(10) end, function() c:wait() end, "completion: wait: " .. cannot)
	refuses("lock", function() m:lock(10) end, function() m:lock(-1) end, "mutex: lock: " .. cannot)
	refuses("down", function() s:down(10) end, function() s:down() end, "semaphore: down: " .. cannot)
	if t:raises(function() m:scope(function() end) end, "mutex: scope: " .. cannot, context .. ": scope() raises") then
		t:is(m:locked(), false, context .. ": the refused scope did not lock")
	else
		t:ok(false, context .. ": the refused scope did not lock")
		m:unlock()
	end
	t:is(m:locked(), false, context .. ": the refused lock and scope left the mutex free")
	t:shape(context .. ": wait(0) polls", {n = 2, nil, "timeout"}, c:wait(0))
	t:shape(context .. ": complete() works", {n = 0}, c:complete())
	t:is(c:done(), true, context .. ": done() works")
	t:is(c:trywait(), true, context .. ": trywait() works")
	c:completeall()
	t:is(c:wait(0), true, context .. ": completeall() and wait(0) work")
	c:reinit()
	t:is(c:done(), false, context .. ": reinit() works")
	t:is(m:trylock(), true, context .. ": trylock() works")
	t:raises(function() m:lock(0) end, "mutex: lock: deadlock", context .. ": lock(0) by the owner raises deadlock")
	t:ok(m:owned() and m:locked(), context .. ": owned() and locked() work")
	t:shape(context .. ": unlock() works", {n = 0}, m:unlock())
	t:is(m:lock(0), true, context .. ": lock(0) of a free mutex takes it")
	m:unlock()
	t:shape(context .. ": up() works", {n = 0}, s:up(2))
	t:is(s:trydown(), true, context .. ": trydown() works")
	t:is(s:down(0), true, context .. ": down(0) polls")
	t:is(s:count(), 0, context .. ": count() works")
	local made = completion.new()
	t:is(tostring(made), "completion (not done)", context .. ": objects can be created")
	t:is(tostring(mutex.new()) .. tostring(semaphore.new(1)), "mutex (unlocked)semaphore (count 1)",
		context .. ": every class can be created")
	env.setcontext("process")
	t:is(c:wait(0), nil, context .. " then process: waits are allowed again")
end

t:done()
