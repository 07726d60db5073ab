-- tests/unload, the race: round after round, a runtime opens luasync, makes an
-- object of each class and is stopped, so the last reference on the module
-- goes in its release path, while the shell runs rmmod in a loop (run.sh).
-- The shell writes the round's number to /tmp/unload.spinning once it sees
-- the runtime hold luasync, and the runtime is stopped only then; once rmmod
-- went through, the shell loads luasync again and writes how many times it
-- did to /tmp/unload.ready. The next round waits for that, so that no
-- runtime opens luasync while it is being unloaded. Prints how many rounds
-- ran.
local testlib = require("luasync_testlib")
local linux = require("linux")

local rounds = 50 -- run.sh sets UNLOAD_ROUNDS here
local BOUND_MS = 60000 -- how long the shell may take to unload and load luasync again

-- The number in one of the shell's files; -1 when the file cannot be read or
-- is empty (the shell is writing it).
local function number(file)
	local text = testlib.read(file)
	return text and math.tointeger(tonumber(text)) or -1
end

-- Waits until the number in file is at least n; returns it.
local function await(file, n, what)
	local waited, now = 0, number(file)
	while now < n do
		assert(waited < BOUND_MS, what)
		linux.schedule(1)
		waited = waited + 1
		now = number(file)
	end
	return now
end

local done = 0
assert(number("/tmp/unload.ready") == 0, "the shell is not ready")
while done < rounds do
	local runtime = testlib.runtime("luasync/lunatik/holder")
	assert(runtime ~= nil, "round " .. done + 1 .. ": no runtime, though the shell had loaded luasync")
	await("/tmp/unload.spinning", done, "round " .. done + 1 .. ": the shell did not see the runtime hold luasync")
	testlib.stop(runtime)
	done = done + 1
	local reloaded = await("/tmp/unload.ready", done,
		"round " .. done .. ": rmmod did not go through once the runtime was stopped")
	assert(reloaded == done, "round " .. done .. ": the shell unloaded luasync " .. reloaded .. " times")
end
print("rounds " .. done .. ", each ended by an rmmod that went through once its runtime was stopped")
