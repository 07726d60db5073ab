-- Kernel only: condition and rwsem in runtimes made with lunatik.runtime(script,
-- "softirq") or "hardirq", which may not sleep. A script that calls cv:wait(m) (with any
-- timeout: taking the mutex back may sleep), r:read(), r:write() or a scope while such a
-- runtime loads fails to load with the class's "cannot sleep" error, and leaves nothing
-- held; signal, broadcast, the polls and the try/un calls work there.
local env = ...
local tap = require("luasync_tap")
local t = tap.new()
local condition = require("condition")
local mutex = require("mutex")
local rwsem = require("rwsem")

if not (env.kernel and env.inruntime) then
	t:skip("condition and rwsem in runtimes that may not sleep", "needs env.inruntime inside Lunatik")
	t:done()
	return
end

-- Fresh objects for one case.
local function fresh()
	local cv, m, r = condition.new(), mutex.new(), rwsem.new()
	env.share("cv", cv)
	env.share("m", m)
	env.share("r", r)
	env.share("result", nil)
	env.share("nosleep_rw", nil)
	return cv, m, r
end

local function failedwith(ok, err, want)
	return not ok and string.find(tostring(err), want, 1, true) ~= nil
end

local refused = {
	{op = "cvwait", timeout = 0, message = "condition: wait: cannot sleep in a "},
	{op = "cvwait", timeout = 10, message = "condition: wait: cannot sleep in a "},
	{op = "read", timeout = 10, message = "rwsem: read: cannot sleep in a "},
	{op = "write", timeout = nil, message = "rwsem: write: cannot sleep in a "},
	{op = "readscope", message = "rwsem: readscope: cannot sleep in a "},
	{op = "writescope", message = "rwsem: writescope: cannot sleep in a "},
}

for _, context in ipairs({"softirq", "hardirq"}) do
	local where = context .. " runtime: "
	for _, case in ipairs(refused) do
		local cv, m, r = fresh()
		env.share("op", case.op)
		env.share("timeout", case.timeout)
		local call = case.op .. "(" .. tostring(case.timeout or "") .. ")"
		local want = case.message .. context .. " runtime"
		local ok, err = env.inruntime(context, "call")
		t:ok(failedwith(ok, err, want), where .. call .. " as it loads fails the load with \"" .. want .. "\"",
			ok and ("it loaded; the call returned " .. tostring(env.fetch("result"))) or err)
		t:is(env.fetch("result"), nil, where .. "the refused " .. call .. " returned nothing to the script")
		t:ok(not m:locked() and tostring(r) == "rwsem (unlocked)" and tostring(cv) == "condition (0 waiting)",
			where .. "the refused " .. call .. " left nothing held or waiting")
	end

	do
		local _, _, r = fresh()
		local ok, err = env.inruntime(context, "nosleeprw")
		t:ok(ok, where .. "a script that only calls what never sleeps loads", err)
		t:is(env.fetch("nosleep_rw"), ";;true;true;2;;;true;true;",
			where .. "signal, broadcast, read(0), tryread, reading, unread, trywrite, writing, unwrite work")
		t:is(tostring(r), "rwsem (unlocked)", where .. "the rwsem is free after them")
	end
end

-- The control: in a process runtime the same calls load.
do
	fresh()
	env.share("op", "cvwait")
	env.share("timeout", 0)
	local ok, err = env.inruntime("process", "call")
	t:ok(ok and env.fetch("result") == "nil,timeout",
		"process runtime: cv:wait(m, 0) as it loads returns nil, \"timeout\"", err or env.fetch("result"))
	env.share("op", "writescope")
	ok, err = env.inruntime("process", "call")
	t:ok(ok and env.fetch("result") == "inside", "process runtime: writescope(f) as it loads returns f's result",
		err or env.fetch("result"))
end

t:done()
