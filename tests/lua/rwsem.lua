-- rwsem: every method, every return shape, the refusals, the scopes, bad input, and
-- readers and writers on threads: sharing, exclusion, a waiting writer holding new
-- readers back, stop, close, and a writer among looping readers.
---@diagnostic disable: param-type-mismatch, missing-parameter (bad input on purpose)
local env = ...
local tap = require("luasync_tap")
local t = tap.new()
local rwsem = require("rwsem")
local completion = require("completion")
local channel = require("channel")

local MAXINT = 0x7fffffffffffffff
local WRITE_DEADLOCK = "deadlock (this runtime already holds a read or the write lock)"

local r = rwsem.new()
t:is(type(r), "userdata", "rwsem.new returns an object")
t:is(tostring(r), "rwsem (unlocked)", "tostring of a new rwsem")
t:ok(type(r:id()) == "number" and r:id() // 1 == r:id(), "id() is an integer")
t:ok(r:id() > 0 and r:id() ~= rwsem.new():id(), "id() is positive and differs from another rwsem's")
t:is(r:id(), r:id(), "id() is stable")
t:shape("reading() of a new rwsem returns 0", {n = 1, 0}, r:reading())
t:shape("writing() of a new rwsem returns false", {n = 1, false}, r:writing())

-- reading
t:shape("read() returns true", {n = 1, true}, r:read())
t:is(tostring(r), "rwsem (read-locked by 1 runtime)", "tostring of a read-locked rwsem")
t:shape("read(0) by a reader returns true", {n = 1, true}, r:read(0))
t:shape("tryread() by a reader returns true", {n = 1, true}, r:tryread())
t:is(r:reading(), 3, "reading() counts three read locks")
t:raises(function() r:write() end, "rwsem: write: " .. WRITE_DEADLOCK, "write() by a reader raises deadlock")
t:raises(function() r:write(0) end, "rwsem: write: deadlock", "write(0) by a reader raises deadlock")
t:shape("trywrite() by a reader returns false", {n = 1, false}, r:trywrite())
t:shape("unread() returns nothing", {n = 0}, r:unread())
r:unread()
r:unread()
t:is(r:reading(), 0, "three unreads give back the three read locks")
t:raises(function() r:unread() end, "rwsem: unread: this runtime holds no read lock", "a fourth unread raises")
t:is(tostring(r), "rwsem (unlocked)", "unlocked after the unreads")

-- writing
t:shape("write() returns true", {n = 1, true}, r:write())
t:is(r:writing(), true, "writing() after write()")
t:is(tostring(r), "rwsem (write-locked)", "tostring of a write-locked rwsem")
t:raises(function() r:write() end, "rwsem: write: " .. WRITE_DEADLOCK, "write() again raises deadlock")
t:shape("trywrite() by the writer returns false", {n = 1, false}, r:trywrite())
t:shape("read() by the writer returns true", {n = 1, true}, r:read())
t:is(r:reading(), 1, "the writer counts one read lock")
t:shape("unwrite() returns nothing", {n = 0}, r:unwrite())
t:ok(not r:writing() and r:reading() == 1, "after unwrite() the former writer still reads")
t:is(tostring(r), "rwsem (read-locked by 1 runtime)", "tostring after the downgrade")
r:unread()
t:raises(function() r:unwrite() end, "rwsem: unwrite: not write-locked", "unwrite() of an rwsem nobody writes raises")
t:shape("trywrite() of a free rwsem returns true", {n = 1, true}, r:trywrite())
t:shape("tryread() by the writer returns true", {n = 1, true}, r:tryread())
r:unread()
r:unwrite()

-- timeout edges on a free rwsem: every one takes it
local edges = {
	{"read()", function() return r:read() end, "read"},
	{"read(nil)", function() return r:read(nil) end, "read"},
	{"read(-1)", function() return r:read(-1) end, "read"},
	{"read(1)", function() return r:read(1) end, "read"},
	{"read(maximum integer) (clamped)", function() return r:read(MAXINT) end, "read"},
	{"read(\"5\")", function() return r:read("5") end, "read"},
	{"write(nil)", function() return r:write(nil) end, "write"},
	{"write(0)", function() return r:write(0) end, "write"},
	{"write(maximum integer) (clamped)", function() return r:write(MAXINT) end, "write"},
	{"write(\"5\")", function() return r:write("5") end, "write"},
}
for _, edge in ipairs(edges) do
	t:shape(edge[1] .. " of a free rwsem returns true", {n = 1, true}, edge[2]())
	if edge[3] == "read" then r:unread() else r:unwrite() end
end

-- scopes
local function inside(a, b)
	return a, nil, b, r:reading(), r:writing()
end
t:shape("readscope(f, ...) passes the arguments and returns every result of f, reading",
	{n = 5, 1, nil, 2, 1, false}, r:readscope(inside, 1, 2))
t:shape("writescope(f, ...) passes the arguments and returns every result of f, writing",
	{n = 5, 1, nil, 2, 0, true}, r:writescope(inside, 1, 2))
t:is(tostring(r), "rwsem (unlocked)", "the scopes gave their locks back")
local boom = {"boom"}
t:raisesvalue(function() r:readscope(function() error(boom) end) end, boom,
	"readscope re-raises the error value of f unchanged")
t:raisesvalue(function() r:writescope(function() error(boom) end) end, boom,
	"writescope re-raises the error value of f unchanged")
t:raises(function() r:writescope(function() error("plain message") end) end, "plain message",
	"writescope re-raises a string error of f")
t:is(tostring(r), "rwsem (unlocked)", "the scopes gave their locks back after f raised")
t:shape("a readscope nested in a readscope reads twice", {n = 1, 2},
	r:readscope(function() return r:readscope(function() return r:reading() end) end))
t:shape("a readscope nested in a writescope reads as the writer", {n = 2, 1, true},
	r:writescope(function() return r:readscope(function() return r:reading(), r:writing() end) end))
t:raises(function() r:readscope(function() r:writescope(function() end) end) end,
	"rwsem: writescope: " .. WRITE_DEADLOCK, "a writescope nested in a readscope raises deadlock")
t:raises(function() r:writescope(function() r:writescope(function() end) end) end,
	"rwsem: writescope: " .. WRITE_DEADLOCK, "a writescope nested in a writescope raises deadlock")
t:is(tostring(r), "rwsem (unlocked)", "the failed nested scopes left nothing held")
t:raises(function() r:writescope(function() r:unwrite() end) end,
	"rwsem: writescope: the write lock was given back inside the scope", "writescope raises when f unwrote")
t:raises(function() r:readscope(function() r:unread() end) end,
	"rwsem: readscope: the read lock was given back inside the scope", "readscope raises when f unread")
t:is(tostring(r), "rwsem (unlocked)", "and the rwsem is free")
t:raises(function() r:readscope(5) end, "bad argument #1 to 'readscope' (function expected, got number)",
	"readscope(5) is rejected")
t:raises(function() r:writescope() end, "bad argument #1 to 'writescope' (function expected, got no value)",
	"writescope() without f is rejected")
do
	local gone = rwsem.new()
	t:raises(function() gone:writescope(function() gone:close() end) end,
		"rwsem: writescope: the rwsem was closed inside the scope", "writescope raises when f closed the rwsem")
end

-- bad input
t:raises(function() r.read(completion.new()) end, "bad argument #1 to 'read' (rwsem expected, got completion)",
	"a completion as self is rejected")
t:raises(function() r.unwrite() end, "bad argument #1 to 'unwrite' (rwsem expected, got no value)",
	"a missing self is rejected")
t:raises(function() r:read("ten") end, "bad argument #1 to 'read' (number expected, got string)",
	"a non-numeric timeout is rejected")
t:raises(function() r:write("1.5") end, "bad argument #1 to 'write'", "a non-integer string timeout is rejected")
t:raises(function() r:write({}) end, "bad argument #1 to 'write' (number expected, got table)",
	"a table timeout is rejected")
t:is(tostring(r), "rwsem (unlocked)", "the rejected calls took nothing")
local methods = {"read", "write", "tryread", "trywrite", "unread", "unwrite", "readscope", "writescope",
	"reading", "writing", "id"}
local rejected = 0
for _, name in ipairs(methods) do
	if not pcall(r[name], completion.new(), function() end) then
		rejected = rejected + 1
	end
end
t:is(rejected, #methods, "every method rejects another class as self")

-- close
local closed = rwsem.new()
closed:read()
closed:close()
t:is(tostring(closed), "rwsem (closed)", "tostring of a closed rwsem")
t:raises(function() closed:unread() end, "rwsem expected, got closed rwsem", "unread() of a closed rwsem raises")
t:raises(function() closed:read() end, "rwsem expected, got closed rwsem", "read() of a closed rwsem raises")

-- contexts that may not sleep
if env.setcontext then
	for _, context in ipairs({"softirq", "hardirq"}) do
		local x = rwsem.new()
		env.setcontext(context)
		local cannot = "cannot sleep in a " .. context .. " runtime"
		t:raises(function() x:read(10) end, "rwsem: read: " .. cannot, context .. ": read(10) raises")
		t:raises(function() x:write() end, "rwsem: write: " .. cannot, context .. ": write() raises")
		t:raises(function() x:readscope(function() end) end, "rwsem: readscope: " .. cannot,
			context .. ": readscope() raises")
		t:raises(function() x:writescope(function() end) end, "rwsem: writescope: " .. cannot,
			context .. ": writescope() raises")
		t:is(tostring(x), "rwsem (unlocked)", context .. ": the refused calls took nothing")
		t:is(x:read(0), true, context .. ": read(0) polls")
		t:is(x:tryread(), true, context .. ": tryread() works")
		x:unread()
		x:unread()
		t:is(x:trywrite(), true, context .. ": trywrite() works")
		t:shape(context .. ": unwrite() works", {n = 0}, x:unwrite())
		env.setcontext("process")
	end
else
	t:skip("rwsem in softirq and hardirq runtimes", "only the userspace harness switches contexts here")
end

if not env.spawn then
	t:skip("rwsems between runtimes", "env.spawn is not provided")
	t:done()
	return
end

-- Shares a fresh rwsem and what rwholder and rwtaker use.
local function fresh(mode, timeout)
	local x, reports = rwsem.new(), channel.new(8)
	env.share("r", x)
	env.share("mode", mode)
	env.share("timeout", timeout)
	env.share("locked", completion.new())
	env.share("release", completion.new())
	env.share("reports", reports)
	return x, reports
end

-- another runtime reading: this one reads too, nobody writes
do
	local x, reports = fresh("read", 0)
	local h = env.spawn("rwholder")
	t:is(env.fetch("locked"):wait(10000), true, "shared: the other runtime reads")
	t:is(x:tryread(), true, "shared: this runtime reads too")
	t:is(tostring(x), "rwsem (read-locked by 2 runtimes)", "shared: two runtimes read")
	t:raises(function() x:unwrite() end, "rwsem: unwrite: not write-locked", "shared: unwrite() raises")
	x:unread()
	t:raises(function() x:unread() end, "rwsem: unread: this runtime holds no read lock",
		"shared: unread() by a runtime that holds none raises, while another reads")
	t:is(x:trywrite(), false, "shared: trywrite() fails while the other runtime reads")
	t:shape("shared: write(20) times out", {n = 2, nil, "timeout"}, x:write(20))
	env.fetch("release"):complete()
	t:is(reports:receive(10000), "released", "shared: the other runtime gave its read lock back")
	t:ok(h:join(), "shared: it ends")
	t:is(x:write(0), true, "shared: then write(0) takes it")
	x:unwrite()
end

-- another runtime writing: this one neither reads nor writes, and cannot unwrite
do
	local x, reports = fresh("write", 0)
	local h = env.spawn("rwholder")
	t:is(env.fetch("locked"):wait(10000), true, "excluded: the other runtime writes")
	t:is(x:tryread(), false, "excluded: tryread() fails")
	local start = env.now()
	t:shape("excluded: read(30) times out", {n = 2, nil, "timeout"}, x:read(30))
	t:ok(env.now() - start >= 30, "excluded: read(30) times out no earlier than 30 ms")
	t:raises(function() x:unwrite() end, "rwsem: unwrite: not the writer (another runtime holds the write lock)",
		"excluded: unwrite() by another runtime raises")
	env.fetch("release"):complete()
	t:is(x:read(10000), true, "excluded: read() gets in once the writer is out")
	t:is(reports:receive(10000), "released", "excluded: the writer gave its lock back")
	t:ok(h:join(), "excluded: it ends")
	x:unread()
end

-- a waiting writer holds new readers back, not the reader that is in
do
	local x, reports = fresh("write", nil)
	t:is(x:read(), true, "writer waiting: this runtime reads")
	local h = env.spawn("rwtaker")
	t:ok(h:waitblocked(), "writer waiting: the writer sleeps")
	env.share("mode", "read")
	env.share("timeout", 0)
	local late = env.spawn("rwtaker")
	t:ok(late:join(), "writer waiting: a new reader ends")
	t:is(reports:receive(0), "nil,timeout", "writer waiting: the new reader's read(0) timed out")
	t:is(x:read(0), true, "writer waiting: the reader that is in reads again at once")
	x:unread()
	x:unread()
	t:ok(h:join(), "writer waiting: the writer ends once the reader is out")
	t:is(reports:receive(0), "true,nil", "writer waiting: its write() returned true")
end

-- stop and close of a waiting writer
do
	local x, reports = fresh("write", nil)
	t:is(x:read(), true, "stop: this runtime reads")
	local h = env.spawn("rwtaker")
	t:ok(h:waitblocked(), "stop: the writer sleeps")
	t:is(h:stop(), true, "stop: stop() returns")
	t:is(reports:receive(0), "nil,interrupt", "stop: write() returned nil, \"interrupt\"")
	t:is(x:trywrite(), false, "stop: the stopped writer took nothing")
	env.share("timeout", nil)
	h = env.spawn("rwtaker")
	t:ok(h:waitblocked(), "close: the writer sleeps")
	x:close()
	t:ok(h:join(), "close: the writer ends")
	t:is(reports:receive(0), "nil,closed", "close: write() returned nil, \"closed\"")
end

-- a writer among looping readers gets all its turns, and nobody is in with it
do
	local x, reports = rwsem.new(), channel.new(8)
	local jobs = channel.new(8)
	env.share("jobs", jobs)
	env.share("reports", reports)
	env.share("rw_writing", false)
	env.share("rw_overlap", false)
	local hs = {}
	for i = 1, 3 do
		jobs:send({r = x, n = 40, mode = "read", name = "reader " .. i})
		hs[#hs + 1] = env.spawn("rwloop")
	end
	jobs:send({r = x, n = 20, mode = "write", name = "writer"})
	hs[#hs + 1] = env.spawn("rwloop")
	local done = {}
	for _ = 1, #hs do
		local report = reports:receive(60000)
		if report then done[report.name] = report.why end
	end
	for i = 1, #hs do
		t:ok(hs[i]:join(), "stress: thread " .. i .. " ends")
	end
	t:is(done.writer, 20, "stress: the writer went through its 20 writescopes")
	t:ok(done["reader 1"] == 40 and done["reader 2"] == 40 and done["reader 3"] == 40,
		"stress: each reader went through its 40 readscopes")
	t:is(env.fetch("rw_overlap"), false, "stress: nobody was in with the writer")
	t:is(tostring(x), "rwsem (unlocked)", "stress: unlocked at the end")
end

t:done()
