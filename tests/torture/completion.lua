-- The torture's completion class: a hand-off over one completion. Workers of
-- odd slots complete it (a burst of one to three complete() calls, when it
-- is not done already, so that pending completions stay few) and also take
-- from it without sleeping for long; workers of even slots wait on it, with
-- and without timeouts, or trywait(). The infinite waits end by a complete()
-- of a completer (slot 1 always is one) or by the final thread:stop().
-- At the end, every complete() must have been taken by exactly one
-- successful wait or trywait, or still be pending: none lost (an interrupted
-- or timed-out wait that consumed one), none taken twice.

local completion = require("completion")
local lib = require("luasync.torture.lib")

local class = {
	name = "completion",
	label = "Waits",
	total = "taken", -- successful waits and trywaits
	tallies = {"taken", "completed", "busy"},
}

function class.setup(ctx)
	local c = completion.new()
	ctx.share("c", c)
	return {c = c}
end

local function taken(w)
	w.tally.taken = w.tally.taken + 1
	w.progressed()
end

local function trywaitop(w, c)
	local got = c:trywait()
	if got == true then
		taken(w)
	elseif got == false then
		w.tally.busy = w.tally.busy + 1
	else
		w.violation("trywait() returned " .. lib.shown(got))
		return "unexpected"
	end
	return "ok"
end

local function waitop(w, c, infinite)
	local kind = w.wait("wait", c, c.wait, lib.timeout(infinite))
	if kind == "ok" then
		taken(w)
	end
	return kind
end

local function completeop(w, c)
	if not c:done() then
		local n = lib.between(1, 3)
		for _ = 1, n do
			c:complete()
		end
		w.tally.completed = w.tally.completed + n
	end
	return "ok"
end

local COMPLETER = {completeop, completeop, trywaitop,
	function(w, c) return waitop(w, c, false) end}
local WAITER = {trywaitop, function(w, c) return waitop(w, c, true) end}

function class.worker(w)
	local c = w.fetch("c")
	local ops = w.slot % 2 == 1 and COMPLETER or WAITER
	lib.loop(w, function()
		return lib.pick(ops)(w, c)
	end)
end

function class.check(ctx, state, totals)
	-- Drain what is pending; more trywaits than complete() calls would
	-- mean the completion stays done (a bug): stop there.
	local pending = 0
	while pending <= totals.completed and state.c:trywait() do
		pending = pending + 1
	end
	local completed, took = totals.completed, totals.taken
	ctx.diag(completed .. " complete() calls, " .. took .. " successful waits, " ..
		pending .. " pending at the end")
	ctx.result(completed == took + pending,
		"every complete() was taken by one successful wait or is still pending",
		completed > took + pending and (completed - took - pending) .. " lost"
		or (took + pending - completed) .. " taken twice")
	ctx.result(not state.c:done(), "the completion is not done once drained", tostring(state.c))
end

return class
