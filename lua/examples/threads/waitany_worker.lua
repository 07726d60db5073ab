-- Kernel thread body of waitany.lua: squares the jobs of "jobs" onto
-- "results" until "quit" is completed, then says "bye" and waits to be
-- stopped.
local lunatik = require("lunatik")
local thread = require("thread")
local linux = require("linux")
local waitany = require("waitany")

local shared = lunatik._ENV["luasync.example.waitany"]
local jobs, results, quit = shared.jobs, shared.results, shared.quit

return function()
	while true do
		local i, job = waitany({jobs, quit})
		if i == 1 then
			results:send(job * job)
		else
			-- 2: quit was completed; nil: interrupted (thread:stop())
			if i == 2 then results:send("bye") end
			break
		end
	end
	while not thread.shouldstop() do
		linux.schedule(100)
	end
end
