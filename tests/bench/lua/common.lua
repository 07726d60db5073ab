-- What the Lua-level bench files share, loaded as require "luasync.bench.common"
-- (tests/bench/run.sh installs tests/bench/lua/ in the VM as
-- /lib/modules/lua/luasync/bench/).
--
-- Settings: run.sh writes them to ARGS, one "key=value" a line (integers or
-- words), and M.args() reads them.
--
-- Workers: M.spawn(request) makes a process-context runtime of worker.lua
-- and runs it on a kernel thread (thread.run). The request is an RCU table
-- (integers, booleans, objects) that the worker finds in lunatik._ENV while
-- it loads; the worker marks it "started" when its body runs and "ended"
-- (1: returned, 2: raised) when the role is over, then sleeps until
-- thread:stop(). Runtimes are made and stopped with luasync_testlib, outside
-- this runtime's lock, as the tests do (tests/lunatik/testlib.c).
--
-- RCU keys: Lunatik's RCU lookup compares only as many bytes as the key asked
-- for, so no key of a request is a prefix of another.

local lunatik = require("lunatik")
local linux = require("linux")
local rcu = require("rcu")
local thread = require("thread")
local testlib = require("luasync_testlib")

local M = {}

M.ARGS = "/tmp/luasync-bench.args"
M.WORKER = "luasync/bench/worker"
M.REQUEST = "luasync.bench.request;"

-- Worker roles (worker.lua).
M.PONG = 1 -- count+1 times: first:wait(), second:complete()
M.LOCKER = 2 -- first:wait(), count times second:lock()/unlock(), third:up()
M.DOWNER = 3 -- first:wait(), count times second:down()/up(), third:up()
M.WAITER = 4 -- first:wait(), third:up()
M.SERVE = 5 -- first:wait(), second:complete(), until the wait is interrupted
M.ECHO = 6 -- count+1 times: v = first:receive(), second:send(v) (channels)
M.MAILBOX_ECHO = 7 -- the same through Lunatik's mailbox.lua: in over the fifo
-- first and completion second, out over the fifo third and completion fourth

-- How long a worker may take to start, to end once released, or to sleep
-- in its wait: hang guards, not measures.
local START_MS = 20000
local END_MS = 60000

-- Nanoseconds, from the real-time clock: the only clock Lunatik's Lua
-- reaches; nothing in the test VM sets it, so it advances as the monotonic
-- clock does there.
M.time = linux.time

-- The settings of ARGS as a table (integers as integers).
function M.args()
	local text, err = testlib.read(M.ARGS)
	if text == nil then
		error("cannot read " .. M.ARGS .. ": " .. tostring(err), 2)
	end
	local args = {}
	for key, value in string.gmatch(text, "([%w_]+)=([%w_]+)") do
		args[key] = math.tointeger(tonumber(value)) or value
	end
	return args
end

-- The integer setting key of args; raises if there is none.
---@return integer
function M.integer(args, key)
	local value = math.tointeger(args[key])
	if value == nil then
		error("setting " .. key .. ": integer expected, got " .. tostring(args[key]), 2)
	end
	return value
end

-- Calls done() every millisecond until it is true (true) or bound_ms passed.
function M.poll(done, bound_ms)
	local waited = 0
	while not done() do
		if waited >= bound_ms then
			return false
		end
		linux.schedule(1)
		waited = waited + 1
	end
	return true
end

local spawned = {}

-- Starts a worker on the request (a Lua table: role, cpu, count, first,
-- second, third); returns its handle once its body runs.
function M.spawn(request)
	local req = rcu.table(16)
	for k, v in pairs(request) do
		req[k] = v
	end
	lunatik._ENV[M.REQUEST] = req
	local runtime, err = testlib.runtime(M.WORKER)
	lunatik._ENV[M.REQUEST] = nil
	if runtime == nil then
		error("worker runtime: " .. tostring(err), 2)
	end
	local made, th = pcall(thread.run, runtime, "lsbench-lua")
	if not made then
		testlib.stop(runtime)
		error("worker thread: " .. tostring(th), 2)
	end
	local w = {req = req, runtime = runtime, thread = th}
	spawned[#spawned + 1] = w
	-- Stopping a kernel thread that has not run yet skips its body.
	if not M.poll(function()
		return req.started == true
	end, START_MS) then
		error("a worker did not start within " .. START_MS .. " ms", 2)
	end
	return w
end

-- Waits until the worker's role is over; raises if it raised.
function M.join(w)
	if not M.poll(function()
		return w.req.ended ~= nil
	end, END_MS) then
		error("a worker did not end within " .. END_MS .. " ms", 2)
	end
	if w.req.ended ~= 1 then
		error("a worker's role raised (see the kernel log)", 2)
	end
end

-- Whether the worker's thread sleeps in a luasync wait (interruptibly, its
-- wchan in luasync.ko).
function M.sleeping(w)
	local pid = w.thread:task().pid
	local stat = testlib.read("/proc/" .. pid .. "/stat")
	local wchan = testlib.read("/proc/" .. pid .. "/wchan")
	-- "pid (comm) S ...": the state letter follows the command's parenthesis.
	return stat ~= nil and wchan ~= nil and string.match(stat, "%) (%a) ") == "S" and
		string.find(wchan, "luasync", 1, true) ~= nil
end

-- Waits until every worker of the list sleeps in its wait.
function M.allsleeping(workers)
	if not M.poll(function()
		for _, w in ipairs(workers) do
			if not M.sleeping(w) then
				return false
			end
		end
		return true
	end, START_MS) then
		error("the workers did not all sleep in their wait within " .. START_MS .. " ms", 2)
	end
end

-- Stops a worker's thread and its runtime.
function M.stop(w)
	if not w.stopped then
		w.stopped = true
		w.thread:stop()
		testlib.stop(w.runtime)
	end
end

-- Stops every worker still running (after an error, too).
function M.stopall()
	for _, w in ipairs(spawned) do
		M.stop(w)
	end
	spawned = {}
end

-- One measurement: "sample TABLE ROW WORK IMPL NS OPS", read by run.sh.
function M.sample(tbl, row, work, impl, ns, ops)
	print(string.format("sample %s %s %d %s %d %d", tbl, row, work, impl, ns, ops))
end

return M
