-- SPDX-License-Identifier: GPL-2.0

--- Reader-writer semaphores: any number of runtimes may hold one for reading at once, or
-- one runtime for writing. As a mutex's owner, the holders are runtimes (every coroutine
-- of one runtime is the same holder), not tasks.
--
-- Who waits for whom, so that neither side starves:
--
-- - a runtime waiting to write makes new readers wait: a stream of readers cannot keep a
--   writer out;
-- - when a writer gives the rwsem back, the readers waiting at that moment go in before
--   the next writer: a stream of writers cannot keep readers out;
-- - a runtime that holds a read lock gets another at once, even with a writer waiting
--   (it would otherwise wait for a writer that waits for it);
-- - the writer may read too: the read lock is counted, and after `unwrite` the runtime
--   still reads (a downgrade);
-- - asking to write while holding a read lock or the write lock raises "deadlock": that
--   wait would never end.
--
-- Read locks are counted per runtime: `reading()` says how many this one holds, and
-- `unread` raises in a runtime that holds none. A write that would sleep in a cycle of
-- waits between runtimes returns `nil, "deadlock"` and the cycle (see the `mutex` page);
-- so does a read waiting for a writer. An rwsem stays held if its runtime ends without
-- giving it back: prefer the scopes.
-- @usage
-- -- a table read by many threads, rarely updated (shared through lunatik._ENV)
-- local rwsem = require("rwsem")
-- local guard = rwsem.new()
-- local value = guard:readscope(function() return shared.config.value end)
-- guard:writescope(function(v) shared.config = {value = v} end, 42)
---@meta rwsem

local M = {}

--- Creates an rwsem nobody holds.
---@return rwsem r An rwsem.
function M.new() end

--- An rwsem object. `tostring(r)` is `"rwsem (unlocked)"`, `"rwsem (write-locked)"` or,
-- for example, `"rwsem (read-locked by 2 runtimes)"`.
---@class rwsem
local rwsem = {}

--- Takes a read lock, waiting while a runtime writes or waits to write.
---@param timeout integer? Milliseconds; absent, `nil` or negative: no timeout; 0: poll.
---@return true|nil ok `true` once taken.
---@return nil|"timeout"|"interrupt"|"closed"|"deadlock" why Set when `ok` is `nil`.
---@return nil|string cycle With `"deadlock"`: the runtimes and locks of the cycle.
function rwsem:read(timeout) end

--- Takes the write lock, waiting while other runtimes hold the rwsem.
-- @raise `"rwsem: write: deadlock (this runtime already holds a read or the write lock)"`.
---@param timeout integer? Milliseconds; absent, `nil` or negative: no timeout; 0: poll.
---@return true|nil ok `true` once taken.
---@return nil|"timeout"|"interrupt"|"closed"|"deadlock" why Set when `ok` is `nil`.
---@return nil|string cycle With `"deadlock"`: the runtimes and locks of the cycle.
function rwsem:write(timeout) end

--- Takes a read lock if that needs no wait. Never sleeps.
---@return boolean taken
function rwsem:tryread() end

--- Takes the write lock if that needs no wait. Never sleeps.
---@return boolean taken `false` also when this runtime holds a read or the write lock.
function rwsem:trywrite() end

--- Gives back one of this runtime's read locks. Never sleeps.
-- @raise `"rwsem: unread: this runtime holds no read lock"`.
function rwsem:unread() end

--- Gives back this runtime's write lock. Never sleeps.
-- @raise `"rwsem: unwrite: not the writer (another runtime holds the write lock)"` or
-- `"rwsem: unwrite: not write-locked"`.
function rwsem:unwrite() end

--- Calls `f(...)` holding a read lock: takes it (no timeout), calls `f` in protected
-- mode, gives it back in every case.
-- @raise `f`'s error value, unchanged; `"rwsem: readscope: lock failed (interrupt)"` (or
-- `closed`), `"rwsem: readscope: deadlock (...)"` with the cycle, or
-- `"rwsem: readscope: nested too deeply"` before calling `f`;
-- `"rwsem: readscope: the read lock was given back inside the scope"` if `f` did.
---@param f function
---@param ... any Arguments for `f`.
---@return any ... `f`'s results.
function rwsem:readscope(f, ...) end

--- Calls `f(...)` holding the write lock, as `readscope` does with a read lock.
-- @raise as `readscope`, with `writescope`; and the deadlock error of `write`.
---@param f function
---@param ... any Arguments for `f`.
---@return any ... `f`'s results.
function rwsem:writescope(f, ...) end

--- How many read locks this runtime holds. Never sleeps.
---@return integer count
function rwsem:reading() end

--- Whether this runtime holds the write lock. Never sleeps.
---@return boolean writing
function rwsem:writing() end

--- The rwsem's number, as deadlock reports name it (`"rwsem 3"`).
---@return integer id
function rwsem:id() end

--- Closes the rwsem: every thread waiting on it wakes with `nil, "closed"`, and every
-- later call on it raises. Also `__close`. Never sleeps.
function rwsem:close() end

return M
