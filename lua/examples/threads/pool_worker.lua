-- Kernel thread body of pool.lua: once "start" is completed, takes the next
-- job from the shared queue until none is left; runs each job holding one of
-- the semaphore's slots, so that at most that many run at once.
local lunatik = require("lunatik")
local thread = require("thread")
local linux = require("linux")

local shared = lunatik._ENV["luasync.example.pool"]
local lock, slots = shared.lock, shared.slots

-- The next job's number, or nil when none is left (under the lock).
local function take()
	local job = shared.next
	if job > shared.jobs then
		return nil
	end
	shared.next = job + 1
	return job
end

local function enter()
	local running = shared.running + 1
	shared.running = running
	if running > shared.peak then
		shared.peak = running
	end
end

local function leave(result)
	shared.running = shared.running - 1
	shared.sum = shared.sum + result
end

local function work()
	-- nil, "interrupt" once thread:stop() asks
	local ok, why = shared.start:wait()
	if not ok then
		error("start: " .. why)
	end
	while true do
		local job = lock:scope(take)
		if job == nil then
			break
		end
		ok, why = slots:down()
		if not ok then
			error("job " .. job .. ": no slot: " .. why)
		end
		lock:scope(enter)
		linux.schedule(10) -- the job itself
		lock:scope(leave, job * job)
		slots:up()
	end
	shared.finished:up()
end

return function()
	local ok, err = pcall(work)
	if not ok then
		print("pool worker: " .. tostring(err))
	end
	-- Return only when asked to: thread:stop() must find the thread running.
	while not thread.shouldstop() do
		linux.schedule(100)
	end
end
