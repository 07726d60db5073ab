-- luasync's torture test, after the kernel's locktorture: for each class
-- under torture, `threads` Lunatik kernel threads (each a runtime of its own,
-- started with env.spawn) hammer one set of shared objects with randomised
-- operations and timeouts for `seconds`, from a common go, while this driver
-- stops random workers (mid-wait when it can catch one asleep in a luasync
-- wait) and starts them again. Then it stops them all, and checks what they
-- counted and what the objects hold. Run by tests/torture/run.sh with the env
-- of tests/lua/README; prints TAP, with the statistics in locktorture's shape:
--
--   Locks:  Total: N  Max/Min: A/B  Fail: 0
--   luasync-torture:--- End of test: SUCCESS: nthreads=4 seconds=30 ...
--
-- A class is a module luasync.torture.NAME (tests/torture/NAME.lua):
--
--   class.name, class.label   its name; the label of its statistics line
--   class.tallies             its per-worker counters (besides "fail" and one
--                             per lib.REASONS), class.total the one summed as
--                             "Total"; class.unprinted, a set of those left out
--                             of the statistics line
--   class.setup(ctx)          here: makes its objects, shares them with
--                             ctx.share; returns what check needs
--   class.worker(w)           in each worker (see worker.lua): loops until
--                             w.stopping() or an "interrupt", counting in
--                             w.tally, reporting violations with w.violation
--   class.check(ctx, state, totals)
--                             here, once every worker has ended: asserts
--                             with ctx.result what must hold at the end
--
-- Adding a class is adding its file and its name to CLASSES; a new way for a
-- blocking call to end (such as "closed") is one more entry in lib.REASONS.
local env = ...
local tap = require("luasync_tap")
local linux = require("linux")
local testlib = require("luasync_testlib")
local completion = require("completion")
local semaphore = require("semaphore")
require("mutex") -- opened before the references are counted: see below
require("condition")
require("rwsem")
require("channel")
local lib = require("luasync.torture.lib")
local workerlib = require("luasync.torture.worker")

local CLASSES = {"mutex", "semaphore", "completion", "condition", "rwsem", "channel", "objects"}

local PARAMS = "/tmp/torture-params" -- written by run.sh
local ASSIGN_MS = 120000 -- a started worker takes its assignment within this
local PROGRESS_MS = 60000 -- after the run, every class has progressed within this
local ROLE = "torture.worker.run"
local CATCH_MS = 100 -- a stop waits up to this for its worker to sleep in a wait

local t = tap.new()
local failures = 0
local function ok(cond, name, diag)
	if not cond then
		failures = failures + 1
	end
	return t:ok(cond, name, diag)
end

if not (env.kernel and env.spawn) then
	t:skip("the torture", "needs env.spawn inside Lunatik")
	t:done()
	return
end

local function readparams()
	local text, err = testlib.read(PARAMS)
	if text == nil then
		error("cannot read " .. PARAMS .. ": " .. tostring(err))
	end
	local threads = tonumber(string.match(text, "threads (%d+)"))
	local seconds = tonumber(string.match(text, "seconds (%d+)"))
	if threads == nil or seconds == nil or threads < 1 then
		error(PARAMS .. " does not say threads (>= 1) and seconds: " .. text)
	end
	return threads, seconds
end

local threads, seconds = readparams()
local P = lib.PREFIX
local parms = "nthreads=" .. threads .. " seconds=" .. seconds .. " classes=" .. table.concat(CLASSES, ",")
print("# luasync-torture:--- Start of test: " .. parms)

-- Every reference to luasync.ko taken from here on is gone by the end (this
-- runtime's own, one per library it opened, stay: all of them are open).
collectgarbage()
local refsbefore = env.modulerefs()

-- The store keys this driver set, cleared at the end.
local keys = {}
local function share(name, value)
	keys[P .. name] = true
	env.share(P .. name, value)
end

-- By class name; emptied at the end so that the collector frees the objects.
local classes = {} ---@type table<string, any>
local states = {} ---@type table<string, any>
local ctxs = {} ---@type table<string, any>
local progress = {} ---@type table<string, any>
for _, name in ipairs(CLASSES) do
	local class = require("luasync.torture." .. name)
	local ctx = {name = name, threads = threads}
	function ctx.share(key, value)
		share(name .. "." .. key, value)
	end
	function ctx.fetch(key)
		return env.fetch(P .. name .. "." .. key)
	end
	function ctx.result(cond, text, diag)
		return ok(cond, name .. ": " .. text, diag)
	end
	function ctx.diag(text)
		print("# " .. name .. ": " .. text)
	end
	classes[name], ctxs[name] = class, ctx
	states[name] = class.setup(ctx)
	-- Each worker ups it once, at its first success.
	progress[name] = semaphore.new(0)
	ctx.share("progress", progress[name])
end

-- Per class and slot, the tallies of every worker that ran in the slot.
local sums = {}
-- Per class: workers started, restarted, stopped (in all), stopped asleep in
-- a luasync wait, and how workers that did not end cleanly ended.
local started, restarts, stops, asleep, abnormal = {}, {}, {}, {}, {}
for _, name in ipairs(CLASSES) do
	sums[name] = {}
	for slot = 1, threads do
		sums[name][slot] = {}
		for _, tally in ipairs(workerlib.tallies(classes[name])) do
			sums[name][slot][tally] = 0
		end
	end
	started[name], restarts[name], stops[name], asleep[name], abnormal[name] = 0, 0, 0, 0, {}
end
local whys = {}

-- Adds what the slot's last worker counted to the slot's sums.
local function harvest(name, slot)
	local mine = P .. name .. "." .. slot .. "."
	for tally, sum in pairs(sums[name][slot]) do
		sums[name][slot][tally] = sum + (env.fetch(mine .. tally) or 0)
		env.share(mine .. tally, nil)
	end
	local why = env.fetch(mine .. "why")
	if why ~= nil then
		whys[#whys + 1] = name .. " worker " .. slot .. ": " .. why
		env.share(mine .. "why", nil)
	end
end

-- Stops a worker's thread (its body has ended once this returns) and
-- harvests its tallies.
local function halt(h, name, slot)
	local ended, err = h:stop()
	harvest(name, slot)
	return ended, err
end

-- Starts the worker of a slot: its handle, or nil. Each start has a
-- completion of its own, so that a worker that takes its assignment too late
-- cannot answer for the next one.
local function spawn(name, slot)
	local assigned = completion.new()
	share("assign.class", name)
	share("assign.slot", slot)
	share("assigned", assigned)
	local made, h = pcall(env.spawn, ROLE)
	if not made then
		abnormal[name][#abnormal[name] + 1] = "slot " .. slot .. " could not start: " .. tostring(h)
		return nil
	end
	if assigned:wait(ASSIGN_MS) ~= true then
		local _, err = halt(h, name, slot)
		abnormal[name][#abnormal[name] + 1] = "slot " .. slot .. " did not take its assignment (" ..
			tostring(err) .. ")"
		return nil
	end
	started[name] = started[name] + 1
	return h
end

-- Stops a worker and adds what it counted to its slot's sums.
local function collect(worker)
	local h = worker.h
	if h == nil then
		return
	end
	worker.h = nil
	local ended, err = halt(h, worker.class, worker.slot)
	if not ended then
		abnormal[worker.class][#abnormal[worker.class] + 1] = "slot " .. worker.slot .. ": " .. tostring(err)
	end
end

-- Whether the worker's thread sleeps in a luasync wait now (as
-- Handle:waitblocked of tests/lunatik/env.lua sees it).
local function sleeping(worker)
	local got, info = pcall(function()
		return worker.h.thread:task()
	end)
	if not got or info == nil then
		return false
	end
	local stat = testlib.read("/proc/" .. info.pid .. "/stat")
	local wchan = testlib.read("/proc/" .. info.pid .. "/wchan")
	if stat == nil or wchan == nil then
		return false
	end
	return string.match(stat, "%) (%a) ") == "S" and
		(string.find(wchan, "luasync", 1, true) ~= nil or wchan == "hrtimer_wakeup")
end

-- Stops a worker, once it sleeps in a luasync wait if that happens within
-- CATCH_MS (so that stops interrupt waits), and collects its tallies.
local function stop(worker)
	if worker.h == nil then
		return
	end
	local name = worker.class
	stops[name] = stops[name] + 1
	for _ = 1, CATCH_MS do
		if sleeping(worker) then
			asleep[name] = asleep[name] + 1
			break
		end
		linux.schedule(1)
	end
	collect(worker)
end

local function restart(worker)
	stop(worker)
	restarts[worker.class] = restarts[worker.class] + 1
	worker.h = spawn(worker.class, worker.slot)
end

-- Start them all, then let them go at once (workers started later go
-- straight away); if one cannot start, there is no run.
local go = completion.new()
share("go", go)
local t0 = env.now()
local workers, startable = {}, true
for _, name in ipairs(CLASSES) do
	for slot = 1, threads do
		local h = startable and spawn(name, slot) or nil
		startable = startable and h ~= nil
		workers[#workers + 1] = {class = name, slot = slot, h = h}
	end
end
go:completeall()
local t1 = env.now()

-- The run: now and then, stop a random worker and start its slot again.
local deadline = env.now() + seconds * 1000
while startable and env.now() < deadline do
	linux.schedule(lib.between(10, 100))
	if lib.chance(2) then
		restart(lib.pick(workers))
	end
end
-- However slow the machine, every class has had a worker restarted.
for i, name in ipairs(CLASSES) do
	if startable and restarts[name] == 0 then
		restart(workers[(i - 1) * threads + lib.between(1, threads)])
	end
end

local t2 = env.now()

-- Every class must have got something done: its workers keep running until
-- then, or until PROGRESS_MS have passed.
local progressed = {}
for _, name in ipairs(CLASSES) do
	progressed[name] = startable and progress[name]:down(PROGRESS_MS) == true
end

-- Stop them all, in a random order.
for i = #workers, 2, -1 do
	local j = lib.between(1, i)
	workers[i], workers[j] = workers[j], workers[i]
end
for _, worker in ipairs(workers) do
	stop(worker)
end
print(string.format("# starting the workers took %d ms, the run %d ms, stopping them %d ms (wall clock)",
	t1 - t0, t2 - t1, env.now() - t2))

-- The results, class by class, then the statistics.
local stats = {}
for _, name in ipairs(CLASSES) do
	---@type table, table
	local class, ctx = classes[name], ctxs[name]
	local totals, max, min = {}, nil, nil
	for tally in pairs(sums[name][1]) do
		totals[tally] = 0
	end
	for slot = 1, threads do
		for tally, n in pairs(sums[name][slot]) do
			totals[tally] = totals[tally] + n
		end
		local n = sums[name][slot][class.total]
		max = (max == nil or n > max) and n or max
		min = (min == nil or n < min) and n or min
	end
	ctx.result(#abnormal[name] == 0, "every worker started, took its assignment and ended when stopped",
		table.concat(abnormal[name], "; "))
	ctx.result(progressed[name] and totals[class.total] > 0, "the workers got something done")
	ctx.result(totals.fail == 0, "no violation seen by the workers (" .. totals.fail .. ")")
	class.check(ctx, states[name], totals)
	local extra = {}
	for _, tally in ipairs(workerlib.tallies(class)) do
		if tally ~= "fail" and tally ~= class.total and not (class.unprinted or {})[tally] then
			extra[#extra + 1] = tally .. " " .. totals[tally]
		end
	end
	-- locktorture's line; its "???" (unfair: max/2 > min) is left out, as
	-- locktorture leaves it out when CPU hotplug disturbs the run: the
	-- restarts here disturb it as much.
	stats[#stats + 1] = string.format("%s:  Total: %d  Max/Min: %d/%d  Fail: %d%s", class.label,
		totals[class.total], max, min, totals.fail, totals.fail > 0 and " !!!" or "")
	stats[#stats + 1] = string.format(
		"  (%s: %s; %d workers started, %d restarted; %d of %d stops caught one asleep in a wait)",
		name, table.concat(extra, ", "), started[name], restarts[name], asleep[name], stops[name])
end
for i = 1, math.min(#whys, 20) do
	print("# violation: " .. whys[i])
end

-- Nothing of the run may hold luasync.ko any more: the workers' runtimes
-- are gone, and the store and this runtime drop their objects now.
for key in pairs(keys) do
	env.share(key, nil)
end
-- luacheck: ignore 311 (dropped so that the collector frees what they held)
---@diagnostic disable-next-line: assign-type-mismatch
classes, states, ctxs, progress, go = nil, nil, nil, nil, nil
collectgarbage()
collectgarbage()
local refsafter = env.modulerefs()
ok(refsafter == refsbefore, "luasync.ko's references are back to where they were: no object outlived the run",
	"before " .. refsbefore .. ", after " .. refsafter)

for _, line in ipairs(stats) do
	print("# " .. line)
end
print("# luasync-torture:--- End of test: " .. (failures == 0 and "SUCCESS" or "FAILURE") .. ": " .. parms)
t:done()
