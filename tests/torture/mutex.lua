-- The torture's mutex class: every worker takes a plain mutex with lock()
-- (with and without timeouts), trylock() and scope(f), and a recursive one
-- nested up to three deep. Inside every critical section a sentinel in the
-- store says who is inside: finding someone else's mark on entry, or not
-- one's own on exit, is an exclusion violation.

local mutex = require("mutex")
local lib = require("luasync.torture.lib")

local class = {
	name = "mutex",
	label = "Locks",
	total = "acquired", -- outermost locks taken
	tallies = {"acquired", "busy", "nested"},
}

-- The objects, shared under the class's keys; the driver keeps them.
function class.setup(ctx)
	local m, r = mutex.new(), mutex.new(true)
	ctx.share("m", m)
	ctx.share("r", r)
	-- The sentinels: the slot of the worker inside, 0 when nobody is.
	ctx.share("held", 0)
	ctx.share("rheld", 0)
	return {m = m, r = r}
end

local function enter(w, key)
	local inside = w.fetch(key)
	if inside ~= 0 then
		w.violation(key .. ": entered while worker " .. tostring(inside) .. " was inside")
	end
	w.share(key, w.slot)
end

local function still(w, key)
	local inside = w.fetch(key)
	if inside ~= w.slot then
		w.violation(key .. ": " .. (inside == 0 and "marked empty" or "taken by worker " .. tostring(inside)) ..
			" while worker " .. w.slot .. " was inside")
	end
end

local function leave(w, key)
	still(w, key)
	w.share(key, 0)
end

-- The critical section of the plain mutex, entered holding it.
local function section(w, m)
	if not m:owned() then
		w.violation("locked, but owned() is false")
	end
	w.tally.acquired = w.tally.acquired + 1
	w.progressed()
	enter(w, "held")
	lib.hold()
	leave(w, "held")
end

-- After a lock that failed: it must have taken nothing.
local function nothing(w, m, kind)
	if m:owned() then
		w.violation("lock ended with \"" .. kind .. "\" but holds the mutex")
		m:unlock()
	end
end

local function lockop(w, m)
	local kind = w.wait("lock", m, m.lock, lib.timeout(true))
	if kind == "ok" then
		section(w, m)
		m:unlock()
	else
		nothing(w, m, kind)
	end
	return kind
end

local function trylockop(w, m)
	local got = m:trylock()
	if got == true then
		section(w, m)
		m:unlock()
	elseif got == false then
		w.tally.busy = w.tally.busy + 1
		nothing(w, m, "false")
	else
		w.violation("trylock() returned " .. lib.shown(got))
		return "unexpected"
	end
	return "ok"
end

-- scope(f, x) must call f holding the mutex and return f's result.
local function scopeop(w, m)
	local token = lib.between(1, 1000000)
	local ok, got = pcall(m.scope, m, function(x)
		section(w, m)
		return x
	end, token)
	if ok then
		if got ~= token then
			w.violation("scope(f, x) returned " .. lib.shown(got) .. " where f returned " .. token)
		end
		if m:owned() then
			w.violation("scope(f) returned holding the mutex")
		end
		return "ok"
	end
	-- The lock inside scope was interrupted: it raises, f never ran.
	local message = tostring(got)
	if string.find(message, "(interrupt)", 1, true) then
		return w.judge("scope", nil, 0, nil, "interrupt")
	end
	w.violation("scope raised: " .. message)
	return "unexpected"
end

-- The recursive mutex: locked, then locked again (lock or trylock) up to
-- twice more, each nested lock succeeding at once, then unlocked as often.
local function recursiveop(w, _, r)
	local kind = w.wait("lock", r, r.lock, lib.timeout(true))
	if kind ~= "ok" then
		nothing(w, r, kind)
		return kind
	end
	w.tally.acquired = w.tally.acquired + 1
	w.progressed()
	enter(w, "rheld")
	local depth = 1
	for _ = 1, lib.between(0, 2) do
		-- A nested lock needs no wait: true, even after thread:stop().
		local ok, err
		if lib.chance(2) then
			ok = r:trylock()
		else
			ok, err = r:lock(lib.timeout(true))
		end
		if ok ~= true then
			w.violation("nested lock of a held recursive mutex returned " .. lib.shown(ok, err))
			break
		end
		depth = depth + 1
		w.tally.nested = w.tally.nested + 1
		still(w, "rheld")
		lib.hold()
	end
	while depth > 1 do
		r:unlock()
		depth = depth - 1
		if not r:owned() then
			w.violation("unlocking one level of " .. depth + 1 .. " let go of the recursive mutex")
		end
		still(w, "rheld")
	end
	leave(w, "rheld")
	r:unlock()
	if r:owned() then
		w.violation("still owned after unlocking every level")
	end
	return "ok"
end

local OPS = {lockop, lockop, trylockop, scopeop, recursiveop}

function class.worker(w)
	local m, r = w.fetch("m"), w.fetch("r")
	lib.loop(w, function()
		return lib.pick(OPS)(w, m, r)
	end)
end

-- After every worker was stopped: nothing may be left held.
function class.check(ctx, state)
	ctx.result(not state.m:locked(), "the mutex is free at the end: no interrupted lock took it",
		tostring(state.m))
	ctx.result(not state.r:locked(), "the recursive mutex is free at the end", tostring(state.r))
	local held, rheld = ctx.fetch("held"), ctx.fetch("rheld")
	ctx.result(held == 0 and rheld == 0, "no worker was left inside a critical section",
		"sentinels: " .. tostring(held) .. ", " .. tostring(rheld))
end

return class
