-- Kernel thread body of completion.lua: answers each "ping" with a "pong".
local lunatik = require("lunatik")
local thread = require("thread")
local linux = require("linux")

local shared = lunatik._ENV["luasync.example.completion"]

local function answer()
	---@type completion, completion
	local ping, pong = shared.ping, shared.pong
	for round = 1, 3 do
		-- nil, "timeout" after a second; nil, "interrupt" once thread:stop() asks
		local ok, why = ping:wait(1000)
		if not ok then
			error("round " .. round .. ": " .. why)
		end
		pong:complete()
	end
end

return function()
	local ok, err = pcall(answer)
	if not ok then
		print("ponger: " .. tostring(err))
	end
	-- Return only when asked to: thread:stop() must find the thread running.
	while not thread.shouldstop() do
		linux.schedule(100)
	end
end
