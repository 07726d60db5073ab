-- SPDX-License-Identifier: GPL-2.0

--- Condition variables: wait for a change of shared state, holding a luasync `mutex`, as
-- with POSIX's `pthread_cond_wait`.
--
-- `wait` releases the mutex and sleeps until a `signal` or `broadcast`; it takes the
-- mutex back before it returns. The waiter is queued on the condition before the mutex is
-- released, so a signal sent by a runtime that took the mutex after that release always
-- reaches it. A signal sent when nobody waits is not kept: always wait in a loop that
-- re-checks the state, under the mutex, as below.
--
-- Whether the mutex is held again when `wait` returns:
--
-- - `true`, `nil, "timeout"`: held, as deep as before (every level of a recursive mutex
--   is released during the wait and restored);
-- - `nil, "closed"`: held if the condition was closed; if the mutex itself was closed,
--   nobody holds it any more (its methods raise);
-- - `nil, "interrupt"`: not held. The thread was asked to stop (or a signal is pending):
--   it must return, so the mutex is not waited for. Do not unlock it. Inside `m:scope`,
--   the scope then raises "mutex: scope: the mutex was unlocked inside the scope";
-- - `nil, "deadlock", cycle`: not held: taking the mutex back would have closed a cycle
--   of waits between runtimes (see the `mutex` page).
--
-- Taking the mutex back has no timeout (the timeout bounds the wait for a signal), and is
-- interrupted by a stop like any wait.
-- @usage
-- -- a queue of jobs shared by threads (shared through lunatik._ENV)
-- local condition = require("condition")
-- local mutex = require("mutex")
-- local lock, nonempty = mutex.new(), condition.new()
-- -- consumer thread:
-- lock:lock()
-- while #jobs == 0 do
-- 	local ok, why = nonempty:wait(lock)
-- 	if not ok and why ~= "timeout" then return end  -- stopped: lock not held
-- end
-- local job = table.remove(jobs, 1)
-- lock:unlock()
-- -- producer:
-- lock:scope(function() jobs[#jobs + 1] = job; nonempty:signal() end)
---@meta condition

local M = {}

--- Creates a condition nobody waits on.
---@return condition cv A condition.
function M.new() end

--- A condition object. `tostring(cv)` is, for example, `"condition (2 waiting)"`.
---@class condition
local condition = {}

--- Releases `m`, which this runtime must hold, waits for a signal, and takes `m` back
-- (see above for when it is held again). May sleep even with a timeout of 0 (taking the
-- mutex back), so it raises in softirq and hardirq runtimes.
-- @raise `"condition: wait: the mutex is not held by this runtime"`, or
-- `"condition: wait: cannot sleep in a softirq runtime"` (or hardirq).
---@param m mutex A mutex this runtime holds.
---@param timeout integer? Milliseconds for the signal; absent, `nil` or negative: no
-- timeout; 0: do not wait for one.
---@return true|nil ok `true` when signalled.
---@return nil|"timeout"|"interrupt"|"closed"|"deadlock" why Set when `ok` is `nil`.
---@return nil|string cycle With `"deadlock"`: the runtimes and locks of the cycle.
function condition:wait(m, timeout) end

--- Wakes the oldest waiter, if any. Never sleeps: works in every runtime.
function condition:signal() end

--- Wakes every waiter. Never sleeps: works in every runtime.
function condition:broadcast() end

--- Closes the condition: every waiter wakes with `nil, "closed"` (and its mutex held
-- again), and every later call on it raises. Also `__close`. Never sleeps.
function condition:close() end

return M
