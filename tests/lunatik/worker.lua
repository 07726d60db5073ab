-- The runtime script of the workers of env.spawn and env.inruntime
-- (tests/lunatik/env.lua), loaded as "luasync/lunatik/worker".
--
-- While it loads, it takes its request (role, store) from lunatik._ENV.
-- Started by env.inruntime, it runs the role right there, so that an error
-- of the role is the error of the load. Started by env.spawn, it returns the
-- body that thread.run runs on a kernel thread: the role under pcall, its
-- report, then a sleep until thread.shouldstop(). The body never ends by an
-- error and never ends before thread:stop() asks it to.

local workerenv = require("luasync.lunatik.env")

local run, report, atload = workerenv.worker()

if atload then
	local ok, err = pcall(run)
	if not ok then
		report(workerenv.FAILED, err)
		error(err, 0)
	end
	report(workerenv.DONE)
	return nil
end

local thread = require("thread")
local linux = require("linux")

return function()
	pcall(report, workerenv.STARTED)
	local ok, err = pcall(run)
	if ok then
		pcall(report, workerenv.DONE)
	else
		pcall(report, workerenv.FAILED, err)
	end
	while not thread.shouldstop() do
		linux.schedule(1000)
	end
end
