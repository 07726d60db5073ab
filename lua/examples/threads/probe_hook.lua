-- The hook of kprobe.lua, loaded in a "hardirq" runtime: a kprobe on
-- dev_get_by_name whose handler completes "hit". It runs on the CPU that
-- made the call, with interrupts off: complete() never sleeps, while wait(),
-- lock() or down() would raise here. The probe lives as long as this
-- runtime; runtime:stop() unregisters it.
local lunatik = require("lunatik")
local probe = require("probe")

local hit = lunatik._ENV["luasync.example.kprobe"].hit

probe.new("dev_get_by_name", {pre = function()
	hit:complete()
end})
