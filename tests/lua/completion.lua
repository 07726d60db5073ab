-- completion: every method, every return shape, every timeout edge, every bad input.
---@diagnostic disable: param-type-mismatch, missing-parameter (bad input on purpose)
local env = ...
local tap = require("luasync_tap")
local t = tap.new()
local completion = require("completion")
local mutex = require("mutex")
local semaphore = require("semaphore")

local MAXINT = 0x7fffffffffffffff
local MININT = -0x7fffffffffffffff - 1

-- new, done, trywait, wait(0) on a fresh completion
local c = completion.new()
t:is(type(c), "userdata", "completion.new returns an object")
t:shape("completion.new returns one value", {n = 1, c}, c)
t:is(tostring(c), "completion (not done)", "tostring of a new completion")
t:shape("done() of a new completion returns false", {n = 1, false}, c:done())
t:shape("trywait() of a new completion returns false", {n = 1, false}, c:trywait())
t:shape("wait(0) of a new completion returns nil, \"timeout\"", {n = 2, nil, "timeout"}, c:wait(0))
t:shape("wait(20) of a new completion returns nil, \"timeout\"", {n = 2, nil, "timeout"}, c:wait(20))

-- complete counts
t:shape("complete() returns nothing", {n = 0}, c:complete())
t:is(c:done(), true, "done() after complete() is true")
t:is(c:done(), true, "done() does not consume")
t:is(tostring(c), "completion (done)", "tostring of a done completion")
t:shape("wait() after complete() returns true", {n = 1, true}, c:wait())
t:is(c:done(), false, "wait() consumed the completion")
c:complete()
c:complete()
t:shape("trywait() consumes the first of two completions", {n = 1, true}, c:trywait())
t:is(c:trywait(), true, "trywait() consumes the second of two completions")
t:is(c:trywait(), false, "trywait() finds none left")

-- completeall releases every wait until reinit
t:shape("completeall() returns nothing", {n = 0}, c:completeall())
local all = true
for _ = 1, 5 do
	all = all and c:wait(0) == true
end
t:ok(all, "completeall() releases every later wait")
t:is(c:trywait(), true, "trywait() after completeall() is true")
t:is(c:done(), true, "still done after waits that followed completeall()")
t:shape("reinit() returns nothing", {n = 0}, c:reinit())
t:is(c:done(), false, "reinit() makes it not done")
t:shape("wait(0) after reinit() times out", {n = 2, nil, "timeout"}, c:wait(0))
c:complete()
c:complete()
c:reinit()
t:is(c:trywait(), false, "reinit() drops pending completions")

-- timeout edges when the completion is done: every one returns true
local edges = {
	{"wait()", function() return c:wait() end},
	{"wait(nil)", function() return c:wait(nil) end},
	{"wait(-1)", function() return c:wait(-1) end},
	{"wait(minimum integer)", function() return c:wait(MININT) end},
	{"wait(0)", function() return c:wait(0) end},
	{"wait(1)", function() return c:wait(1) end},
	{"wait(2^31) (clamped)", function() return c:wait(0x80000000) end},
	{"wait(maximum integer) (clamped)", function() return c:wait(MAXINT) end},
}
for _, edge in ipairs(edges) do
	c:complete()
	t:shape(edge[1] .. " of a done completion returns true", {n = 1, true}, edge[2]())
end
t:is(c:done(), false, "each edge consumed exactly its completion")

-- a timed-out wait never returns before its time
do
	local start = env.now()
	local ok, why = c:wait(30)
	local waited = env.now() - start
	t:ok(ok == nil and why == "timeout" and waited >= 30, "wait(30) times out no earlier than 30 ms",
		"waited " .. waited .. " ms")
end

-- bad input
t:raises(function() c.wait(mutex.new()) end,
	"bad argument #1 to 'wait' (completion expected, got mutex)", "a mutex passed as a completion is rejected")
t:raises(function() c.complete(semaphore.new()) end,
	"bad argument #1 to 'complete' (completion expected, got semaphore)", "a semaphore passed as a completion is rejected")
t:raises(function() c.complete() end,
	"bad argument #1 to 'complete' (completion expected, got no value)", "a missing self is rejected")
t:raises(function() c.done(42) end,
	"bad argument #1 to 'done' (completion expected, got number)", "a number as self is rejected")
t:raises(function() c.trywait({}) end,
	"bad argument #1 to 'trywait' (completion expected, got table)", "a table as self is rejected")
-- Integer arguments follow luaL_checkinteger: integer strings are integers.
t:shape("wait(\"10\") takes the string as 10 ms", {n = 2, nil, "timeout"}, c:wait("10"))
t:shape("wait(\"0\") polls", {n = 2, nil, "timeout"}, c:wait("0"))
t:raises(function() c:wait("ten") end,
	"bad argument #1 to 'wait' (number expected, got string)", "a non-numeric string timeout is rejected")
t:raises(function() c:wait("1.5") end,
	"bad argument #1 to 'wait'", "a non-integer string timeout (\"1.5\") is rejected")
t:raises(function() c:wait({}) end,
	"bad argument #1 to 'wait' (number expected, got table)", "a table timeout is rejected")
t:raises(function() c:wait(true) end,
	"bad argument #1 to 'wait' (number expected, got boolean)", "a boolean timeout is rejected")
local float = load("return 1.5")
local x = float and float()
if type(x) == "number" and x // 1 ~= x then
	t:raises(function() c:wait(x) end,
		"bad argument #1 to 'wait' (number has no integer representation)", "a non-integer timeout (1.5) is rejected")
else
	t:skip("a non-integer timeout (1.5) is rejected", "this Lua has no floats")
end
local methods = {"complete", "completeall", "reinit", "wait", "trywait", "done"}
local rejected = 0
for _, name in ipairs(methods) do
	if not pcall(c[name], mutex.new()) then
		rejected = rejected + 1
	end
end
t:is(rejected, #methods, "every method rejects another class as self")
t:is(c:done(), false, "the failed calls left the completion unchanged")

-- objects are independent and the class is what require returns
local d = completion.new()
d:complete()
t:ok(d:done() and not c:done(), "two completions are independent")
t:ok(require("completion") == completion, "require returns the same library table")
t:ok(getmetatable(c) == getmetatable(d) and getmetatable(c).__index == getmetatable(c),
	"completions share one metatable whose __index is itself")

t:done()
