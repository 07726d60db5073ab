-- Kernel thread body of rwsem.lua: reads the shared pair under the rwsem's
-- read lock until the writer is done, counting the reads and the pairs whose
-- halves differ (none, if the rwsem keeps the writer out), then completes
-- "finished".
local lunatik = require("lunatik")
local thread = require("thread")
local linux = require("linux")

local shared = lunatik._ENV["luasync.example.rwsem"]

local function read()
	local first = shared.first
	linux.schedule(1)
	return first == shared.second
end

local function readall()
	---@type rwsem
	local r = shared.rwsem
	repeat
		-- raises "rwsem: readscope: lock failed (interrupt)" once thread:stop() asks
		local whole = r:readscope(read)
		shared.reads = shared.reads + 1
		if not whole then
			shared.torn = shared.torn + 1
		end
	until shared.done
	shared.finished:complete()
end

return function()
	local ok, err = pcall(readall)
	if not ok then
		print("reader: " .. tostring(err))
	end
	-- Return only when asked to: thread:stop() must find the thread running.
	while not thread.shouldstop() do
		linux.schedule(100)
	end
end
