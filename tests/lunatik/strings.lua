-- Strings across runtimes for the test harness, loaded as
-- require "luasync.lunatik.strings".
--
-- Lunatik's RCU tables, the one store every runtime can reach, hold booleans,
-- integers and objects, not strings. A string travels as an RCU table of
-- integers: its length under "len", its bytes eight to an integer under the
-- keys "00000001", "00000002", ... (keys of one length: Lunatik's RCU lookup
-- compares only as many bytes as the key asked for). Lunatik's `data` objects
-- could hold the bytes too, but their methods run under a spinlock in which
-- Lua may allocate, which the debug kernel reports as a sleep in atomic
-- context; indexing an RCU table runs no Lua code under a lock.

local rcu = require("rcu")

local M = {}

local MARK = "luasync:string"

local function slot(i)
	return string.format("%08d", i)
end

-- An RCU table holding s.
function M.pack(s)
	local n = #s
	local words = (n + 7) // 8
	local t = rcu.table(words < 64 and 64 or words)
	t[MARK] = true
	t.len = n
	for i = 1, words do
		local chunk = string.sub(s, i * 8 - 7, i * 8)
		chunk = chunk .. string.rep("\0", 8 - #chunk)
		t[slot(i)] = string.unpack("<i8", chunk)
	end
	return t
end

-- Whether v is a string packed by M.pack.
function M.ispacked(v)
	return type(v) == "userdata" and v[MARK] == true
end

-- The string an RCU table of M.pack holds.
function M.unpack(t)
	local n = t.len
	local parts = {}
	for i = 1, (n + 7) // 8 do
		parts[i] = string.pack("<i8", t[slot(i)])
	end
	return string.sub(table.concat(parts), 1, n)
end

return M
