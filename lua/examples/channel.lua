-- A hook hands work to a kernel thread over a channel. A kprobe on
-- dev_get_by_name runs its handler in a "hardirq" runtime, where nothing may
-- sleep: it copies what it saw into the channel with events:trysend(), which
-- never sleeps (a full channel drops the event and says so). A kernel thread
-- sleeps in events:receive() and handles each event; when thread:stop() asks
-- it to end, its receive returns nil, "interrupt" and it returns.
--
-- This script makes the lookups itself, with linux.ifindex(name). The hook and
-- the thread run luasync/examples/threads/channel_hook.lua and
-- channel_consumer.lua (installed, as in the test VM, under
-- /lib/modules/lua/luasync/examples/). Needs Lunatik's probe module.
local lunatik = require("lunatik")
local thread = require("thread")
local rcu = require("rcu")
local linux = require("linux")
local channel = require("channel")
local completion = require("completion")

local NAMES = {"lo", "eth0", "nosuchdev"}

local shared = rcu.table(8)
local events, handled = channel.new(16), completion.new()
shared.events, shared.handled, shared.count = events, handled, 0

local consumer, consumer_runtime, hook

local ok, err = pcall(function()
	lunatik._ENV["luasync.example.channel"] = shared
	consumer_runtime = lunatik.runtime("luasync/examples/threads/channel_consumer")
	consumer = thread.run(consumer_runtime, "channel_consumer")
	hook = lunatik.runtime("luasync/examples/threads/channel_hook", "hardirq")
	lunatik._ENV["luasync.example.channel"] = nil
	for _, name in ipairs(NAMES) do
		pcall(linux.ifindex, name)
		local done, why = handled:wait(1000)
		print("lookup of \"" .. name .. "\": the thread handled an event -> " .. tostring(done or why))
		assert(done, "the thread did not handle the event of " .. name)
	end
end)
lunatik._ENV["luasync.example.channel"] = nil
if hook then hook:stop() end
if consumer then consumer:stop() end
if consumer_runtime then consumer_runtime:stop() end
assert(ok, err)
print("the thread handled " .. shared.count .. " events and ended on \"interrupt\"")
assert(shared.count >= #NAMES, "the thread handled fewer events than lookups")
