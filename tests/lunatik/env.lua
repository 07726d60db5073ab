-- The `env` table of tests/lua/README, built inside Lunatik (loaded as
-- require "luasync.lunatik.env": the test VM installs tests/lunatik/ as
-- /lib/modules/lua/luasync/lunatik/).
--
-- The runner's wrapper builds one per file, in the process-context runtime
-- that driver.lua runs the file in:
--
--   local env, close = require("luasync.lunatik.env").new{print = collect, name = name}
--   ... run the file with env ...
--   local left = close()   -- stops the workers still running (their number),
--                          -- empties the store, restores the global print
--
-- What it provides and how:
--
--   env.share, env.fetch  a store of the suite: an RCU table (rcu.table) that
--       every runtime of the suite holds. RCU tables keep booleans, integers
--       and objects (the runtime that reads an object gets its own clone); a
--       string travels packed in an RCU table of integers (strings.lua).
--   env.spawn(role)  a new process-context runtime of worker.lua, run by
--       Lunatik's thread.run on a kernel thread of its own. The worker finds
--       its request (role, store) in lunatik._ENV while it loads, reports
--       "started", runs require("luasync_workers")[role](env) under pcall
--       (kernel-only roles come from roles.lua), reports how it ended, then
--       sleeps until thread.shouldstop(): so thread:stop() always finds it
--       alive, never ended by an error.
--     h:join()  polls the report (linux.schedule(1)) for JOIN_MS at most,
--       then stops the thread and closes its runtime; a worker that did not
--       end in time is stopped (its waits return "interrupt") and join returns
--       false with the reason.
--     h:stop()  thread:stop() (kthread_stop: the worker's waits return
--       nil, "interrupt"), then closes its runtime; returns how the body ended.
--   env.yield()  linux.schedule(1): sleeps until the next tick (HZ=1000: a
--       millisecond at most).
--   env.inruntime(context, role)  (kernel only) runs the role while a new
--       runtime of that context ("process", "softirq", "hardirq") loads
--       worker.lua; returns true, or false and the error the role raised
--       (which failed the load).
--   Worker runtimes are made and stopped with luasync_testlib (runtime,
--   stop), which does what lunatik.runtime and runtime:stop() do, outside
--   every runtime's lock, so that lockdep stays on (see testlib.c).
--   env.kernel = true, env.name, env.print.
--
--     h:waitblocked()  polls the worker's task (luasync_testlib.read of
--       /proc/<pid>/stat and /proc/<pid>/wchan) until it sleeps
--       (TASK_INTERRUPTIBLE, "S") in a function of luasync.ko: true; false if
--       the body ended first or WAITBLOCKED_MS passed.
--   env.modulerefs()  luasync.ko's reference count, from
--       /sys/module/luasync/refcnt.
--   env.now()  milliseconds from linux.time(), the only clock Lunatik's Lua
--       reaches: the real-time clock, which nothing in the test VM sets or
--       adjusts, so it advances as the monotonic clock does there.
--
-- Keys: Lunatik's RCU lookup compares only the length of the key asked for,
-- so asking for "item1" may find an entry "item12" of the same bucket. Every
-- key is stored as "<length>:<name>", which no other such key starts with.

local lunatik = require("lunatik")
local rcu = require("rcu")
local strings = require("luasync.lunatik.strings")
local linux = require("linux")
local testlib = require("luasync_testlib")

local M = {}

-- Where the VM installs tests/lua/lib/ (luasync_tap, luasync_workers, ...).
M.LIBDIR = "/lib/modules/lua/luasync/lua/lib/"
-- The runtime script of spawned workers (tests/lunatik/worker.lua).
M.WORKER = "luasync/lunatik/worker"
-- A worker's report, in its slot's "state".
M.STARTED, M.DONE, M.FAILED = 1, 2, 3

local SPAWN = "luasync.spawn" -- the request a loading worker reads in lunatik._ENV
local MAXKEY = 255 -- Lunatik's RCU keys are shorter than LUAL_BUFFERSIZE (256)
local STORE_BUCKETS = 512
local START_MS = 10000 -- a spawned thread reports "started" within this
local JOIN_MS = 30000 -- and ends within this once joined
local WAITBLOCKED_MS = 10000 -- and sleeps in a luasync wait within this

-- Makes the support modules of tests/lua/lib/ reachable by their plain names.
function M.usepath()
	local entry = M.LIBDIR .. "?.lua"
	if not string.find(package.path, entry, 1, true) then
		package.path = entry .. ";" .. package.path
	end
end

local function key(name)
	if type(name) ~= "string" then
		error("name must be a string, got " .. type(name), 3)
	end
	local k = #name .. ":" .. name
	if #k > MAXKEY then
		error("name too long: " .. name, 3)
	end
	return k
end

-- Stores value under name in the RCU table tbl (nil removes it).
local function put(tbl, name, value)
	local k = key(name)
	local kind = type(value)
	if kind == "string" then
		value = strings.pack(value)
	elseif kind == "number" then
		-- Lunatik's Lua has integers only (and no math.type).
		if math.tointeger(value) ~= value then
			error("integer expected, got " .. tostring(value), 3)
		end
	elseif kind ~= "nil" and kind ~= "boolean" and kind ~= "userdata" then
		error("boolean, integer, string or object expected, got " .. kind, 3)
	end
	tbl[k] = value
end

-- The value stored under name in the RCU table tbl (objects cloned here).
local function get(tbl, name)
	local value = tbl[key(name)]
	if strings.ispacked(value) then
		return strings.unpack(value)
	end
	return value
end

-- lunatik._ENV, the RCU table every runtime made after lunatik_run gets.
local function shared()
	local t = lunatik._ENV
	if t == nil then
		error("lunatik._ENV is missing: load lunatik_run before running the suite", 3)
	end
	return t
end

local function yield()
	linux.schedule(1)
end

-- Calls done() every millisecond or so until it is true (true) or about
-- bound_ms have passed (false).
local function poll(done, bound_ms)
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

-- Empties an RCU table (dropping its object references).
local function clear(tbl)
	local keys = {}
	rcu.map(tbl, function(k)
		keys[#keys + 1] = k
	end)
	for _, k in ipairs(keys) do
		tbl[k] = nil
	end
end

-- Loads a worker runtime for the request slot, and waits for it. Made with
-- luasync_testlib.runtime rather than lunatik.runtime, outside this
-- runtime's lock: see tests/lunatik/testlib.c.
local function loadworker(slot, context)
	local env = shared()
	put(env, SPAWN, slot)
	local runtime, err = testlib.runtime(M.WORKER, context)
	put(env, SPAWN, nil)
	return runtime ~= nil, runtime or err
end

local function newslot(store, role, atload)
	if type(role) ~= "string" then
		error("role name expected, got " .. type(role), 3)
	end
	local slot = rcu.table(8)
	put(slot, "store", store)
	put(slot, "role", role)
	put(slot, "atload", atload)
	return slot
end

local Handle = {}
Handle.__index = Handle

local function ended(slot)
	local state = get(slot, "state")
	return state == M.DONE or state == M.FAILED
end

-- How the body ended, from its report: {true} or {false, message}.
local function outcome(slot)
	local state = get(slot, "state")
	if state == M.DONE then
		return {true}
	elseif state == M.FAILED then
		return {false, get(slot, "error") or "error without a message"}
	end
	return {false, "the worker ended without reporting how its body ended"}
end

-- Stops the thread (kthread_stop returns once it has exited) and closes its
-- runtime, which drops that runtime's references to the suite's objects.
local function finish(h)
	if not h.finished then
		h.finished = true
		h.thread:stop()
		testlib.stop(h.runtime)
	end
end

local function result(h)
	return h.result[1], h.result[2]
end

-- Waits for the body to return: true, or false and the error message.
function Handle:join()
	if self.result == nil then
		local slot = self.slot
		local done = poll(function()
			return ended(slot)
		end, JOIN_MS)
		finish(self)
		if done then
			self.result = outcome(slot)
		else
			self.result = {false, "the worker did not end within " .. JOIN_MS .. " ms (stopped)"}
		end
	end
	return result(self)
end

-- The state letter of a task ("R", "S", "D", ...) and the function it sleeps
-- in (its wchan, "0" when running), or nil when /proc has no such task.
local function taskstate(pid)
	local stat = testlib.read("/proc/" .. pid .. "/stat")
	local wchan = testlib.read("/proc/" .. pid .. "/wchan")
	if stat == nil or wchan == nil then
		return nil
	end
	-- "pid (comm) S ...": the comm may hold spaces and parentheses.
	return string.match(stat, "%) (%a) "), wchan
end

-- Whether luasync's debugfs view lists the task as a waiter of an object.
local function waiting(pid)
	local objects = testlib.read("/sys/kernel/debug/luasync/objects", 65536) or ""
	return string.find(objects, " waiter " .. pid .. " (", 1, true) ~= nil
end

-- Waits until the worker sleeps interruptibly inside luasync.ko, queued on an
-- object (luasync's debugfs view lists it as a waiter), and its wchan
-- names a luasync function (Rust symbols carry the crate name) or, for a
-- timed wait, which sleeps on an hrtimer, the timer's wakeup function (Lua's
-- own sleep, linux.schedule, shows as lualinux_schedule). True; false when the
-- body ended first or WAITBLOCKED_MS passed.
function Handle:waitblocked()
	if self.finished then
		return false
	end
	local pid = self.thread:task().pid
	local slot = self.slot
	return poll(function()
		if ended(slot) then
			return true
		end
		local state, wchan = taskstate(pid)
		return state == "S" and (string.find(wchan, "luasync", 1, true) ~= nil or wchan == "hrtimer_wakeup")
			and waiting(pid)
	end, WAITBLOCKED_MS) and not ended(slot)
end

-- Stops the thread as thread:stop() does, then returns as join() does.
function Handle:stop()
	if self.result == nil then
		finish(self)
		self.result = outcome(self.slot)
	end
	return result(self)
end

-- The env of a suite, and the function that closes it.
function M.new(opts)
	opts = opts or {}
	M.usepath()
	local thread = require("thread")
	local store = rcu.table(STORE_BUCKETS)
	local handles = {}
	local env = {kernel = true, name = opts.name, print = opts.print, yield = yield}

	function env.now()
		return linux.time() // 1000000
	end

	-- The references held on luasync.ko (/sys/module/luasync/refcnt).
	function env.modulerefs()
		local text, err = testlib.read("/sys/module/luasync/refcnt")
		local n = text and tonumber(string.match(text, "^(%d+)"))
		if n == nil then
			error("cannot read /sys/module/luasync/refcnt: " .. tostring(err or text), 2)
		end
		return n
	end

	function env.share(name, value)
		put(store, name, value)
	end

	function env.fetch(name)
		return get(store, name)
	end

	function env.spawn(role)
		local slot = newslot(store, role, false)
		local ok, runtime = loadworker(slot, "process")
		if not ok then
			error("env.spawn: worker runtime for " .. role .. ": " .. tostring(runtime), 2)
		end
		local made, th = pcall(thread.run, runtime, "luasync_worker")
		if not made then
			testlib.stop(runtime)
			error("env.spawn: thread for " .. role .. ": " .. tostring(th), 2)
		end
		local h = setmetatable({slot = slot, runtime = runtime, thread = th}, Handle)
		handles[#handles + 1] = h
		-- Stopping a kernel thread that has not run yet skips its body; wait
		-- until the body runs so that stop() always interrupts it.
		if not poll(function()
			return get(slot, "state") ~= nil
		end, START_MS) then
			h:stop()
			error("env.spawn: the thread for " .. role .. " did not start within " .. START_MS .. " ms", 2)
		end
		return h
	end

	function env.inruntime(context, role)
		local slot = newslot(store, role, true)
		local ok, runtime = loadworker(slot, context)
		if not ok then
			-- The worker reported the role's error before failing the load.
			local _, err = table.unpack(outcome(slot))
			return false, err or tostring(runtime)
		end
		testlib.stop(runtime)
		return true
	end

	local saved = _G.print
	if opts.print ~= nil then
		-- Support modules (luasync_tap) print through the runtime's globals.
		_G.print = opts.print
	end

	local function close()
		_G.print = saved
		local left = 0
		for _, h in ipairs(handles) do
			if not h.finished then
				left = left + 1
				h:stop()
			end
		end
		clear(store)
		return left
	end

	return env, close
end

-- For worker.lua, while a worker runtime loads: the run function of the
-- requested role, the report function (state [, message]) and whether the
-- role runs during the load itself (env.inruntime) rather than on a thread.
function M.worker()
	M.usepath()
	local slot = get(shared(), SPAWN)
	if slot == nil then
		error("no request in lunatik._ENV: workers are started by env.spawn", 2)
	end
	local store, role = get(slot, "store"), get(slot, "role")
	local env = {kernel = true, role = role, yield = yield}

	function env.share(name, value)
		put(store, name, value)
	end

	function env.fetch(name)
		return get(store, name)
	end

	local function run()
		local body = require("luasync_workers")[role]
		if body == nil then
			body = require("luasync.lunatik.roles")[role]
		end
		if type(body) ~= "function" then
			error("no worker role " .. tostring(role))
		end
		return body(env)
	end

	local function report(state, message)
		if message ~= nil then
			put(slot, "error", tostring(message))
		end
		put(slot, "state", state)
	end

	return run, report, get(slot, "atload") == true
end

return M
