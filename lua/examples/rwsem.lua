-- A reader-writer semaphore guarding a pair of values that must change
-- together. A kernel thread, in a runtime of its own, reads the pair over and
-- over under r:readscope; this script writes it 20 times under r:writescope,
-- with a short sleep between the two halves of each write. Without the rwsem
-- the reader would see a half-written pair; with it, readers share the rwsem
-- with each other but never with the writer, and a waiting writer is not
-- starved by readers that keep coming.
--
-- The thread runs luasync/examples/threads/pair_reader.lua (installed, as in
-- the test VM, under /lib/modules/lua/luasync/examples/).
local lunatik = require("lunatik")
local thread = require("thread")
local rcu = require("rcu")
local linux = require("linux")
local completion = require("completion")
local rwsem = require("rwsem")

local WRITES = 20
local shared = rcu.table(16)
local r, finished = rwsem.new(), completion.new()
shared.rwsem, shared.finished, shared.first, shared.second = r, finished, 0, 0
shared.reads, shared.torn, shared.done = 0, 0, false

lunatik._ENV["luasync.example.rwsem"] = shared
local runtime = lunatik.runtime("luasync/examples/threads/pair_reader")
lunatik._ENV["luasync.example.rwsem"] = nil
local reader = thread.run(runtime, "reader")

local function write(n)
	shared.first = n
	linux.schedule(1)
	shared.second = n
end

local function writes()
	for n = 1, WRITES do
		r:writescope(write, n)
		linux.schedule(1)
	end
	shared.done = true
	local ok, why = finished:wait(5000)
	print("the reader finished: " .. tostring(ok or why))
	print("it read the pair " .. shared.reads .. " times while this script wrote it " .. WRITES ..
		" times, and saw it half-written " .. shared.torn .. " times")
	print("the last pair: " .. shared.first .. ", " .. shared.second .. "; " .. tostring(r))
	assert(ok and shared.reads > 0 and shared.torn == 0, "a reader saw a half-written pair")
end

local ok, err = pcall(writes)
reader:stop()
runtime:stop()
assert(ok, err)
