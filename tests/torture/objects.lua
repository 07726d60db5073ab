-- The torture's objects class: object lifetime across runtimes. The store
-- holds one object per slot ("obj1".."objN": a semaphore of one count, a
-- mutex or a completion). Workers fetch one (their runtime's own reference),
-- use it with a short or no timeout, drop it and often force a full garbage
-- collection; now and then a worker puts a new object of a random class in a
-- slot, dropping the store's reference to the old one while other workers may
-- still be using it. Workers stopped and restarted by the driver take their
-- runtime's references with them. At the end, the semaphores in the store
-- have their one count and the mutexes are free: no interrupted or dropped
-- use kept anything. (The driver then checks that every reference to the
-- module is gone.)
--
-- A replacement holds "replacing" and keeps the old object referenced while
-- it updates the store: Lunatik's RCU table drops its reference to a
-- replaced object at once, not after a grace period (luarcu_free), so if the
-- store held the last reference, a concurrent fetch could take one on a
-- freed object. That is Lunatik's to fix; the torture stays clear of it.

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
		ctx.share("obj" .. slot, MAKE[(slot - 1) % #MAKE + 1]())
	end
	ctx.share("slots", ctx.threads)
	ctx.share("replacing", mutex.new())
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

-- Puts a new object in the slot, with the old one referenced here meanwhile.
local function replace(w, replacing, key)
	local ended = w.wait("lock", replacing, replacing.lock, lib.timeout(true))
	if ended ~= "ok" then
		return ended
	end
	local old = w.fetch(key)
	w.share(key, lib.pick(MAKE)())
	replacing:unlock()
	w.tally.made = w.tally.made + 1
	if old ~= nil and lib.chance(2) then
		ended = use(w, old)
	end
	return ended
end

function class.worker(w)
	local replacing = w.fetch("replacing")
	local slots = w.fetch("slots")
	while not w.stopping() do
		local key = "obj" .. lib.between(1, slots)
		local ended
		if lib.chance(4) then
			ended = replace(w, replacing, key)
		else
			local object = w.fetch(key)
			if object == nil then
				w.violation(key .. " is empty")
				return
			end
			ended = use(w, object)
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
