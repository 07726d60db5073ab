-- A completion handshake. This script and a kernel thread, in a runtime of
-- its own, take turns three times: this side completes "ping" and waits for
-- "pong"; the thread waits for "ping" and completes "pong". Each complete()
-- wakes exactly one wait().
--
-- The thread runs luasync/examples/threads/ponger.lua (installed, as in the
-- test VM, under /lib/modules/lua/luasync/examples/).
local lunatik = require("lunatik")
local thread = require("thread")
local rcu = require("rcu")
local completion = require("completion")

local shared = rcu.table(8)
local ping, pong = completion.new(), completion.new()
shared.ping, shared.pong = ping, pong

lunatik._ENV["luasync.example.completion"] = shared
local runtime = lunatik.runtime("luasync/examples/threads/ponger")
lunatik._ENV["luasync.example.completion"] = nil
local ponger = thread.run(runtime, "ponger")

local function play()
	local answered = 0
	for round = 1, 3 do
		ping:complete()
		print("round " .. round .. ": ping")
		local ok, why = pong:wait(1000)
		print("round " .. round .. ": pong -> " .. tostring(ok or why))
		answered = answered + (ok and 1 or 0)
	end
	print("no fourth pong: wait(0) -> " .. tostring(select(2, pong:wait(0))))
	assert(answered == 3, "the thread did not answer every ping")
end

local ok, err = pcall(play)
ponger:stop()
runtime:stop()
assert(ok, err)
