-- SPDX-License-Identifier: GPL-2.0

--- Completions: wait until another thread or runtime signals an event.
-- A counted completion, with the semantics of the kernel's `struct completion`.
-- It is a superset of Lunatik's own C `completion`, so scripts written for that
-- one (such as Lunatik's `mailbox.lua`) run unchanged.
-- @usage
-- -- a kernel thread that serves requests until it is stopped
-- local thread = require("thread")
-- return function()
-- 	local request = shared.request -- a completion the loader shared
-- 	while not thread.shouldstop() do
-- 		local ok, why = request:wait(1000)
-- 		if ok then
-- 			-- serve one request
-- 		elseif why ~= "timeout" then
-- 			return -- "interrupt" or "closed": return, do not wait again
-- 		end
-- 	end
-- end
--
-- -- from any other runtime, a softirq hook included
-- shared.request:complete()
---@meta completion

local M = {}

--- Creates a completion.
---@return completion c A completion that is not done.
function M.new() end

--- A completion object; `tostring` gives `"completion (done)"` or
-- `"completion (not done)"`.
---@class completion
local completion = {}

--- Releases one waiter: the current one, or the next one to come.
-- Completions count: three `complete()` let three waits through. Never sleeps.
function completion:complete() end

--- Releases every current and later waiter, until `reinit`. Never sleeps.
function completion:completeall() end

--- Makes the completion not done again, dropping pending completions. Never sleeps.
function completion:reinit() end

--- Waits until completed, consuming one completion.
-- An interrupted or timed-out wait consumes nothing.
---@param timeout integer? Milliseconds; absent, `nil` or negative: no timeout; 0: poll.
---@return true|nil ok `true` once completed.
---@return nil|"timeout"|"interrupt"|"closed" why Set when `ok` is `nil`.
function completion:wait(timeout) end

--- Consumes one completion if there is one. Never sleeps.
---@return boolean taken Whether one was consumed.
function completion:trywait() end

--- Whether a wait would succeed now; consumes nothing. Never sleeps.
---@return boolean done
function completion:done() end

--- Closes the completion: every thread waiting on it wakes with `nil, "closed"`, and
-- every later call on it raises "completion expected, got closed completion". Lunatik's generic
-- `close` of any class (a fifo's `close`, for one) does the same. Also `__close`, for
-- `local x <close> = completion.new()`. Never sleeps.
function completion:close() end

return M
