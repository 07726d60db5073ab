-- SPDX-License-Identifier: GPL-2.0

--- Mutexes: sleeping locks owned by a Lunatik runtime.
-- The owner is the runtime that locked the mutex (every coroutine of one
-- runtime is the same owner), not a task: a runtime may lock in one call and
-- unlock in a later one. A mutex stays held if its runtime ends without
-- unlocking it: prefer `mutex:scope`, which cannot forget.
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

--- Locks the mutex, waiting for it if needed.
-- A recursive mutex this runtime holds is held one level deeper.
-- @raise `"mutex: lock: deadlock (this runtime already holds it)"` for a
-- non-recursive mutex this runtime holds, instead of hanging.
---@param timeout integer? Milliseconds; absent, `nil` or negative: no timeout; 0: poll.
---@return true|nil ok `true` once locked.
---@return nil|"timeout"|"interrupt"|"closed" why Set when `ok` is `nil`.
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
-- (or `closed`) or the deadlock error of `lock` before calling `f`;
-- `"mutex: scope: the mutex was unlocked inside the scope"` if `f` unlocked it.
---@param f function
---@param ... any Arguments for `f`.
---@return any ... `f`'s results.
function mutex:scope(f, ...) end

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
