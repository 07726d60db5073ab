-- SPDX-License-Identifier: GPL-2.0

--- Channels: bounded message passing between runtimes: kernel threads, and hooks in
-- softirq or hardirq runtimes, which use the calls that never sleep.
--
-- Values are copied on send and rebuilt in the receiving runtime: booleans, integers,
-- strings, Lunatik objects that hold no other object (by reference: the receiver gets its
-- own value of the same object: a completion, mutex or semaphore, a `data` buffer) and
-- tables of these (without their metatables), nested at most 8 deep, 64 KiB in all.
-- Anything else (functions, coroutines, `nil` as the message, floats, a table inside
-- itself, channels, rcu tables, runtimes, threads: objects that could end up holding each
-- other, never to be freed) raises, and nothing is sent.
-- @usage
-- -- a kprobe hook (hardirq runtime) feeds a kernel thread
-- local channel = require("channel")
-- local events = channel.new(64)           -- shared through lunatik._ENV
-- -- hook: never sleeps; a full channel drops the event
-- events:trysend({pid = 42, what = "open"})
-- -- thread:
-- while true do
-- 	local ev, why = events:receive()
-- 	if ev == nil then return end          -- "interrupt" (stop) or "closed"
-- 	handle(ev)
-- end
---@meta channel

local M = {}

--- Creates an empty, open channel.
-- @raise an argument error unless `1 <= capacity <= 2147483647`.
---@param capacity integer? The most values it holds (default 1).
---@return channel ch A channel.
function M.new(capacity) end

--- A channel object. `tostring(ch)` is, for example, `"channel (2/8)"` or
-- `"channel (closed, 0/8)"`.
---@class channel
local channel = {}

--- Sends a copy of `value`, waiting while the channel is full.
-- @raise when `value` cannot be sent (see above); nothing is sent then.
---@param value any The message.
---@param timeout integer? Milliseconds; absent, `nil` or negative: no timeout; 0: poll.
---@return true|nil ok `true` once sent.
---@return nil|"timeout"|"interrupt"|"closed" why Set when `ok` is `nil`; "closed": the
-- channel is closed, now or while waiting.
function channel:send(value, timeout) end

--- Sends a copy of `value` if there is room. Never sleeps: works in softirq and hardirq
-- runtimes, where the copy is allocated atomically.
-- @raise when `value` cannot be sent.
---@param value any The message.
---@return boolean sent `false` when the channel is full or closed.
function channel:trysend(value) end

--- Receives the oldest value, waiting while the channel is empty. A closed channel still
-- gives what was sent before it closed, then `nil, "closed"`.
---@param timeout integer? Milliseconds; absent, `nil` or negative: no timeout; 0: poll.
---@return any value The value (`nil` when none came).
---@return nil|"timeout"|"interrupt"|"closed" why Set when `value` is `nil`.
function channel:receive(timeout) end

--- Receives the oldest value if there is one. Never sleeps.
---@return any value The value, or `nil`.
function channel:tryreceive() end

--- Closes the channel: later sends return `nil, "closed"`, waiting senders and receivers
-- wake; what was sent can still be received. Also `__close`. Never sleeps.
function channel:close() end

--- How many values wait to be received.
---@return integer count
function channel:count() end

--- The most values it holds.
---@return integer capacity
function channel:capacity() end

return M
