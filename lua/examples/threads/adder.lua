-- Kernel thread body of mutex.lua: adds to the shared counter under the
-- mutex, as mutex.lua does, then completes "finished".
local lunatik = require("lunatik")
local thread = require("thread")
local linux = require("linux")

local shared = lunatik._ENV["luasync.example.mutex"]

local function add()
	local v = shared.counter
	linux.schedule(1)
	shared.counter = v + 1
end

local function count()
	---@type mutex
	local m = shared.mutex
	for _ = 1, shared.rounds do
		-- raises "mutex: scope: lock failed (interrupt)" once thread:stop() asks
		m:scope(add)
	end
	shared.finished:complete()
end

return function()
	local ok, err = pcall(count)
	if not ok then
		print("adder: " .. tostring(err))
	end
	-- Return only when asked to: thread:stop() must find the thread running.
	while not thread.shouldstop() do
		linux.schedule(100)
	end
end
