-- Kernel only: nested m:scope never overflows the kernel stack. Each level of
-- scope stays on the stack while f runs; scope refuses to call into Lua with
-- less than its margin left, raising "mutex: scope: nested too deeply" and
-- leaving the mutex as it was. Every level unlocks on the way out, also when
-- the nesting mixes scope with pcall and coroutines.
local env = ... -- luacheck: ignore 211 (the runner passes it; no case here needs it)
local tap = require("luasync_tap")
local t = tap.new()
local mutex = require("mutex")
local testlib = require("luasync_testlib")

local TOO_DEEP = "mutex: scope: nested too deeply"

-- The recursion that overflowed the stack at depth 50, unbounded here.
do
	local m = mutex.new(true)
	local left, depth = {}, 0
	local function r(n)
		depth = n
		left[n] = testlib.stackleft()
		return m:scope(r, n + 1)
	end
	local ok, err = pcall(r, 1)
	t:ok(not ok and string.find(tostring(err), TOO_DEEP, 1, true) ~= nil,
		"recursive scope raises \"" .. TOO_DEEP .. "\"", tostring(err))
	t:is(m:locked(), false, "recursive scope: every level unlocked the recursive mutex")
	t:ok(depth > 2, "recursive scope: nested more than two levels first", "depth " .. depth)
	print("# recursive scope: " .. depth .. " levels, " .. (left[1] - left[2]) ..
		" bytes of kernel stack per level, " .. left[depth] .. " bytes left at the deepest")
	t:is(m:scope(function(a, b) return a + b end, 2, 3), 5, "the mutex works after the refusal")
end

-- A chain of distinct mutexes, one per level.
do
	local held, depth = {}, 0
	local function r(n)
		depth = n
		held[n] = mutex.new()
		return held[n]:scope(r, n + 1)
	end
	local ok, err = pcall(r, 1)
	t:ok(not ok and string.find(tostring(err), TOO_DEEP, 1, true) ~= nil,
		"a chain of scopes raises \"" .. TOO_DEEP .. "\"", tostring(err))
	local locked = 0
	for i = 1, depth do
		if held[i]:locked() then
			locked = locked + 1
		end
	end
	t:is(locked, 0, "a chain of " .. depth .. " scopes: every mutex unlocked")
	t:is(held[depth]:locked(), false, "the refused level left its mutex as it was (unlocked)")
end

-- scope, pcall and a coroutine in turn, until something refuses.
do
	local m = mutex.new(true)
	local depth, kinds = 0, {}
	local function r(n)
		depth = n
		local kind = n % 3
		kinds[kind] = (kinds[kind] or 0) + 1
		if kind == 0 then
			return m:scope(r, n + 1)
		elseif kind == 1 then
			local ok, e = pcall(r, n + 1)
			if not ok then error(e, 0) end
			return e
		end
		return coroutine.wrap(function() return r(n + 1) end)()
	end
	local ok, err = pcall(r, 0)
	t:ok(not ok and string.find(tostring(err), TOO_DEEP, 1, true) ~= nil,
		"scope, pcall and coroutines in turn: scope refuses first", tostring(err))
	t:is(m:locked(), false, "scope, pcall and coroutines in turn: every level unlocked")
	print("# scope, pcall and coroutines in turn: " .. depth .. " levels")
end

-- The refusal is an error f can catch, at the deepest level.
do
	local m = mutex.new(true)
	local caught
	local function r(n)
		local ok, err = pcall(m.scope, m, r, n + 1)
		if not ok and caught == nil then
			caught = err
		end
		return n
	end
	r(1)
	t:ok(caught ~= nil and string.find(tostring(caught), TOO_DEEP, 1, true) ~= nil,
		"the refusal can be caught by f", tostring(caught))
	t:is(m:locked(), false, "after a caught refusal every level unlocked")
end

t:done()
