-- Kernel thread body of kprobe.lua: sleeps until the probe's handler
-- completes "hit", counts it and completes "seen"; returns when its wait
-- is interrupted, which thread:stop() does.
local lunatik = require("lunatik")

local shared = lunatik._ENV["luasync.example.kprobe"]
local hit, seen = shared.hit, shared.seen

return function()
	local hits = 0
	while true do
		local ok, why = hit:wait()
		if not ok then
			-- nil, "interrupt": thread:stop() asks this thread to end. A
			-- thread told so returns; waiting again would return at once.
			shared.count, shared.interrupted = hits, why == "interrupt"
			return
		end
		hits = hits + 1
		seen:complete()
	end
end
