-- The torture's rwsem class: every worker reads (read() with and without
-- timeouts, tryread(), readscope(), a nested read) or writes (write(),
-- trywrite(), writescope(), a downgrade: write, read, unwrite) one rwsem.
-- Readers count themselves in "readers" under a guard mutex, even when
-- stopped (see lib.settle); a writer marks "writer" with its slot. A reader
-- that sees a writer's mark, or a writer that sees readers or another
-- writer's mark, is an exclusion violation. At the end nobody holds it.

local mutex = require("mutex")
local rwsem = require("rwsem")
local lib = require("luasync.torture.lib")

local class = {
	name = "rwsem",
	label = "Holds",
	total = "acquired", -- read and write locks taken
	tallies = {"acquired", "reads", "writes", "busy", "downgrades"},
}

function class.setup(ctx)
	local r, guard = rwsem.new(), mutex.new()
	ctx.share("r", r)
	ctx.share("guard", guard)
	ctx.share("readers", 0)
	ctx.share("writer", 0)
	ctx.share("peak", 0)
	return {r = r, guard = guard}
end

-- Adds delta to the readers under the guard; how the guard's lock() ended.
local function account(w, guard, delta)
	local start = lib.clock()
	local ok, err = lib.settle(guard)
	local kind = w.judge("guard lock", nil, lib.clock() - start, ok, err)
	local readers = w.fetch("readers") + delta
	if readers < 0 then
		w.violation("readers went below 0")
	end
	w.share("readers", readers)
	if readers > w.fetch("peak") then
		w.share("peak", readers)
	end
	guard:unlock()
	return kind
end

-- The section of a reader, entered holding a read lock.
local function reading(w, r, guard)
	if r:reading() < 1 then
		w.violation("read, but reading() is " .. tostring(r:reading()))
	end
	w.tally.acquired = w.tally.acquired + 1
	w.tally.reads = w.tally.reads + 1
	w.progressed()
	local came = account(w, guard, 1)
	local writer = w.fetch("writer")
	if writer ~= 0 then
		w.violation("read while worker " .. tostring(writer) .. " writes")
	end
	if lib.chance(4) then
		-- A reader reads again at once, whoever waits to write.
		local ok, err = r:read(0)
		if ok ~= true then
			w.violation("a nested read(0) returned " .. lib.shown(ok, err))
		else
			r:unread()
		end
	end
	lib.hold()
	local went = account(w, guard, -1)
	if came ~= "ok" then
		return came
	end
	return went
end

-- The section of a writer, entered holding the write lock.
local function writing(w, r)
	if not r:writing() then
		w.violation("wrote, but writing() is false")
	end
	w.tally.acquired = w.tally.acquired + 1
	w.tally.writes = w.tally.writes + 1
	w.progressed()
	local writer, readers = w.fetch("writer"), w.fetch("readers")
	if writer ~= 0 or readers ~= 0 then
		w.violation("wrote with writer " .. tostring(writer) .. " and " .. tostring(readers) .. " readers in")
	end
	w.share("writer", w.slot)
	lib.hold()
	if w.fetch("writer") ~= w.slot then
		w.violation("another writer's mark while worker " .. w.slot .. " wrote")
	end
	w.share("writer", 0)
end

-- After a lock that failed: it must have taken nothing.
local function nothing(w, r, kind)
	if r:reading() > 0 or r:writing() then
		w.violation("a lock ended with \"" .. kind .. "\" but holds the rwsem")
	end
end

local function readop(w, r, guard)
	local kind = w.wait("read", r, r.read, lib.timeout(true))
	if kind ~= "ok" then
		nothing(w, r, kind)
		return kind
	end
	kind = reading(w, r, guard)
	r:unread()
	return kind
end

local function tryreadop(w, r, guard)
	local got = r:tryread()
	if got == false then
		w.tally.busy = w.tally.busy + 1
		return "ok"
	elseif got ~= true then
		w.violation("tryread() returned " .. lib.shown(got))
		return "unexpected"
	end
	local kind = reading(w, r, guard)
	r:unread()
	return kind
end

local function writeop(w, r)
	local kind = w.wait("write", r, r.write, lib.timeout(true))
	if kind ~= "ok" then
		nothing(w, r, kind)
		return kind
	end
	writing(w, r)
	r:unwrite()
	return "ok"
end

local function trywriteop(w, r)
	local got = r:trywrite()
	if got == false then
		w.tally.busy = w.tally.busy + 1
		return "ok"
	elseif got ~= true then
		w.violation("trywrite() returned " .. lib.shown(got))
		return "unexpected"
	end
	writing(w, r)
	r:unwrite()
	return "ok"
end

-- A scope calls f holding its side and returns f's result; its lock,
-- interrupted, raises before f runs.
local function scopeop(w, r, guard)
	local write = lib.chance(2)
	local token = lib.between(1, 1000000)
	local kind = "ok"
	local done, got = pcall(write and r.writescope or r.readscope, r, function(x)
		if write then
			writing(w, r)
		else
			kind = reading(w, r, guard)
		end
		return x
	end, token)
	if done then
		if got ~= token then
			w.violation("a scope returned " .. lib.shown(got) .. " where f returned " .. token)
		end
		return kind
	end
	if string.find(tostring(got), "(interrupt)", 1, true) then
		return w.judge("scope", nil, 0, nil, "interrupt")
	end
	w.violation("a scope raised: " .. tostring(got))
	return "unexpected"
end

-- Write, read as the writer (granted at once), give the write lock back and
-- go on reading: a downgrade.
local function downgradeop(w, r, guard)
	local kind = w.wait("write", r, r.write, lib.timeout(true))
	if kind ~= "ok" then
		nothing(w, r, kind)
		return kind
	end
	writing(w, r)
	local ok, err = r:read(0)
	r:unwrite()
	if ok ~= true then
		w.violation("read(0) by the writer returned " .. lib.shown(ok, err))
		return "unexpected"
	end
	w.tally.downgrades = w.tally.downgrades + 1
	kind = reading(w, r, guard)
	r:unread()
	return kind
end

local OPS = {readop, readop, readop, tryreadop, writeop, trywriteop, scopeop, scopeop, downgradeop}

function class.worker(w)
	local r, guard = w.fetch("r"), w.fetch("guard")
	lib.loop(w, function()
		return lib.pick(OPS)(w, r, guard)
	end)
end

function class.check(ctx, state, totals)
	ctx.result(tostring(state.r) == "rwsem (unlocked)",
		"the rwsem is free at the end: no interrupted lock took it", tostring(state.r))
	local readers, writer = ctx.fetch("readers"), ctx.fetch("writer")
	ctx.result(readers == 0 and writer == 0 and not state.guard:locked(), "no reader or writer left inside",
		"readers " .. tostring(readers) .. ", writer " .. tostring(writer))
	ctx.diag(totals.reads .. " reads, " .. totals.writes .. " writes, " .. totals.downgrades ..
		" downgrades; at most " .. tostring(ctx.fetch("peak")) .. " readers seen at once")
end

return class
