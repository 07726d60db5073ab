-- SPDX-License-Identifier: GPL-2.0

--- Mutexes: sleeping locks owned by a Lunatik runtime.
-- The owner is the runtime that locked the mutex (every coroutine of one
-- runtime is the same owner), not a task: a runtime may lock in one call and
-- unlock in a later one. A mutex stays held if its runtime ends without
-- unlocking it: prefer `mutex:scope`, which cannot forget.
--
-- Deadlocks. Locking again a non-recursive mutex this runtime holds raises "deadlock".
-- A lock that would sleep for a mutex (or an rwsem's write lock) whose holder sleeps for
-- a lock this runtime holds, directly or along a chain of runtimes, does not sleep: it
-- returns `nil, "deadlock"` and a description of the cycle, for example
-- `"runtime 3 waits for mutex 7 held by runtime 4, which waits for mutex 5 held by
-- runtime 3"`; `scope` raises it. Runtimes are named by `mutex.runtime()`, locks by
-- their `id()`. The chain is followed for at most 12 links (longer cycles are not seen),
-- and only through locks that have one holder: a cycle through a completion, a
-- semaphore, a channel, a read lock or a condition is not detected. See
-- Documentation/deadlock.rst.
-- @usage
-- -- a counter shared by several threads
-- local mutex = require("mutex")
-- local lock = mutex.new()
-- shared.lock = lock -- give it to the other runtimes
--
-- -- in each thread:
-- local total = lock:scope(function(n)
-- 	local value = (shared.total or 0) + n
-- 	shared.total = value
-- 	return value
-- end, 1)
---@meta mutex

local M = {}

--- Creates a mutex.
---@param recursive boolean? Whether its owner may lock it again (default `false`).
---@return mutex m An unlocked mutex.
function M.new(recursive) end

--- A mutex object. `tostring(m)` is `"mutex (unlocked)"` or `"mutex (locked)"`,
-- with `", recursive"` for a recursive mutex.
---@class mutex
local mutex = {}

--- The number of the calling runtime, as deadlock reports name it (`"runtime 3"`): the
-- same for every coroutine of the runtime, never given to another runtime.
---@return integer number
function M.runtime() end

--- Locks the mutex, waiting for it if needed.
-- A recursive mutex this runtime holds is held one level deeper.
-- @raise `"mutex: lock: deadlock (this runtime already holds it)"` for a
-- non-recursive mutex this runtime holds, instead of hanging.
---@param timeout integer? Milliseconds; absent, `nil` or negative: no timeout; 0: poll.
---@return true|nil ok `true` once locked.
---@return nil|"timeout"|"interrupt"|"closed"|"deadlock" why Set when `ok` is `nil`;
-- `"deadlock"`: sleeping would have closed a cycle of waits between runtimes.
---@return nil|string cycle With `"deadlock"`: the runtimes and locks of the cycle.
function mutex:lock(timeout) end

--- Locks the mutex if that needs no wait. Never sleeps.
---@return boolean locked Whether it locked (`false` also when this runtime holds
-- a non-recursive mutex already).
function mutex:trylock() end

--- Releases one level of this runtime's hold; the last one frees the mutex
-- and wakes one waiter. Never sleeps.
-- @raise `"mutex: unlock: not the owner (another runtime holds it)"` or
-- `"mutex: unlock: not locked"`.
function mutex:unlock() end

--- Calls `f(...)` holding the mutex: locks (no timeout), calls `f` in protected
-- mode, unlocks in every case. The mutex is held for the call, so it is
-- unlocked even if `f` collects its own value of it.
-- @raise `f`'s error value, unchanged; `"mutex: scope: lock failed (interrupt)"`
-- (or `closed`), the deadlock error of `lock`, or `"mutex: scope: deadlock (...)"`
-- with the cycle, before calling `f`;
-- `"mutex: scope: the mutex was unlocked inside the scope"` if `f` unlocked it.
---@param f function
---@param ... any Arguments for `f`.
---@return any ... `f`'s results.
function mutex:scope(f, ...) end

--- The mutex's number, as deadlock reports name it (`"mutex 7"`).
---@return integer id
function mutex:id() end

--- Whether any runtime holds the mutex. Never sleeps.
---@return boolean locked
function mutex:locked() end

--- Whether this runtime holds the mutex. Never sleeps.
---@return boolean owned
function mutex:owned() end

--- Closes the mutex: every thread waiting on it wakes with `nil, "closed"`, and
-- every later call on it raises "mutex expected, got closed mutex". Lunatik's generic
-- `close` of any class (a fifo's `close`, for one) does the same. Also `__close`, for
-- `local x <close> = mutex.new()`. Never sleeps.
function mutex:close() end

return M
