-- SPDX-License-Identifier: GPL-2.0

--- Waiting on several objects at once: completions, semaphores, mutexes and channels.
--
-- `require("waitany")` is the function itself. It takes from the first object (in list
-- order) that can give, and from that one only: one completion, one count, the mutex
-- (locked for this runtime), or a received value. An object that woke the waiter but was
-- not taken passes its wake-up on to its next waiter.
-- @usage
-- local waitany = require("waitany")
-- while true do
-- 	local i, job = waitany({jobs, shutdown})   -- a channel and a completion
-- 	if i ~= 1 then return end                   -- 2: shut down; nil: interrupted
-- 	handle(job)
-- end
---@meta waitany

--- Waits until one of `objects` can give, and takes from it.
-- @raise unless `objects` is a list of 1 to 64 completions, semaphores, mutexes or
-- channels (live: a closed object raises); "waitany: item i: deadlock (this runtime
-- already holds the mutex)" for a non-recursive mutex this runtime holds; in a softirq
-- or hardirq runtime unless `timeout` is 0.
---@param objects (completion|semaphore|mutex|channel)[] What to wait on, in order.
---@param timeout integer? Milliseconds; absent, `nil` or negative: no timeout; 0: poll.
---@return integer|nil i The index of the object taken from, or of the object closed.
---@return any value|why A channel's value; `nil, "closed"` after `i` when object `i` was
-- closed (a channel: closed and empty); or, without `i`, "timeout" or "interrupt".
---@return nil|"closed" closed Set after `i` when object `i` was closed.
local function waitany(objects, timeout) end

return waitany
