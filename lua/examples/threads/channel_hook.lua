-- The hook of channel.lua, loaded in a "hardirq" runtime: a kprobe on
-- dev_get_by_name whose handler sends an event into the channel. trysend()
-- never sleeps and copies the table with atomic allocations; a full channel
-- refuses it (false) rather than wait.
local lunatik = require("lunatik")
local probe = require("probe")

local events = lunatik._ENV["luasync.example.channel"].events
local sent = 0

probe.new("dev_get_by_name", {pre = function()
	sent = sent + 1
	events:trysend({seq = sent, what = "dev_get_by_name"})
end})
