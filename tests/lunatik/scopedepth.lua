-- Kernel only: nested readscope and writescope never overflow the kernel stack, as
-- mutex's scope (depth.lua): each level stays on the stack while f runs, and a scope
-- refuses to call into Lua with less than its margin left, raising "rwsem: readscope:
-- nested too deeply" (or writescope) and leaving the rwsem as it was; every level gives
-- its lock back on the way out.
local env = ... -- luacheck: ignore 211 (the runner passes it; no case here needs it)
local tap = require("luasync_tap")
local t = tap.new()
local rwsem = require("rwsem")

-- Read locks nest on one rwsem, until the stack is short.
do
	local r = rwsem.new()
	local depth = 0
	local function nest(n)
		depth = n
		return r:readscope(nest, n + 1)
	end
	local ok, err = pcall(nest, 1)
	local want = "rwsem: readscope: nested too deeply"
	t:ok(not ok and string.find(tostring(err), want, 1, true) ~= nil, "recursive readscope raises \"" .. want .. "\"",
		tostring(err))
	t:ok(depth > 2, "recursive readscope nested more than two levels first", "depth " .. depth)
	t:is(r:reading(), 0, "recursive readscope: every level gave its read lock back")
	t:is(tostring(r), "rwsem (unlocked)", "recursive readscope: the rwsem is free")
	print("# recursive readscope: " .. depth .. " levels")
end

-- A chain of rwsems, one writescope each.
do
	local held, depth = {}, 0
	local function nest(n)
		depth = n
		held[n] = rwsem.new()
		return held[n]:writescope(nest, n + 1)
	end
	local ok, err = pcall(nest, 1)
	local want = "rwsem: writescope: nested too deeply"
	t:ok(not ok and string.find(tostring(err), want, 1, true) ~= nil, "a chain of writescopes raises \"" .. want .. "\"",
		tostring(err))
	local written = 0
	for i = 1, depth do
		if held[i]:writing() then
			written = written + 1
		end
	end
	t:is(written, 0, "a chain of " .. depth .. " writescopes: every rwsem given back")
	t:is(tostring(held[depth]), "rwsem (unlocked)", "the refused level left its rwsem as it was (unlocked)")
	t:is(held[1]:writescope(function(a, b) return a + b end, 2, 3), 5, "an rwsem works after the refusal")
end

t:done()
