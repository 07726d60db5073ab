-- make profile-insns, on the host (lua5.4): the instructions of one
-- ping-pong round trip, or one completion.new(), by kernel function, for
-- each completion.
--
--   lua5.4 scripts/insns.lua SYSTEM.MAP REPORT PREFIX
--
-- REPORT is the guest's output (tests/bench/run.sh, insns): for each run,
-- the modules' symbols ("ksym ADDR TYPE NAME [MODULE]") and the run itself
-- ("insns WORKLOAD IMPL ROUNDS"), in the order of the counts that
-- scripts/insns-plugin.c wrote to PREFIX.1, PREFIX.2, ... ("ADDR
-- INSTRUCTIONS EXECUTIONS" per translation block). Each block goes to the
-- function whose symbol is the nearest at or below its address: the kernel's
-- (SYSTEM.MAP) or the modules' loaded for that run. Of two runs of a
-- workload and completion, the difference of the counts over that of the
-- rounds (round trips or calls) is the count of one.
--
-- Addresses are read as Lua integers: kernel and module text lies in one
-- range of the top of the address space, where the signed order that
-- tonumber(hex, 16) gives is the unsigned one; user space, in the lower
-- half, reads as non-negative and is counted apart.

local sysmap, report, prefix = arg[1], arg[2], arg[3]
assert(sysmap and report and prefix, "usage: insns.lua SYSTEM.MAP REPORT PREFIX")

-- A symbol of text, from a System.map or /proc/kallsyms line; nil otherwise.
---@param line string
---@return insns.Symbol?
local function symbol(line)
	local hex, kind, name = line:match("^(%x+) (%a) (.+)$")
	if hex == nil or kind == nil or name == nil or not kind:match("^[TtWw]$") then
		return nil
	end
	local addr = math.tointeger(tonumber(hex, 16))
	if addr == nil then
		return nil
	end
	return {addr = addr, name = name}
end

local kernel = {}
for line in io.lines(sysmap) do
	kernel[#kernel + 1] = symbol(line)
end

---@class insns.Symbol
---@field addr integer
---@field name string

---@class insns.Run
---@field workload string
---@field impl string
---@field rounds integer
---@field modules insns.Symbol[]

-- The runs, in order, each with the modules' symbols printed before it.
local runs = {} ---@type insns.Run[]
local pending = {} ---@type insns.Symbol[]
for line in io.lines(report) do
	local ksym = line:match("^ksym (.+)$")
	if ksym ~= nil then
		pending[#pending + 1] = symbol(ksym)
	else
		local workload, impl, rounds = line:match("^insns (%S+) (%S+) (%d+)$")
		if workload ~= nil then
			runs[#runs + 1] = {workload = workload, impl = impl, rounds = math.tointeger(tonumber(rounds)) or 0,
				modules = pending}
			pending = {}
		end
	end
end
local first, second = runs[1], runs[2]
if first == nil or second == nil then
	error("no runs in " .. report)
end

-- Instructions per function in the counts of run `i`.
local function functions(i)
	local symbols = table.move(kernel, 1, #kernel, 1, {})
	table.move(runs[i].modules, 1, #runs[i].modules, #symbols + 1, symbols)
	-- Aliases (symbols at one address) in the order of their names, so that
	-- every run gives a block the same one.
	table.sort(symbols, function(a, b)
		if a.addr ~= b.addr then
			return a.addr < b.addr
		end
		return a.name < b.name
	end)
	local counts = {}
	local file = assert(io.open(prefix .. "." .. i), "no counts of run " .. i)
	for line in file:lines() do
		local hex, insns, execs = line:match("^(%x+) (%d+) (%d+)$")
		local addr, size, times = tonumber(hex, 16), tonumber(insns), tonumber(execs)
		if addr == nil or size == nil or times == nil then
			error("not a count: " .. line)
		end
		local n = size * times
		local lo, hi = 1, #symbols
		while lo < hi do -- the last symbol at or below addr
			local mid = (lo + hi + 1) // 2
			if symbols[mid].addr <= addr then lo = mid else hi = mid - 1 end
		end
		local name = symbols[lo].addr <= addr and symbols[lo].name or "?"
		if addr >= 0 then -- the lower half: user space (the shell, the vsyscall page)
			name = "(user space)"
		end
		counts[name] = (counts[name] or 0) + n
	end
	file:close()
	return counts
end

-- Per round trip, by function: the longer run less the shorter.
local per = {} -- per[workload][impl] = {counts = ..., total = ...}
local order = {}
for i = 1, #runs, 2 do
	local short, long = runs[i], runs[i + 1]
	if short == nil or long == nil or long.workload ~= short.workload or long.impl ~= short.impl then
		error("the runs are not in pairs")
	end
	local a, b = functions(i), functions(i + 1)
	local trips = long.rounds - short.rounds
	local counts, total = {}, 0
	for name, n in pairs(b) do
		counts[name] = (n - (a[name] or 0)) / trips
	end
	for name, n in pairs(a) do
		counts[name] = counts[name] or -n / trips
	end
	for _, n in pairs(counts) do
		total = total + n
	end
	if per[short.workload] == nil then
		per[short.workload] = {}
		order[#order + 1] = short.workload
	end
	per[short.workload][short.impl] = {counts = counts, total = total}
end

print("Instructions per ping-pong round trip or per new(), by kernel function (make profile-insns):")
print("QEMU's count of the guest instructions each translation block ran, both vCPUs, under")
print("-icount; the run of " .. second.rounds .. " rounds less the run of " .. first.rounds .. ".")
print("The functions where the two completions differ by 4 or more, by difference.")
for _, workload in ipairs(order) do
	local mine, theirs = per[workload].luasync, per[workload].lunatik
	assert(mine and theirs, "workload " .. workload .. " lacks a completion")
	print()
	print(string.format("%s: luasync %.1f, lunatik %.1f instructions per round, ratio %.3f",
		workload, mine.total, theirs.total, mine.total / theirs.total))
	print(string.format("%10s %10s %10s  %s", "luasync", "lunatik", "diff", "function"))
	local rows, seen = {}, {}
	for _, side in ipairs({mine.counts, theirs.counts}) do
		for name in pairs(side) do
			local a, b = mine.counts[name] or 0, theirs.counts[name] or 0
			if math.abs(a - b) >= 4 and not seen[name] then
				seen[name] = true
				rows[#rows + 1] = {name = name, a = a, b = b}
			end
		end
	end
	table.sort(rows, function(x, y) return x.a - x.b < y.a - y.b end)
	for _, row in ipairs(rows) do
		print(string.format("%10.1f %10.1f %10.1f  %s", row.a, row.b, row.a - row.b, row.name))
	end
end
