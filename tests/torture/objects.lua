-- The torture's objects class: object lifetime across runtimes. The store
-- holds one object per slot ("obj1".."objN": a semaphore of one count, a
-- mutex or a completion). Workers fetch one (their runtime's own reference),
-- use it with a short or no timeout, drop it and often force a full garbage
-- collection; now and then a worker puts a new object of a random class in a
-- slot, and the old one goes: with the store's reference, the last one
-- (released right there), or with the replacing worker's, or with those of
-- workers still using it. Workers stopped and restarted by the driver take
-- their runtime's references with them. At the end, the semaphores in the
-- store have their one count and the mutexes are free: no interrupted or
-- dropped use kept anything. (The driver then checks that every reference to
-- the module is gone.)
--
-- A fetch and a replacement of a slot hold its gate, a mutex. Lunatik 4.4's
-- RCU table drops its reference to a replaced object at once (luarcu_free),
-- not after a grace period, while a concurrent lookup of the same key may
-- still be about to take one (luarcu_getvalue): once the other references
-- are gone, that is a use after free (seen: KASAN slab-use-after-free in
-- luarcu_getvalue, then a general protection fault in
-- lunatik_cloneobject). The gate keeps every lookup of a slot out of the
-- way of its replacement.

local completion = require("completion")
local mutex = require("mutex")
local semaphore = require("semaphore")
local lib = require("luasync.torture.lib")

local class = {
	name = "objects",
	label = "Uses",
	total = "used", -- uses that got the object (count, lock or completion)
	tallies = {"used", "made", "collected"},
}

local MAKE = {
	function() return semaphore.new(1) end,
	function() return mutex.new() end,
	function() return completion.new() end,
}

function class.setup(ctx)
	for slot = 1, ctx.threads do
		local make = assert(MAKE[(slot - 1) % #MAKE + 1])
		ctx.share("obj" .. slot, make())
	end
	ctx.share("slots", ctx.threads)
	for slot = 1, ctx.threads do
		ctx.share("gate" .. slot, mutex.new())
	end
	return {slots = ctx.threads}
end

-- What an object is, from its methods.
local function kind(object)
	if object.count ~= nil then
		return "semaphore"
	elseif object.trylock ~= nil then
		return "mutex"
	end
	return "completion"
end

local function got(w)
	w.tally.used = w.tally.used + 1
	w.progressed()
end

-- One use of an object, never waiting without a timeout.
local function use(w, object)
	local what = kind(object)
	local ended
	if what == "semaphore" then
		ended = w.wait("down", object, object.down, lib.timeout(false))
		if ended == "ok" then
			got(w)
			lib.hold()
			object:up()
		end
	elseif what == "mutex" then
		ended = w.wait("lock", object, object.lock, lib.timeout(false))
		if ended == "ok" then
			got(w)
			lib.hold()
			object:unlock()
		end
		if object:owned() then
			w.violation("a mutex object is held after lock ended with \"" .. ended .. "\"")
			object:unlock()
		end
	else
		-- Another worker may take this completion first: a timeout then.
		object:complete()
		ended = w.wait("wait", object, object.wait, lib.timeout(false))
		if ended == "ok" then
			got(w)
		end
	end
	return ended
end

-- The slot's object, fetched holding its gate: the object or nil, and how
-- the gate's lock() ended.
local function fetch(w, slot)
	local gate = w.gates[slot]
	local ended = w.wait("lock", gate, gate.lock, lib.timeout(true))
	if ended ~= "ok" then
		return nil, ended
	end
	local object = w.fetch("obj" .. slot)
	gate:unlock()
	if object == nil then
		w.violation("obj" .. slot .. " is empty")
		return nil, "unexpected"
	end
	return object, ended
end

-- Puts a new object in the slot; half the time uses the old one after.
local function replace(w, slot)
	local gate = w.gates[slot]
	local ended = w.wait("lock", gate, gate.lock, lib.timeout(true))
	if ended ~= "ok" then
		return ended
	end
	local old = lib.chance(2) and w.fetch("obj" .. slot) or nil
	w.share("obj" .. slot, lib.pick(MAKE)())
	gate:unlock()
	w.tally.made = w.tally.made + 1
	if old ~= nil then
		ended = use(w, old)
	end
	return ended
end

function class.worker(w)
	local slots = w.fetch("slots")
	w.gates = {}
	for slot = 1, slots do
		w.gates[slot] = w.fetch("gate" .. slot)
	end
	while not w.stopping() do
		local slot = lib.between(1, slots)
		local ended
		if lib.chance(4) then
			ended = replace(w, slot)
		else
			local object
			object, ended = fetch(w, slot)
			if object ~= nil then
				ended = use(w, object)
			end
		end
		if lib.chance(3) then
			collectgarbage()
			w.tally.collected = w.tally.collected + 1
		end
		if ended == "interrupt" or ended == "unexpected" then
			return
		end
		lib.pause()
	end
end

function class.check(ctx, state)
	local wrong = {}
	for slot = 1, state.slots do
		local object = ctx.fetch("obj" .. slot)
		local what = object and kind(object)
		if object == nil then
			wrong[#wrong + 1] = "obj" .. slot .. " is empty"
		elseif what == "semaphore" and object:count() ~= 1 then
			wrong[#wrong + 1] = "obj" .. slot .. ": " .. tostring(object)
		elseif what == "mutex" and object:locked() then
			wrong[#wrong + 1] = "obj" .. slot .. ": " .. tostring(object)
		end
	end
	ctx.result(#wrong == 0, "the objects in the store are as made: semaphores at one count, mutexes free",
		table.concat(wrong, "; "))
end

return class
