-- A thread asked to stop: every wait that would sleep returns nil, "interrupt" at once;
-- what needs no sleep still succeeds; nothing is consumed by an interrupted wait.
local env = ...
local tap = require("luasync_tap")
local t = tap.new()
local completion = require("completion")
local mutex = require("mutex")
local semaphore = require("semaphore")

if not env.interrupt then
	t:skip("waits of a thread asked to stop", "only the userspace harness can stop its own thread")
	t:done()
	return
end

local c, s = completion.new(), semaphore.new(0)
env.interrupt()
t:shape("wait() of a stopped thread returns nil, \"interrupt\"", {n = 2, nil, "interrupt"}, c:wait())
t:shape("wait(1000) of a stopped thread returns nil, \"interrupt\"", {n = 2, nil, "interrupt"}, c:wait(1000))
t:shape("down() of a stopped thread returns nil, \"interrupt\"", {n = 2, nil, "interrupt"}, s:down())
t:shape("down(-1) of a stopped thread returns nil, \"interrupt\"", {n = 2, nil, "interrupt"}, s:down(-1))
-- The kernel's order: what is waited for first, then the stop, then the timeout.
t:shape("wait(0) of a stopped thread returns nil, \"interrupt\"", {n = 2, nil, "interrupt"}, c:wait(0))
t:shape("down(0) of a stopped thread returns nil, \"interrupt\"", {n = 2, nil, "interrupt"}, s:down(0))
c:complete()
t:shape("wait(0) of a done completion in a stopped thread returns true", {n = 1, true}, c:wait(0))
c:complete()
s:up()
t:shape("wait() that needs no sleep succeeds in a stopped thread", {n = 1, true}, c:wait())
t:shape("down() that needs no sleep succeeds in a stopped thread", {n = 1, true}, s:down())
local m = mutex.new()
t:shape("lock() of a free mutex succeeds in a stopped thread", {n = 1, true}, m:lock())
m:unlock()
t:is(c:done(), false, "the interrupted waits consumed nothing extra")
t:is(s:count(), 0, "the interrupted downs consumed nothing extra")
env.clearinterrupt()
c:complete()
t:is(c:wait(), true, "after the flag is cleared, waits sleep again")

t:done()
