-- Allocation failures in luasync's object creation, injected with the
-- kernel's failslab (luasync_testlib.failslab, see tests/lunatik/testlib.c;
-- tests/faults/run.sh sets failslab up and says in READY whether it could).
-- For each class, new() is called once for every allocation it makes, that
-- allocation failing ("once": Lua's allocator retries after an emergency
-- collection, so a single failure may be absorbed), then again with every
-- allocation failing from that one on ("from"). Each call must raise a memory
-- error or return a working object; what failed must leave no object and no
-- module reference behind (kmemleak checks the rest at the end of the run).
-- The libraries are opened again the same way. The control cases, without
-- injected failures, run on every kernel.
-- Wrong types, missing methods and odd calls on purpose:
---@diagnostic disable: assign-type-mismatch, inject-field, param-type-mismatch, undefined-field
local env = ...
local tap = require("luasync_tap")
local t = tap.new()
local testlib = require("luasync_testlib")
local completion = require("completion")
local mutex = require("mutex")
local semaphore = require("semaphore")

local READY = "/tmp/luasync-failslab"
local MAXPOINTS = 200 -- allocations one call may make before the sweep gives up

local function collect()
	collectgarbage()
	collectgarbage()
end

-- Whether failslab is set up for this file: "ready", or why not.
local function ready()
	local text, err = testlib.read(READY)
	if text == nil then
		return false, "tests/faults/run.sh left no " .. READY .. " (" .. tostring(err) .. ")"
	end
	text = string.gsub(text, "%s+$", "")
	if text ~= "ready" then
		return false, text
	end
	local ok, why = pcall(testlib.failslab, "once", 1, function() end)
	if not ok then
		return false, tostring(why)
	end
	return true
end

-- Each class: how new() is called here, and what a working object does.
local classes = {
	{name = "completion", args = {},
		use = function(c)
			c:complete()
			return c:wait(0) == true and not c:done()
		end},
	{name = "mutex", args = {true},
		use = function(m)
			local ok = m:lock(0) == true and m:trylock() and m:owned()
			m:unlock()
			m:unlock()
			return ok and not m:locked()
		end},
	{name = "semaphore", args = {2},
		use = function(s)
			local ok = s:down(0) == true and s:trydown() and s:count() == 0
			s:up(2)
			return ok and s:count() == 2
		end},
}
for _, class in ipairs(classes) do
	class.lib = require(class.name)
	-- new() of the library table `lib` (this runtime's, or one opened again)
	function class.newof(lib)
		return lib.new(table.unpack(class.args))
	end
	function class.new()
		return class.newof(class.lib)
	end
	-- Whether o is a working object of the class; never raises.
	function class.works(o)
		local ok, worked = pcall(class.use, o)
		return ok and worked
	end
end

local function ismemory(err)
	return string.find(tostring(err), "not enough memory", 1, true) ~= nil
end

-- Calls f once per allocation point n = 1, 2, ... with failslab in `mode`,
-- until a call no longer reaches its n-th allocation. judge(ok, ...) says
-- what a call gave: a short word, or nil and why it is wrong. Returns the
-- words in order, the problems, and whether the sweep ended by itself.
local function sweep(mode, f, judge)
	local words, problems = {}, {}
	collectgarbage("stop")
	for n = 1, MAXPOINTS do
		local r = tap.pack(testlib.failslab(mode, n, f))
		local word, why = judge(table.unpack(r, 2, r.n))
		if word == nil then
			problems[#problems + 1] = n .. ": " .. tostring(why)
		end
		if not r[1] then
			collectgarbage("restart")
			return words, problems, true
		end
		words[#words + 1] = n .. ":" .. tostring(word)
	end
	collectgarbage("restart")
	return words, problems, false
end

-- What new() gave: "ok" (a working object), "own" (luasync's own message
-- for its allocation), "enomem" (Lua's memory error), else a problem.
local function judgenew(class)
	local own = class.name .. ": new: not enough memory"
	return function(ok, o)
		if ok then
			if type(o) == "userdata" and class.works(o) then
				return "ok"
			end
			return nil, "returned " .. tostring(o) .. ", which does not work"
		end
		if string.find(tostring(o), own, 1, true) then
			return "own"
		elseif ismemory(o) then
			return "enomem"
		end
		return nil, "raised " .. tostring(o)
	end
end

local available, reason = ready()

-- Control: without injected failures every class makes working objects and
-- every object releases its module reference.
collect()
local refs = env.modulerefs()
for _, class in ipairs(classes) do
	local o = class.new()
	t:ok(class.works(o), "control: " .. class.name .. ".new() without injected failures makes a working object")
end
collect()
t:is(env.modulerefs(), refs, "control: those objects released their module references")

for _, class in ipairs(classes) do
	local name = class.name
	local function skip(what)
		t:skip(what, "no fault injection in this kernel: " .. tostring(reason))
	end
	local names = {
		once = name .. ".new() with each of its allocations failing in turn: a memory error or a working object",
		own = name .. ".new(): its own allocation failing raises \"" .. name .. ": new: not enough memory\"",
		from = name .. ".new() with every allocation failing from each one on: a memory error or a working object",
		refs = name .. ".new(): every object of the sweeps released its module reference",
		reopen_once = "require(\"" .. name .. "\") opened again with each allocation failing in turn: " ..
			"a memory error or the library; objects old and new work afterwards",
		reopen_from = "require(\"" .. name .. "\") opened again with every allocation failing from each one on: " ..
			"a memory error or the library; objects old and new work afterwards",
	}
	if not available then
		for _, k in ipairs({"once", "own", "from", "refs", "reopen_once", "reopen_from"}) do
			skip(names[k])
		end
	else
		collect()
		local before = env.modulerefs()
		local judge = judgenew(class)
		local words, problems, ended = sweep("once", class.new, judge)
		local summary = table.concat(words, " ")
		print("# " .. name .. ".new(), once: " .. summary)
		t:ok(ended and #problems == 0 and #words > 0, names.once,
			(ended and "" or "no end after " .. MAXPOINTS .. " points; ") .. table.concat(problems, "; ") ..
			" (points: " .. summary .. ")")
		t:ok(string.find(summary, ":own", 1, true) ~= nil, names.own, "points: " .. summary)
		words, problems, ended = sweep("from", class.new, judge)
		summary = table.concat(words, " ")
		print("# " .. name .. ".new(), from: " .. summary)
		t:ok(ended and #problems == 0 and #words > 0, names.from,
			(ended and "" or "no end after " .. MAXPOINTS .. " points; ") .. table.concat(problems, "; ") ..
			" (points: " .. summary .. ")")
		collect()
		t:is(env.modulerefs(), before, names.refs)

		-- The library opened again (as require does once per runtime), with
		-- the class metatable made anew; objects made before must not mind.
		local old = class.new()
		for _, mode in ipairs({"once", "from"}) do
			words, problems, ended = sweep(mode, function()
				package.loaded[name] = nil
				return require(name)
			end, function(ok, lib)
				local fresh = class.newof(require(name))
				if not (class.works(fresh) and class.works(old)) then
					return nil, "objects do not work after the reopening"
				end
				if ok then
					if type(lib) == "table" and type(lib.new) == "function" then
						return "ok"
					end
					return nil, "returned " .. tostring(lib)
				end
				if ismemory(lib) then
					return "enomem"
				end
				return nil, "raised " .. tostring(lib)
			end)
			summary = table.concat(words, " ")
			print("# require(\"" .. name .. "\"), " .. mode .. ": " .. summary)
			t:ok(ended and #problems == 0 and #words > 0, names["reopen_" .. mode],
				table.concat(problems, "; ") .. " (points: " .. summary .. ")")
		end
	end
end

-- The runtime still answers, and nothing made here is left.
local c, m, s = completion.new(), mutex.new(), semaphore.new(0)
c:complete()
s:up()
t:ok(c:wait(0) == true and m:lock(0) == true and s:down(0) == true, "the runtime still works after the sweeps")
m:unlock()
c, m, s = nil, nil, nil
collect()
t:is(env.modulerefs(), refs, "every object made in this file released its module reference")

t:done()
