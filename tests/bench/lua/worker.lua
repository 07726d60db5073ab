-- The runtime script of the bench's workers, loaded as "luasync/bench/worker"
-- by common.spawn (common.lua says how a request travels). Its body runs on
-- a kernel thread: pinned to the request's cpu (unless it is negative),
-- counted by a running profile if the request says "profiled", it plays
-- its role, reports how that ended, then sleeps until thread:stop().

local lunatik = require("lunatik")
local thread = require("thread")
local linux = require("linux")
local benchlib = require("luasync_benchlib")
local common = require("luasync.bench.common")

local req = lunatik._ENV[common.REQUEST]
assert(req ~= nil, "no request in lunatik._ENV: bench workers are started by common.spawn")

local function check(ok, why)
	if not ok then
		error(why or "failed", 2)
	end
end

local roles = {
	[common.PONG] = function()
		local ping, pong = req.first, req.second
		for _ = 0, req.count do
			check(ping:wait())
			pong:complete()
		end
	end,
	[common.LOCKER] = function()
		local go, m, done = req.first, req.second, req.third
		check(go:wait())
		for _ = 1, req.count do
			m:lock()
			m:unlock()
		end
		done:up()
	end,
	[common.DOWNER] = function()
		local go, s, done = req.first, req.second, req.third
		check(go:wait())
		for _ = 1, req.count do
			s:down()
			s:up()
		end
		done:up()
	end,
	[common.SERVE] = function()
		local ping, pong = req.first, req.second
		while ping:wait() do
			pong:complete()
		end
	end,
	[common.ECHO] = function()
		local there, back = req.first, req.second
		for _ = 0, req.count do
			local v, err = there:receive()
			check(v ~= nil, err)
			check(back:send(v))
		end
	end,
	[common.MAILBOX_ECHO] = function()
		local mailbox = require("mailbox")
		local inbox, outbox = mailbox.inbox(req.first, req.second), mailbox.outbox(req.third, req.fourth)
		for _ = 0, req.count do
			local v = inbox:receive()
			check(v ~= nil, "an empty mailbox after its completion")
			outbox:send(v)
		end
	end,
	[common.WAITER] = function()
		local c, done = req.first, req.third
		check(c:wait())
		done:up()
	end,
}

local role = roles[req.role]
assert(role ~= nil, "no bench role " .. tostring(req.role))

return function()
	local ok, err = true, nil
	if req.cpu >= 0 then
		ok, err = benchlib.pin(req.cpu)
	end
	if req.profiled then
		benchlib.profiled()
	end
	req.started = true
	if ok then
		ok, err = pcall(role)
	end
	if not ok then
		print("luasync bench worker: " .. tostring(err))
	end
	req.ended = ok and 1 or 2
	while not thread.shouldstop() do
		linux.schedule(100)
	end
end
