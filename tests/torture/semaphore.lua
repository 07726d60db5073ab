-- The torture's semaphore class: a semaphore of `bound` counts (half the
-- workers, at least one) that the workers take one or two at a time, with
-- down() (with and without timeouts) and trydown(), and give back with up()
-- or up(2). Every holder adds its counts to "holders" under a guard mutex
-- right after taking them and removes them before giving them back: more
-- holders than `bound` is a violation. At the end the count is `bound` again
-- (an interrupted down took nothing).

local mutex = require("mutex")
local semaphore = require("semaphore")
local lib = require("luasync.torture.lib")

local class = {
	name = "semaphore",
	label = "Downs",
	total = "acquired", -- counts taken
	tallies = {"acquired", "busy", "double"},
}

function class.setup(ctx)
	local bound = math.max(1, ctx.threads // 2)
	local s, guard = semaphore.new(bound), mutex.new()
	ctx.share("s", s)
	ctx.share("guard", guard)
	ctx.share("bound", bound)
	ctx.share("holders", 0)
	ctx.share("peak", 0)
	return {s = s, guard = guard, bound = bound}
end

-- Adds delta to the holders under the guard, even in a stopped worker (see
-- lib.settle). Returns how the guard's lock() ended.
local function account(w, guard, bound, delta)
	local start = lib.clock()
	local ok, err = lib.settle(guard)
	local kind = w.judge("guard lock", nil, lib.clock() - start, ok, err)
	local holders = w.fetch("holders") + delta
	if holders > bound then
		w.violation(holders .. " counts held of a semaphore of " .. bound)
	elseif holders < 0 then
		w.violation("holders went below 0")
	end
	w.share("holders", holders)
	if holders > w.fetch("peak") then
		w.share("peak", holders)
	end
	guard:unlock()
	return kind
end

-- Takes one count, and sometimes a second one; holds them; gives them back.
local function takeop(w, s, guard, bound)
	local kind
	if lib.chance(4) then
		local got = s:trydown()
		if got == false then
			w.tally.busy = w.tally.busy + 1
			return "ok"
		elseif got ~= true then
			w.violation("trydown() returned " .. lib.shown(got))
			return "unexpected"
		end
		kind = "ok"
	else
		kind = w.wait("down", s, s.down, lib.timeout(true))
	end
	if kind ~= "ok" then
		return kind
	end
	local units, ended = 1, "ok"
	-- The second count is never waited for without a timeout: two workers
	-- holding one each and waiting for the other's would never wake.
	if bound > 1 and lib.chance(3) then
		local second = w.wait("down", s, s.down, lib.timeout(false))
		if second == "ok" then
			units = 2
			w.tally.double = w.tally.double + 1
		elseif second ~= "timeout" then
			ended = second
		end
	end
	w.tally.acquired = w.tally.acquired + units
	w.progressed()

	local took = account(w, guard, bound, units)
	lib.hold()
	local gave = account(w, guard, bound, -units)
	if units == 2 and lib.chance(2) then
		s:up(2)
	else
		for _ = 1, units do
			s:up()
		end
	end
	for _, k in ipairs({ended, took, gave}) do
		if k ~= "ok" then
			return k
		end
	end
	return "ok"
end

function class.worker(w)
	local s, guard, bound = w.fetch("s"), w.fetch("guard"), w.fetch("bound")
	lib.loop(w, function()
		return takeop(w, s, guard, bound)
	end)
end

function class.check(ctx, state)
	local count = state.s:count()
	ctx.result(count == state.bound, "the count is back to " .. state.bound ..
		" at the end: every count taken was given back, no interrupted down took one",
		"count " .. count)
	local holders = ctx.fetch("holders")
	ctx.result(holders == 0 and not state.guard:locked(), "no holder left at the end",
		"holders " .. tostring(holders) .. ", " .. tostring(state.guard))
	ctx.diag("at most " .. tostring(ctx.fetch("peak")) .. " of " .. state.bound ..
		" counts were seen held at once")
end

return class
