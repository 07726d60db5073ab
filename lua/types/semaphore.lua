-- SPDX-License-Identifier: GPL-2.0

--- Semaphores: counting semaphores, counts from 0 to 2147483647.
-- @usage
-- -- a producer in a netfilter hook (softirq) and a consumer thread
-- -- loader: queue = fifo.new(4096); items = semaphore.new(0); share both
-- -- hook (softirq runtime): never sleeps
-- queue:push(packet_summary)
-- items:up()
--
-- -- consumer thread (process runtime)
-- while true do
-- 	local ok = items:down()
-- 	if not ok then return end -- "interrupt" or "closed"
-- 	handle(queue:pop(64))
-- end
---@meta semaphore

local M = {}

--- Creates a semaphore.
-- @raise an argument error unless `0 <= n <= 2147483647`.
---@param n integer? The initial count (default 1).
---@return semaphore s A semaphore holding `n`.
function M.new(n) end

--- A semaphore object. `tostring(s)` is, for example, `"semaphore (count 3)"`.
---@class semaphore
local semaphore = {}

--- Takes one count, waiting for one if needed.
---@param timeout integer? Milliseconds; absent, `nil` or negative: no timeout; 0: poll.
---@return true|nil ok `true` once a count was taken.
---@return nil|"timeout"|"interrupt"|"closed" why Set when `ok` is `nil`.
function semaphore:down(timeout) end

--- Takes one count if there is one. Never sleeps.
---@return boolean taken
function semaphore:trydown() end

--- Adds `n` counts, waking up to `n` waiters. Never sleeps.
-- @raise an argument error if `n < 1`; `"semaphore: up: count would exceed
-- 2147483647 (adding n)"`, leaving the count unchanged.
---@param n integer? How many (default 1).
function semaphore:up(n) end

--- The current count. Never sleeps.
---@return integer count
function semaphore:count() end

--- Closes the semaphore: every thread waiting on it wakes with `nil, "closed"`, and
-- every later call on it raises "semaphore expected, got closed semaphore". Lunatik's generic
-- `close` of any class (a fifo's `close`, for one) does the same. Also `__close`, for
-- `local x <close> = semaphore.new()`. Never sleeps.
function semaphore:close() end

return M
