-- Where the time of the Lua-level bench goes: run by tests/bench/run.sh with
-- luasync.ko loaded, then with Lunatik's C completion in its place, each
-- workload profiled by luasync_benchlib's sampler (tests/bench/benchlib.c:
-- an hrtimer per CPU records the kernel function the measured threads were
-- in). Prints, per workload, the share of each function in the samples of
-- the measured threads, the share of each module, and how much of the time
-- the CPUs were idle (a ping-pong waits for wake-ups) or ran other threads.

local common = require("luasync.bench.common")
local benchlib = require("luasync_benchlib")
local completion = require("completion")
local data = require("data")

local time = common.time
local args = common.args()
local haslocks = pcall(require, "mutex") -- with luasync only
local impl = haslocks and "luasync" or "lunatik"
assert(args.impl == impl, "run.sh loaded " .. tostring(args.impl) .. ", but require found " .. impl)

-- Each workload runs until its threads got SAMPLES samples: the shares are
-- as precise whatever else the machine runs (a busy host runs the VM's CPUs,
-- and so their timers, less often), but for LIMIT_NS at most.
local SAMPLES = common.integer(args, "profile_samples")
local LIMIT_NS = common.integer(args, "profile_limit_ms") * 1000000
local CHUNK = 1000 -- calls between two looks at the sample count
local TOP = common.integer(args, "profile_top") -- functions printed per workload
local WAIT_MS = 60000

local function check(ok, why)
	if not ok then
		error(why or "failed", 2)
	end
end

local function percent(n, total)
	local tenths = total > 0 and n * 1000 // total or 0
	return string.format("%d.%d%%", tenths // 10, tenths % 10)
end

local function report(workload, r, threads)
	local all = r.samples + r.idle + r.other
	local label = "profile " .. workload .. " " .. impl .. ":"
	print(string.format("%s %d samples in the %s (every %d us); of the samples of every CPU: idle %s, other threads %s%s",
		label, r.samples, threads, r.period_us, percent(r.idle, all), percent(r.other, all),
		r.lost > 0 and (", " .. r.lost .. " lost (buffer full)") or ""))
	local bymodule, order, ranked = {}, {}, 0
	for _, entry in ipairs(r.top) do
		-- "function [module]", or "helper < caller [module]": the helper's.
		local fn = string.match(entry[2], "^(.-) < ") or entry[2]
		local module = string.match(fn, "%[([%w_]+)%]$") or "vmlinux"
		if bymodule[module] == nil then
			bymodule[module] = 0
			order[#order + 1] = module
		end
		bymodule[module] = bymodule[module] + entry[1]
		ranked = ranked + entry[1]
	end
	table.sort(order, function(a, b)
		return bymodule[a] > bymodule[b]
	end)
	local parts = {}
	for _, module in ipairs(order) do
		parts[#parts + 1] = module .. " " .. percent(bymodule[module], r.samples)
	end
	if ranked < r.samples then
		parts[#parts + 1] = "unranked " .. percent(r.samples - ranked, r.samples)
	end
	print(label .. " by module: " .. table.concat(parts, ", "))
	print(string.format("%s %7s %8s  %s", label, "share", "samples", "function"))
	for i = 1, math.min(TOP, #r.top) do
		local n, name = r.top[i][1], r.top[i][2]
		print(string.format("%s %7s %8d  %s", label, percent(n, r.samples), n, name))
	end
end

-- Runs step() (CHUNK calls) with the profile resumed, before() and after(),
-- if given, with it paused, until there are SAMPLES samples or LIMIT_NS
-- passed.
local function loop(p, step, before, after)
	local start = time()
	while p:samples() < SAMPLES and time() - start < LIMIT_NS do
		if before then
			p:pause()
			before()
			p:resume()
		end
		step()
		if after then
			p:pause()
			after()
			p:resume()
		end
	end
end

local function profiled(workload, threads, body)
	local p = assert(benchlib.profile(common.integer(args, "profile_period_us")))
	local ok, err = pcall(body, p)
	local r = p:stop()
	check(ok, err)
	report(workload, r, threads)
end

local function pingpong(workload, cpu)
	benchlib.pin(cpu >= 0 and cpu or nil)
	local ping, pong = completion.new(), completion.new()
	profiled(workload, "two threads", function(p)
		local w = common.spawn({role = common.SERVE, cpu = cpu, count = 0, first = ping, second = pong,
			profiled = true})
		ping:complete()
		check(pong:wait(WAIT_MS))
		loop(p, function()
			for _ = 1, CHUNK // 10 do
				ping:complete()
				check(pong:wait())
			end
		end)
		-- Its wait returns "interrupt" and the role ends.
		common.stop(w)
	end)
	benchlib.pin(nil)
end

local function run()
	local c = completion.new()
	local function completes()
		for _ = 1, CHUNK do
			c:complete()
		end
	end
	local function waits()
		for _ = 1, CHUNK do
			c:wait(0)
		end
	end
	profiled("complete", "thread", function(p)
		loop(p, completes, nil, waits)
	end)
	profiled("wait(0)_done", "thread", function(p)
		loop(p, waits, completes)
	end)
	check(select(2, c:wait(0)) == "timeout", "wait(0) did not take every completion")
	-- completion.new() and, as the loop goes, the collection of the objects it made.
	profiled("new", "thread", function(p)
		loop(p, function()
			for _ = 1, CHUNK do
				completion.new()
			end
		end)
	end)
	pingpong("pingpong_same_cpu", 0)
	pingpong("pingpong_unpinned", -1)
	local d = data.new(8, "single")
	profiled("floor", "thread", function(p)
		loop(p, function()
			for _ = 1, CHUNK do
				d:getbyte(0)
			end
		end)
	end)
	if haslocks then
		local m = require("mutex").new()
		profiled("lock+unlock", "thread", function(p)
			loop(p, function()
				for _ = 1, CHUNK do
					m:lock()
					m:unlock()
				end
			end)
		end)
	end
end

local ok, err = pcall(run)
benchlib.pin(nil)
common.stopall()
assert(ok, err)
