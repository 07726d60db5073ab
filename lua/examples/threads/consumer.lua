-- Kernel thread body of semaphore.lua: takes each item once the semaphore
-- counts it, adds them up, then ups "finished".
local lunatik = require("lunatik")
local thread = require("thread")
local linux = require("linux")

local shared = lunatik._ENV["luasync.example.semaphore"]

local function consume()
	---@type semaphore
	local items, total = shared.items, 0
	for i = 1, shared.count do
		-- nil, "timeout" after a second; nil, "interrupt" once thread:stop() asks
		local ok, why = items:down(1000)
		if not ok then
			error("item " .. i .. ": " .. why)
		end
		total = total + shared["v" .. i]
	end
	shared.total = total
	shared.finished:up()
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
