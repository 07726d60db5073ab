-- A kernel thread that sleeps until a hook wakes it. A kprobe on
-- dev_get_by_name (the kernel's lookup of a network device by name) runs its
-- handler in a "hardirq" runtime, where nothing may sleep: the handler only
-- calls hit:complete(), which never sleeps. The thread waits in hit:wait()
-- and answers each hit on "seen". When thread:stop() asks it to end, its
-- wait returns nil, "interrupt" and the thread returns.
--
-- This script makes the lookups itself, with linux.ifindex("lo"): the probe
-- fires on the call, whether the device exists or not. The hook and the
-- thread run luasync/examples/threads/probe_hook.lua and probe_waiter.lua
-- (installed, as in the test VM, under /lib/modules/lua/luasync/examples/).
-- Needs Lunatik's probe module (luaprobe.ko) and a kernel with kprobes. On
-- a KASAN kernel, Lunatik's probe handler warns once that it allocates in
-- the int3 exception (tests/known/lunatik-defects).
local lunatik = require("lunatik")
local thread = require("thread")
local rcu = require("rcu")
local linux = require("linux")
local completion = require("completion")

local LOOKUPS = 3

local shared = rcu.table(8)
local hit, seen = completion.new(), completion.new()
-- Keys none of which starts another: Lunatik's RCU lookup compares only as
-- many bytes as the key asked for.
shared.hit, shared.seen, shared.count, shared.interrupted = hit, seen, 0, false

local waiter, waiter_runtime, hook

local function start()
	lunatik._ENV["luasync.example.kprobe"] = shared
	waiter_runtime = lunatik.runtime("luasync/examples/threads/probe_waiter")
	waiter = thread.run(waiter_runtime, "probe_waiter")
	hook = lunatik.runtime("luasync/examples/threads/probe_hook", "hardirq")
	lunatik._ENV["luasync.example.kprobe"] = nil
end

local function lookups()
	for i = 1, LOOKUPS do
		local found = pcall(linux.ifindex, "lo")
		local ok, why = seen:wait(1000)
		print("lookup " .. i .. " of \"lo\" (" .. (found and "found" or "no such device") ..
			"): the thread woke -> " .. tostring(ok or why))
		assert(ok, "the thread did not wake for lookup " .. i)
	end
end

local ok, err = pcall(function()
	start()
	lookups()
end)
lunatik._ENV["luasync.example.kprobe"] = nil
-- The probe first (its runtime unregisters it), then the thread.
if hook then hook:stop() end
if waiter then waiter:stop() end
if waiter_runtime then waiter_runtime:stop() end
assert(ok, err)

print("thread:stop(): the thread's wait returned \"interrupt\": " .. tostring(shared.interrupted) ..
	", after " .. shared.count .. " hits")
---@type boolean
local interrupted = shared.interrupted -- set by the thread
assert(interrupted, "the thread did not end through an interrupted wait")
assert(shared.count >= LOOKUPS, "the thread counted fewer hits than lookups")
