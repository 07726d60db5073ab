-- Kernel thread body of channel.lua: receives the hook's events, counts them
-- and completes "handled" for each; returns when its receive is interrupted,
-- which thread:stop() does.
local lunatik = require("lunatik")

local shared = lunatik._ENV["luasync.example.channel"]
local events, handled = shared.events, shared.handled

return function()
	local count = 0
	while true do
		local event, why = events:receive()
		if event == nil then
			-- "interrupt": thread:stop() asks this thread to end; return.
			shared.count = count
			assert(why == "interrupt" or why == "closed", why)
			return
		end
		count = count + 1
		assert(event.what == "dev_get_by_name" and event.seq >= 1, "a malformed event")
		handled:complete()
	end
end
