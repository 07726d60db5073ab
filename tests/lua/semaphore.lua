-- semaphore: every method, every return shape, every timeout edge, every bad input.
---@diagnostic disable: param-type-mismatch, missing-parameter (bad input on purpose)
local env = ...
local tap = require("luasync_tap")
local t = tap.new()
local semaphore = require("semaphore")
local mutex = require("mutex")

local MAX = 2147483647
local MAXINT = 0x7fffffffffffffff

local s = semaphore.new()
t:is(type(s), "userdata", "semaphore.new returns an object")
t:shape("count() of semaphore.new() returns 1", {n = 1, 1}, s:count())
t:is(tostring(s), "semaphore (count 1)", "tostring names the count")
t:is(semaphore.new(nil):count(), 1, "semaphore.new(nil) holds 1")
t:is(semaphore.new(0):count(), 0, "semaphore.new(0) holds 0")
t:is(semaphore.new(5):count(), 5, "semaphore.new(5) holds 5")
t:is(semaphore.new(MAX):count(), MAX, "semaphore.new(2147483647) holds the maximum")

t:shape("down() with a count returns true", {n = 1, true}, s:down())
t:is(s:count(), 0, "down() took one")
t:shape("trydown() at 0 returns false", {n = 1, false}, s:trydown())
t:shape("down(0) at 0 returns nil, \"timeout\"", {n = 2, nil, "timeout"}, s:down(0))
t:shape("down(20) at 0 returns nil, \"timeout\"", {n = 2, nil, "timeout"}, s:down(20))
t:is(s:count(), 0, "failed downs took nothing")
t:shape("up() returns nothing", {n = 0}, s:up())
t:is(s:count(), 1, "up() added one")
t:shape("trydown() with a count returns true", {n = 1, true}, s:trydown())
s:up(3)
t:is(s:count(), 3, "up(3) added three")
t:is(tostring(s), "semaphore (count 3)", "tostring follows the count")

-- timeout edges with a count: every one takes it
local edges = {
	{"down()", function() return s:down() end},
	{"down(nil)", function() return s:down(nil) end},
	{"down(-1)", function() return s:down(-1) end},
	{"down(0)", function() return s:down(0) end},
	{"down(1)", function() return s:down(1) end},
	{"down(maximum integer) (clamped)", function() return s:down(MAXINT) end},
}
for _, edge in ipairs(edges) do
	s:up()
	t:shape(edge[1] .. " with a count returns true", {n = 1, true}, edge[2]())
end
t:is(s:count(), 3, "each edge took exactly one")

do
	local empty = semaphore.new(0)
	local start = env.now()
	local ok, why = empty:down(30)
	local waited = env.now() - start
	t:ok(ok == nil and why == "timeout" and waited >= 30, "down(30) times out no earlier than 30 ms",
		"waited " .. waited .. " ms")
end

-- limits and bad input
local full = semaphore.new(MAX)
t:raises(function() full:up() end, "semaphore: up: count would exceed 2147483647 (adding 1)",
	"up() past the maximum raises")
t:is(full:count(), MAX, "the overflowing up() left the count unchanged")
local some = semaphore.new(10)
t:raises(function() some:up(MAXINT) end, "semaphore: up: count would exceed 2147483647",
	"up(maximum integer) raises")
t:is(some:count(), 10, "and leaves the count unchanged")
t:raises(function() semaphore.new(-1) end,
	"bad argument #1 to 'new' (count must be between 0 and 2147483647, got -1)", "semaphore.new(-1) is rejected")
t:raises(function() semaphore.new(MAX + 1) end,
	"bad argument #1 to 'new' (count must be between 0 and 2147483647, got 2147483648)",
	"semaphore.new(2147483648) is rejected")
t:is(semaphore.new("3"):count(), 3, "semaphore.new(\"3\") takes the string as 3")
t:raises(function() semaphore.new("three") end,
	"bad argument #1 to 'new' (number expected, got string)", "semaphore.new(\"three\") is rejected")
t:raises(function() some:up(0) end,
	"bad argument #1 to 'up' (count must be at least 1, got 0)", "up(0) is rejected")
t:raises(function() some:up(-1) end,
	"bad argument #1 to 'up' (count must be at least 1, got -1)", "up(-1) is rejected")
t:raises(function() some:up("two") end,
	"bad argument #1 to 'up' (number expected, got string)", "up(\"two\") is rejected")
t:raises(function() some:down("ten") end,
	"bad argument #1 to 'down' (number expected, got string)", "a non-numeric string timeout is rejected")
t:raises(function() some:down("1.5") end,
	"bad argument #1 to 'down'", "a non-integer string timeout (\"1.5\") is rejected")
t:is(some:count(), 10, "rejected calls left the count unchanged")
some:up("2")
t:is(some:count(), 12, "up(\"2\") takes the string as 2")
t:is(some:down("0"), true, "down(\"0\") polls")
some:down(0)
t:is(some:count(), 10, "and took one")
local float = load("return 1.5")
local x = float and float()
if type(x) == "number" and x // 1 ~= x then
	t:raises(function() some:down(x) end,
		"bad argument #1 to 'down' (number has no integer representation)", "a non-integer timeout (1.5) is rejected")
	t:raises(function() semaphore.new(x) end,
		"bad argument #1 to 'new' (number has no integer representation)", "a non-integer count (1.5) is rejected")
else
	t:skip("a non-integer timeout (1.5) is rejected", "this Lua has no floats")
	t:skip("a non-integer count (1.5) is rejected", "this Lua has no floats")
end
t:raises(function() s.down(mutex.new()) end,
	"bad argument #1 to 'down' (semaphore expected, got mutex)", "a mutex passed as a semaphore is rejected")
local methods = {"down", "trydown", "up", "count"}
local rejected = 0
for _, name in ipairs(methods) do
	if not pcall(s[name], mutex.new()) then
		rejected = rejected + 1
	end
end
t:is(rejected, #methods, "every method rejects another class as self")

t:done()
