-- Kernel only: thread:stop() on a kernel thread asleep in each infinite wait
-- (and in a long finite one: h:waitblocked() sees it sleep in a luasync
-- function before the stop) returns, the script in the thread sees
-- nil, "interrupt", its later waits return "interrupt" at once, and the
-- interrupted call took nothing meant for others.
local env = ...
local tap = require("luasync_tap")
local t = tap.new()
local completion = require("completion")
local mutex = require("mutex")
local semaphore = require("semaphore")
local linux = require("linux")

if not (env.kernel and env.spawn) then
	t:skip("thread:stop() of a sleeping kernel thread", "needs env.spawn inside Lunatik")
	t:done()
	return
end

local cases = {
	{op = "wait", call = "wait()", first = "nil,interrupt"},
	{op = "waitlong", call = "wait(60000)", first = "nil,interrupt"},
	{op = "lock", call = "lock()", first = "nil,interrupt"},
	{op = "down", call = "down()", first = "nil,interrupt"},
	{op = "scope", call = "scope(f)", first = "false,", raised = "mutex: scope: lock failed (interrupt)"},
}

-- Whether the interrupted call took nothing: a later completion, count or
-- unlock is still there for others. Leaves the mutex free.
local function untouched(case, c, m, s)
	m:unlock()
	if case.op == "wait" or case.op == "waitlong" then
		c:complete()
		return c:trywait() == true and c:done() == false
	elseif case.op == "down" then
		s:up()
		return s:trydown() == true and s:count() == 0
	end
	local free = m:trylock() == true
	if free then
		m:unlock()
	end
	return free and not m:locked()
end

-- Whether the interrupted call returned as expected.
local function returned(case, first)
	if case.raised == nil then
		return first == case.first
	end
	return string.find(first, case.first, 1, true) == 1 and string.find(first, case.raised, 1, true) ~= nil
end

for _, case in ipairs(cases) do
	local name = "stop/" .. case.call .. ": "
	local c, m, s, ready = completion.new(), mutex.new(), semaphore.new(0), completion.new()
	m:lock()
	env.share("op", case.op)
	env.share("c", c)
	env.share("m", m)
	env.share("s", s)
	env.share("never", completion.new())
	env.share("ready", ready)
	env.share("first", nil)
	env.share("again", nil)
	local h = env.spawn("blockin")
	t:is(ready:wait(10000), true, name .. "the thread reached the call")
	-- Stopped only once asleep in the call, not on its way to it.
	t:ok(h:waitblocked(), name .. "the thread sleeps in the call")
	local start = linux.time()
	local ok, err = h:stop()
	print("# " .. name .. "stop() returned after " .. (linux.time() - start) // 1000000 .. " ms (wall clock)")
	t:ok(ok, name .. "stop() returned and the body ended normally", err)
	local first = env.fetch("first") or "(none)"
	t:ok(returned(case, first), name .. "the call returned " .. case.first .. (case.raised or ""),
		"it returned " .. first)
	t:is(env.fetch("again"), "nil,interrupt", name .. "a later wait(10000) in the stopped thread returns \"interrupt\"")
	t:ok(untouched(case, c, m, s), name .. "the interrupted call took nothing")
end

t:done()
