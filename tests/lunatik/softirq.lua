-- Kernel only: runtimes made with lunatik.runtime(script, "softirq") or
-- "hardirq" may not sleep. A script that calls wait(), lock() or down() while
-- such a runtime loads fails to load with the class's "cannot sleep" error,
-- and scope() raises it; complete(), wait(0), up(), trydown(), trylock() and
-- unlock() work there. The same calls load fine in a process runtime.
local env = ...
local tap = require("luasync_tap")
local t = tap.new()
local completion = require("completion")
local mutex = require("mutex")
local semaphore = require("semaphore")

if not (env.kernel and env.inruntime) then
	t:skip("calls in runtimes that may not sleep", "needs env.inruntime inside Lunatik")
	t:done()
	return
end

-- Fresh objects for one case: a completion, a free mutex, a semaphore at 0.
local function fresh()
	local c, m, s = completion.new(), mutex.new(), semaphore.new(0)
	env.share("c", c)
	env.share("m", m)
	env.share("s", s)
	env.share("blocked", nil)
	env.share("result", nil)
	return c, m, s
end

-- Loads a runtime of that context whose script calls op(timeout) as it loads.
local function loadcall(context, op, timeout)
	env.share("op", op)
	env.share("timeout", timeout)
	return env.inruntime(context, "call")
end

local function failedwith(ok, err, want)
	return not ok and string.find(tostring(err), want, 1, true) ~= nil
end

local refused = {
	{op = "wait", message = "completion: wait: cannot sleep in a "},
	{op = "lock", message = "mutex: lock: cannot sleep in a "},
	{op = "down", message = "semaphore: down: cannot sleep in a "},
}

for _, context in ipairs({"softirq", "hardirq"}) do
	local where = context .. " runtime: "
	for _, case in ipairs(refused) do
		local want = case.message .. context .. " runtime"
		local _, m = fresh()
		-- The finite form first: had it slept instead of raising, the infinite
		-- form would never return, so that one is then not tried.
		local ok, err = loadcall(context, case.op, 10)
		if t:ok(failedwith(ok, err, want), where .. case.op .. "(10) as it loads fails the load with \"" .. want .. "\"",
			ok and ("it loaded; the call returned " .. tostring(env.fetch("result"))) or err) then
			ok, err = loadcall(context, case.op, nil)
			t:ok(failedwith(ok, err, want), where .. case.op .. "() as it loads fails the load the same way",
				ok and "it loaded" or err)
		else
			t:ok(false, where .. case.op .. "() as it loads fails the load the same way", "not tried: it would sleep")
		end
		t:is(env.fetch("result"), nil, where .. "the refused " .. case.op .. " returned nothing to the script")
		t:is(m:locked(), false, where .. "the refused " .. case.op .. " left the mutex free")
	end

	do
		local _, m = fresh()
		local ok, err = env.inruntime(context, "scopeforever")
		t:ok(ok, where .. "a script that catches scope()'s error loads", err)
		local blocked = env.fetch("blocked") or "(none)"
		local want = "mutex: scope: cannot sleep in a " .. context .. " runtime"
		t:ok(string.find(blocked, "false,", 1, true) == 1 and string.find(blocked, want, 1, true) ~= nil,
			where .. "scope() raises \"" .. want .. "\"", "it returned " .. blocked)
		t:is(m:locked(), false, where .. "the refused scope() left the mutex free")
	end

	do
		local c, m, s = fresh()
		local ok, err = env.inruntime(context, "nosleep")
		t:ok(ok, where .. "a script that only calls what never sleeps loads", err)
		t:is(env.fetch("nosleep_poll"), "true", where .. "complete() then wait(0) returns true")
		t:is(c:done(), true, where .. "complete() completed the completion")
		t:is(env.fetch("nosleep_trydown"), true, where .. "up(2) then trydown() returns true")
		t:is(s:count(), 1, where .. "up(2) and trydown() left a count of 1")
		t:is(env.fetch("nosleep_trylock"), true, where .. "trylock() of a free mutex returns true")
		t:is(env.fetch("nosleep_owned"), true, where .. "the runtime that took it owns it")
		t:is(m:locked(), false, where .. "unlock() freed it")
	end
end

-- The control: in a process runtime the same calls load, here without
-- sleeping (a done completion, a counted semaphore).
do
	local c, _, s = fresh()
	c:complete()
	s:up()
	local ok, err = loadcall("process", "wait", nil)
	t:ok(ok and env.fetch("result") == "true", "process runtime: wait() of a done completion as it loads returns true",
		err or env.fetch("result"))
	ok, err = loadcall("process", "down", nil)
	t:ok(ok and env.fetch("result") == "true", "process runtime: down() of a counted semaphore as it loads returns true",
		err or env.fetch("result"))
end

t:done()
