-- What the torture's driver (torture.lua), its workers (worker.lua) and its
-- classes (mutex.lua, ...) share, loaded as require "luasync.torture.lib".
--
-- Random numbers come from Lunatik's linux.random (the kernel's generator):
-- Lunatik's Lua has no math.random.

local linux = require("linux")
local task = require("linux.task")

local lib = {}

-- Every key of the torture in the suite's store starts with this.
lib.PREFIX = "torture."

-- How a blocking call may end besides true; each is a tally of every class.
lib.REASONS = {"timeout", "interrupt"}

-- An integer in [low, high]. Not linux.random(low, high): in Lunatik 4.4 it
-- reduces a signed 64-bit random number with C's %, so half of its results
-- fall below low. Lua's own % is a floored modulo: never negative here.
function lib.between(low, high)
	return low + linux.random() % (high - low + 1)
end

-- True once in n times.
function lib.chance(n)
	return lib.between(1, n) == 1
end

-- A random element of the list.
function lib.pick(list)
	return list[lib.between(1, #list)]
end

-- A random timeout: a poll (0), a short wait (1 to 10 ms), and, when
-- infinite is true, no timeout (nil or a negative number).
function lib.timeout(infinite)
	local r = lib.between(1, infinite and 6 or 4)
	if r == 1 then
		return 0
	elseif r <= 4 then
		return lib.between(1, 10)
	elseif r == 5 then
		return nil
	end
	return -1
end

function lib.finite(timeout)
	return timeout ~= nil and timeout >= 0
end

-- Shows a timeout as the call had it.
function lib.showtimeout(timeout)
	return timeout == nil and "" or tostring(timeout)
end

-- Shows the values a call returned.
function lib.shown(...)
	local parts = {}
	for i = 1, select("#", ...) do
		local v = select(i, ...)
		parts[i] = type(v) == "string" and string.format("%q", v) or tostring(v)
	end
	return "(" .. table.concat(parts, ", ") .. ")"
end

-- Nanoseconds of the only clock Lunatik's Lua reaches (see env.now).
function lib.clock()
	return linux.time()
end

-- The hold of a critical section: mostly none, sometimes a tick, rarely a
-- long hold (as locktorture's long_hold) so that waiters pile up and time
-- out. Interruptible: a stopped worker cuts it short, which is harmless.
function lib.hold()
	local r = lib.between(1, 100)
	if r <= 60 then
		return
	elseif r <= 99 then
		linux.schedule(lib.between(0, 2))
	else
		linux.schedule(lib.between(5, 20))
	end
end

-- A pause between two operations, so that waiters get to sleep.
function lib.pause()
	if lib.chance(4) then
		linux.schedule(lib.between(0, 2))
	end
end

-- A worker's loop: step() until the driver stops the worker, or until a step
-- ends in "interrupt" (a stop came mid-wait) or "unexpected" (a violation),
-- with a pause between two steps.
function lib.loop(w, step)
	while not w.stopping() do
		local kind = step()
		if kind == "interrupt" or kind == "unexpected" then
			return
		end
		lib.pause()
	end
end

-- Locks the mutex m for a bookkeeping section that must run even in a worker
-- that was stopped (its waits then return "interrupt" at once): lock(), and
-- if that did not lock it, trylock in uninterruptible 1 ms sleeps. Returns
-- lock()'s results, for the caller to judge.
function lib.settle(m)
	local ok, err = m:lock()
	if ok == true then
		return ok, err
	end
	while not m:trylock() do
		linux.schedule(1, task.UNINTERRUPTIBLE)
	end
	return ok, err
end

return lib
