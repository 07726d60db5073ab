-- mutex in one runtime: every method, every return shape, recursion, scope, bad input.
-- Contention between runtimes is in threads.lua.
---@diagnostic disable: param-type-mismatch, missing-parameter (bad input on purpose)
local env = ...
local tap = require("luasync_tap")
local t = tap.new()
local mutex = require("mutex")
local completion = require("completion")

local MAXINT = 0x7fffffffffffffff

local m = mutex.new()
t:is(type(m), "userdata", "mutex.new returns an object")
t:is(tostring(m), "mutex (unlocked)", "tostring of a new mutex")
t:shape("locked() of a new mutex returns false", {n = 1, false}, m:locked())
t:shape("owned() of a new mutex returns false", {n = 1, false}, m:owned())
t:shape("lock() returns true", {n = 1, true}, m:lock())
t:ok(m:locked() and m:owned(), "after lock() it is locked and owned")
t:is(tostring(m), "mutex (locked)", "tostring of a locked mutex")
t:raises(function() m:lock() end, "mutex: lock: deadlock (this runtime already holds it)",
	"lock() again by the owner raises deadlock instead of hanging")
t:raises(function() m:lock(0) end, "mutex: lock: deadlock", "lock(0) again by the owner raises deadlock")
t:raises(function() m:lock(50) end, "mutex: lock: deadlock", "lock(50) again by the owner raises deadlock")
t:shape("trylock() by the owner of a non-recursive mutex returns false", {n = 1, false}, m:trylock())
t:ok(m:locked() and m:owned(), "still locked after the failed relocks")
t:shape("unlock() returns nothing", {n = 0}, m:unlock())
t:ok(not m:locked() and not m:owned(), "one unlock() frees it: the failed relocks added no depth")
t:raises(function() m:unlock() end, "mutex: unlock: not locked", "unlock() of an unlocked mutex raises")
t:shape("trylock() of a free mutex returns true", {n = 1, true}, m:trylock())
t:ok(m:owned(), "trylock() made this runtime the owner")
m:unlock()

-- timeout edges on a free mutex: every one takes it
local edges = {
	{"lock()", function() return m:lock() end},
	{"lock(nil)", function() return m:lock(nil) end},
	{"lock(-1)", function() return m:lock(-1) end},
	{"lock(0)", function() return m:lock(0) end},
	{"lock(1)", function() return m:lock(1) end},
	{"lock(maximum integer) (clamped)", function() return m:lock(MAXINT) end},
}
for _, edge in ipairs(edges) do
	t:shape(edge[1] .. " of a free mutex returns true", {n = 1, true}, edge[2]())
	m:unlock()
end

-- recursive mutexes
local r = mutex.new(true)
t:is(tostring(r), "mutex (unlocked, recursive)", "tostring of a recursive mutex")
t:is(r:lock(), true, "recursive lock() once")
t:is(r:lock(), true, "recursive lock() twice")
t:is(r:trylock(), true, "recursive trylock() by the owner deepens the hold")
t:is(tostring(r), "mutex (locked, recursive)", "tostring of a locked recursive mutex")
r:unlock()
r:unlock()
t:ok(r:locked() and r:owned(), "still held after two of three unlocks")
r:unlock()
t:ok(not r:locked(), "free after the third unlock")
t:raises(function() r:unlock() end, "mutex: unlock: not locked", "a fourth unlock raises")
t:is(tostring(mutex.new(false)), "mutex (unlocked)", "mutex.new(false) is not recursive")
t:is(tostring(mutex.new(nil)), "mutex (unlocked)", "mutex.new(nil) is not recursive")

-- coroutines of a runtime are the same owner
m:lock()
local co = coroutine.wrap(function()
	local owned = m:owned()
	m:unlock()
	return owned
end)
t:is(co(), true, "a coroutine of the owning runtime owns the mutex")
t:is(m:locked(), false, "and can unlock it")

-- scope
local function values(a, b)
	return a, nil, b, m:owned(), m:locked()
end
t:shape("scope(f, ...) passes the arguments and returns every result of f",
	{n = 5, 1, nil, 2, true, true}, m:scope(values, 1, 2))
t:is(m:locked(), false, "scope unlocked after f returned")
t:shape("scope of an f returning nothing returns nothing", {n = 0}, m:scope(function() end))
local boom = {"boom"}
t:raisesvalue(function() m:scope(function() error(boom) end) end, boom,
	"scope re-raises the error value of f unchanged")
t:is(m:locked(), false, "scope unlocked after f raised")
t:raises(function() m:scope(function() error("plain message") end) end, "plain message",
	"scope re-raises a string error of f")
t:is(m:locked(), false, "scope unlocked after f raised a string")
t:raises(function() m:scope(function() m:scope(function() end) end) end,
	"mutex: scope: deadlock", "a nested scope on a non-recursive mutex raises deadlock")
t:is(m:locked(), false, "unlocked after the nested scope failed")
t:shape("a nested scope on a recursive mutex works", {n = 1, "inner"},
	r:scope(function() return r:scope(function() return "inner" end) end))
t:is(r:locked(), false, "the recursive mutex is free after nested scopes")
m:lock()
t:raises(function() m:scope(function() end) end, "mutex: scope: deadlock",
	"scope of a mutex this runtime already holds raises deadlock")
t:ok(m:locked() and m:owned(), "the failed scope left the caller's own lock alone")
m:unlock()
t:raises(function() m:scope(function() m:unlock() end) end,
	"mutex: scope: the mutex was unlocked inside the scope",
	"scope raises when f unlocked the mutex itself")
t:is(m:locked(), false, "and the mutex is free")
t:raises(function() m:scope(5) end, "bad argument #1 to 'scope' (function expected, got number)",
	"scope(5) is rejected")
t:raises(function() m:scope() end, "bad argument #1 to 'scope' (function expected, got no value)",
	"scope() without f is rejected")
t:is(m:locked(), false, "a rejected scope did not lock")

-- bad input
t:raises(function() m.lock(completion.new()) end,
	"bad argument #1 to 'lock' (mutex expected, got completion)", "a completion passed as a mutex is rejected")
t:raises(function() m.unlock() end,
	"bad argument #1 to 'unlock' (mutex expected, got no value)", "a missing self is rejected")
t:raises(function() mutex.new("yes") end,
	"bad argument #1 to 'new' (boolean expected, got string)", "mutex.new(\"yes\") is rejected")
t:raises(function() mutex.new(1) end,
	"bad argument #1 to 'new' (boolean expected, got number)", "mutex.new(1) is rejected")
t:raises(function() m:lock("ten") end,
	"bad argument #1 to 'lock' (number expected, got string)", "a non-numeric string timeout is rejected")
t:raises(function() m:lock("1.5") end,
	"bad argument #1 to 'lock'", "a non-integer string timeout (\"1.5\") is rejected")
local float = load("return 1.5")
local x = float and float()
if type(x) == "number" and x // 1 ~= x then
	t:raises(function() m:lock(x) end,
		"bad argument #1 to 'lock' (number has no integer representation)", "a non-integer timeout (1.5) is rejected")
else
	t:skip("a non-integer timeout (1.5) is rejected", "this Lua has no floats")
end
t:is(m:locked(), false, "rejected calls did not lock")
t:shape("lock(\"5\") takes the string as 5 ms", {n = 1, true}, m:lock("5"))
m:unlock()
local methods = {"lock", "trylock", "unlock", "locked", "owned", "scope"}
local rejected = 0
for _, name in ipairs(methods) do
	if not pcall(m[name], completion.new(), function() end) then
		rejected = rejected + 1
	end
end
t:is(rejected, #methods, "every method rejects another class as self")

t:done()
