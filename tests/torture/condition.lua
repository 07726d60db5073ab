-- The torture's condition class: a bounded buffer of CAP items (a count in
-- the store) under one mutex, with two conditions, "notfull" and
-- "notempty". Every worker produces or consumes one item at a time, waiting
-- on the right condition while it cannot (with and without timeouts), then
-- signals or broadcasts the other. Checked: the count stays within bounds;
-- after every wait the mutex is held exactly when the result says so (held
-- after true and "timeout", not after "interrupt"); a sentinel says who is
-- inside the mutex. At the end the count is what the workers produced minus
-- what they consumed, and nobody waits on either condition.

local mutex = require("mutex")
local condition = require("condition")
local lib = require("luasync.torture.lib")

local CAP = 2

local class = {
	name = "condition",
	label = "Items",
	total = "moved", -- items produced or consumed
	tallies = {"moved", "produced", "consumed", "waited"},
}

function class.setup(ctx)
	local m, notfull, notempty = mutex.new(), condition.new(), condition.new()
	ctx.share("m", m)
	ctx.share("notfull", notfull)
	ctx.share("notempty", notempty)
	ctx.share("count", 0)
	ctx.share("inside", 0)
	return {m = m, notfull = notfull, notempty = notempty}
end

local function enter(w)
	local inside = w.fetch("inside")
	if inside ~= 0 then
		w.violation("entered the mutex while worker " .. tostring(inside) .. " was inside")
	end
	w.share("inside", w.slot)
end

local function leave(w)
	local inside = w.fetch("inside")
	if inside ~= w.slot then
		w.violation("worker " .. tostring(inside) .. " was inside the mutex with worker " .. w.slot)
	end
	w.share("inside", 0)
end

-- A wait's timeout: mostly short, sometimes none (a stop or a signal ends it).
local function waittimeout()
	if lib.chance(4) then
		return nil
	end
	return lib.between(1, 10)
end

-- Produces (produce true) or consumes one item.
local function moveop(w, m, produce, mine, other)
	local kind = w.wait("lock", m, m.lock, lib.timeout(true))
	if kind ~= "ok" then
		if m:owned() then
			w.violation("lock ended with \"" .. kind .. "\" but holds the mutex")
			m:unlock()
		end
		return kind
	end
	enter(w)
	while true do
		local count = w.fetch("count")
		if (produce and count < CAP) or (not produce and count > 0) then
			break
		end
		leave(w)
		local timeout = waittimeout()
		local start = lib.clock()
		local ok, why, extra = mine:wait(m, timeout)
		kind = w.judge("wait", timeout, lib.clock() - start, ok, why, extra)
		local held = m:owned()
		if kind == "interrupt" or kind == "unexpected" then
			if held then
				if kind == "interrupt" then
					w.violation("wait returned \"interrupt\" holding the mutex")
				end
				m:unlock()
			end
			return kind
		end
		if not held then
			w.violation("wait returned " .. lib.shown(ok, why) .. " without the mutex")
			return "unexpected"
		end
		enter(w)
		if kind == "timeout" then
			leave(w)
			m:unlock()
			return "timeout"
		end
		w.tally.waited = w.tally.waited + 1
	end
	local count = w.fetch("count") + (produce and 1 or -1)
	if count < 0 or count > CAP then
		w.violation("the count went to " .. count .. " (capacity " .. CAP .. ")")
	end
	w.share("count", count)
	if produce then
		w.tally.produced = w.tally.produced + 1
	else
		w.tally.consumed = w.tally.consumed + 1
	end
	w.tally.moved = w.tally.moved + 1
	w.progressed()
	if lib.chance(4) then
		other:broadcast()
	else
		other:signal()
	end
	lib.hold()
	leave(w)
	m:unlock()
	return "ok"
end

function class.worker(w)
	local m, notfull, notempty = w.fetch("m"), w.fetch("notfull"), w.fetch("notempty")
	lib.loop(w, function()
		if lib.chance(2) then
			return moveop(w, m, true, notfull, notempty)
		end
		return moveop(w, m, false, notempty, notfull)
	end)
end

function class.check(ctx, state, totals)
	local count = ctx.fetch("count")
	ctx.result(count == totals.produced - totals.consumed,
		"the count is what was produced minus what was consumed",
		"count " .. tostring(count) .. ", produced " .. totals.produced .. ", consumed " .. totals.consumed)
	ctx.result(not state.m:locked() and ctx.fetch("inside") == 0,
		"the mutex is free at the end: no interrupted wait took it back", tostring(state.m))
	ctx.result(tostring(state.notfull) == "condition (0 waiting)" and
		tostring(state.notempty) == "condition (0 waiting)",
		"nobody waits on either condition at the end", tostring(state.notfull) .. ", " .. tostring(state.notempty))
	ctx.diag(totals.waited .. " waits were signalled")
end

return class
