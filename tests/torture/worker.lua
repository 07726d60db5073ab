-- The body of every torture worker: the role "torture.worker.run", which
-- env.spawn finds through tests/lunatik/roles.lua. Each worker is a Lunatik
-- runtime of its own on a kernel thread of its own.
--
-- It takes its assignment (a class and a slot number) from the driver, waits
-- for the driver's go, runs the class's worker loop until thread:stop(), and
-- leaves its tallies in the store, under "torture.<class>.<slot>.<tally>",
-- with the first violation it saw as "torture.<class>.<slot>.why"; the
-- driver reads them once the thread has ended. A stopped worker cannot be cut short in the middle of its Lua
-- code: thread:stop() only makes its waits return "interrupt", so the tallies
-- it leaves are exact.

local thread = require("thread")
local lib = require("luasync.torture.lib")

local M = {}

local reasons = {}
for _, reason in ipairs(lib.REASONS) do
	reasons[reason] = true
end

-- Names the tallies of a class: the common ones, then the class's own.
function M.tallies(class)
	local names = {"fail"}
	for _, reason in ipairs(lib.REASONS) do
		names[#names + 1] = reason
	end
	for _, name in ipairs(class.tallies) do
		names[#names + 1] = name
	end
	return names
end

-- The worker context of a class's worker loop (see torture.lua).
local function context(env, classname, slot, class, progress)
	local scope = lib.PREFIX .. classname .. "."
	local w = {class = classname, slot = slot, tally = {}}
	for _, name in ipairs(M.tallies(class)) do
		w.tally[name] = 0
	end
	w.stopping = thread.shouldstop

	function w.fetch(name)
		return env.fetch(scope .. name)
	end

	function w.share(name, value)
		env.share(scope .. name, value)
	end

	function w.violation(message)
		w.tally.fail = w.tally.fail + 1
		if w.why == nil then
			w.why = message
		end
	end

	local progressed = false
	function w.progressed()
		if not progressed then
			progressed = true
			progress:up()
		end
	end

	-- Judges what a blocking call returned: "ok" (true), one of
	-- lib.REASONS (tallied), or "unexpected" (a violation). A timeout must
	-- not come from a call without one, nor before its time; an interrupt
	-- only to a thread asked to stop.
	function w.judge(call, timeout, elapsed_ns, ok, err, extra)
		if ok == true and err == nil and extra == nil then
			return "ok"
		end
		local what = call .. "(" .. lib.showtimeout(timeout) .. ")"
		if ok == nil and extra == nil and reasons[err] then
			if err == "timeout" and not lib.finite(timeout) then
				w.violation(what .. " returned \"timeout\" without a timeout")
				return "unexpected"
			elseif err == "timeout" and elapsed_ns < timeout * 1000000 then
				w.violation(what .. " timed out after only " .. elapsed_ns // 1000 .. " us")
			elseif err == "interrupt" and not thread.shouldstop() then
				w.violation(what .. " returned \"interrupt\" to a thread not asked to stop")
			end
			w.tally[err] = w.tally[err] + 1
			return err
		end
		w.violation(what .. " returned " .. lib.shown(ok, err, extra))
		return "unexpected"
	end

	-- Calls object:method(timeout) and judges what it returned.
	function w.wait(call, object, method, timeout)
		local start = lib.clock()
		local ok, err, extra = method(object, timeout)
		return w.judge(call, timeout, lib.clock() - start, ok, err, extra)
	end

	return w
end

-- The role: see the top of the file.
function M.run(env)
	local P = lib.PREFIX
	local classname, slot = env.fetch(P .. "assign.class"), env.fetch(P .. "assign.slot")
	local progress, go = env.fetch(P .. classname .. ".progress"), env.fetch(P .. "go")
	env.fetch(P .. "assigned"):complete()

	local class = require("luasync.torture." .. classname)
	local w = context(env, classname, slot, class, progress)
	-- Every worker starts at the driver's go (completeall); a worker
	-- stopped before it has nothing to do.
	local kind = w.wait("go wait", go, go.wait, nil)
	if kind == "ok" then
		local ok, err = pcall(class.worker, w)
		if not ok then
			w.violation("raised: " .. tostring(err))
		elseif not thread.shouldstop() and w.tally.fail == 0 then
			w.violation("the worker loop returned before thread:stop()")
		end
	end

	local mine = P .. classname .. "." .. slot .. "."
	for name, n in pairs(w.tally) do
		env.share(mine .. name, n)
	end
	env.share(mine .. "why", w.why)
end

return M
