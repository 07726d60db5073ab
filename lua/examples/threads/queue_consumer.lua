-- Kernel thread body of condition.lua: takes the items out of the shared
-- queue, waiting on `notempty` while it is empty, checks that they come in
-- order (the square of 1, 2, ...), then completes "finished".
local lunatik = require("lunatik")
local thread = require("thread")
local linux = require("linux")

local shared = lunatik._ENV["luasync.example.condition"]

-- Takes the item at the head of the queue, waiting while it is empty.
local function take()
	---@type mutex, condition, condition
	local m, notempty, notfull = shared.mutex, shared.notempty, shared.notfull
	m:lock()
	while shared.count == 0 do
		local ok, why = notempty:wait(m)
		if not ok then
			-- "interrupt": thread:stop() asked; the mutex is not held any more.
			error("notempty:wait: " .. tostring(why), 0)
		end
	end
	local v = shared["slot" .. shared.head]
	shared.head = (shared.head + 1) % shared.slots
	shared.count = shared.count - 1
	notfull:signal()
	m:unlock()
	return v
end

local function consume()
	local taken, sum = 0, 0
	for i = 1, shared.items do
		local v = take()
		assert(v == i * i, "item " .. i .. " is " .. tostring(v))
		taken, sum = taken + 1, sum + v
	end
	shared.taken, shared.sum = taken, sum
	shared.finished:complete()
end

return function()
	local ok, err = pcall(consume)
	if not ok then
		print("consumer: " .. tostring(err))
	end
	-- Return only when asked to: thread:stop() must find the thread running.
	while not thread.shouldstop() do
		linux.schedule(100)
	end
end
