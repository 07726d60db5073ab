-- Deadlock detection: a lock whose wait would close a cycle of waits between runtimes
-- returns nil, "deadlock" and the cycle instead of sleeping (a scope raises it); the
-- runtimes and locks are named by mutex.runtime() and id(). ABBA, a ring of three, a
-- cycle through an rwsem's write side, a condition taking its mutex back, and ordered
-- locking under contention, which must never be reported.
---@diagnostic disable: param-type-mismatch (bad input on purpose)
local env = ...
local tap = require("luasync_tap")
local t = tap.new()
local mutex = require("mutex")
local rwsem = require("rwsem")
local condition = require("condition")
local completion = require("completion")
local channel = require("channel")

-- names
local me = mutex.runtime()
t:ok(type(me) == "number" and me > 0, "mutex.runtime() is a positive number")
t:is(coroutine.wrap(function() return mutex.runtime() end)(), me, "a coroutine has its runtime's number")
local a, b = mutex.new(), mutex.new()
t:ok(a:id() > 0 and a:id() ~= b:id(), "mutexes have distinct positive ids")
t:is(a:id(), a:id(), "a mutex's id is stable")
t:raises(function() a.id(completion.new()) end, "bad argument #1 to 'id' (mutex expected, got completion)",
	"id() rejects another class as self")

-- a relock by the owner stays the error it is
a:lock()
t:raises(function() a:lock() end, "mutex: lock: deadlock (this runtime already holds it)",
	"lock() of a mutex this runtime holds still raises")
a:unlock()

if not env.spawn then
	t:skip("cycles of waits between runtimes", "env.spawn is not provided")
	t:done()
	return
end

-- The description of a cycle: runtime w waits for lock 1 held by holder 1, which waits
-- for lock 2 held by holder 2, ...
local function cycle(w, ...)
	local links = {...}
	local text = "runtime " .. w
	for i = 1, #links, 2 do
		text = text .. (i > 1 and ", which" or "") .. " waits for " .. links[i] .. " held by runtime " .. links[i + 1]
	end
	return text
end

local function name(lock, kind)
	return (kind or "mutex") .. " " .. lock:id()
end

local reports, jobs = channel.new(16), channel.new(16)
env.share("reports", reports)
env.share("jobs", jobs)

-- Receives n reports, by name.
local function collect(n)
	local got = {}
	for _ = 1, n do
		local report = reports:receive(30000)
		if report then got[report.name] = report end
	end
	return got
end

local function shown(report)
	if report == nil then return "(no report)" end
	return tostring(report.ok) .. "," .. tostring(report.why) .. "," .. tostring(report.cycle)
end

-- ABBA: two runtimes each hold one mutex and, released together, lock the other's:
-- exactly one is told, gives its mutex back, and the other then gets it.
for round = 1, 5 do
	local m1, m2, locked, go = mutex.new(), mutex.new(), completion.new(), completion.new()
	jobs:send({name = "A", held = m1, wanted = m2, locked = locked, go = go})
	local ha = env.spawn("crosser")
	jobs:send({name = "B", held = m2, wanted = m1, locked = locked, go = go})
	local hb = env.spawn("crosser")
	local both = locked:wait(10000) and locked:wait(10000)
	go:completeall()
	local ok = ha:join() and hb:join()
	local got = collect(2)
	local ra, rb = got.A, got.B
	local where = "ABBA round " .. round .. ": "
	t:ok(both and ok, where .. "both runtimes locked, and ended")
	-- Who was told, who got the lock, and the mutexes the one told held and wanted.
	local pair
	if ra and rb and ra.why == "deadlock" and rb.ok == true then
		pair = {told = ra, other = rb, held = m1, wanted = m2}
	elseif ra and rb and rb.why == "deadlock" and ra.ok == true then
		pair = {told = rb, other = ra, held = m2, wanted = m1}
	end
	t:ok(pair ~= nil, where .. "exactly one runtime was told \"deadlock\", the other got the lock",
		"A: " .. shown(ra) .. "; B: " .. shown(rb))
	if pair then
		local told, other = pair.told, pair.other
		t:is(told.cycle, cycle(told.runtime, name(pair.wanted), other.runtime, name(pair.held), told.runtime),
			where .. "the cycle names both runtimes and both mutexes")
		if round == 1 then
			print("# ABBA: runtime " .. tostring(got.A.runtime) .. " (A) returned " .. shown(got.A))
			print("# ABBA: runtime " .. tostring(got.B.runtime) .. " (B) returned " .. shown(got.B))
		end
	else
		t:ok(false, where .. "the cycle names both runtimes and both mutexes", "no cycle to check")
	end
	t:ok(not m1:locked() and not m2:locked(), where .. "both mutexes are free at the end")
end

-- A ring of three: two workers wait in a chain ending at this runtime, which closes it.
do
	local m1, m2, m3 = mutex.new(), mutex.new(), mutex.new()
	local locked = completion.new()
	m3:lock()
	jobs:send({name = "W2", held = m2, heldmode = "lock", wanted = m3, wantedmode = "lock", locked = locked})
	local h2 = env.spawn("chain")
	t:is(locked:wait(10000), true, "ring: the second runtime holds its mutex")
	t:ok(h2:waitblocked(), "ring: the second runtime sleeps for this runtime's mutex")
	jobs:send({name = "W1", held = m1, heldmode = "lock", wanted = m2, wantedmode = "lock", locked = locked})
	local h1 = env.spawn("chain")
	t:is(locked:wait(10000), true, "ring: the first runtime holds its mutex")
	t:ok(h1:waitblocked(), "ring: the first runtime sleeps for the second's")
	local scoped, err = pcall(m1.scope, m1, function() end)
	local ok, why, text = m1:lock(10000)
	t:is(ok, nil, "ring: lock() of the mutex the chain starts from returns nil")
	t:is(why, "deadlock", "ring: and \"deadlock\"")
	m3:unlock()
	t:ok(h1:join() and h2:join(), "ring: the chain ends once this runtime gave its mutex back")
	local got = collect(2)
	local r1, r2 = got.W1 or {}, got.W2 or {}
	t:ok(r1.ok == true and r2.ok == true, "ring: both runtimes of the chain got their mutex",
		shown(got.W1) .. "; " .. shown(got.W2))
	local want = cycle(me, name(m1), r1.runtime, name(m2), r2.runtime, name(m3), me)
	t:is(text, want, "ring: the cycle names the three runtimes and the three mutexes")
	print("# ring of three: " .. tostring(text))
	t:ok(not scoped and string.find(tostring(err), "mutex: scope: deadlock (" .. want .. ")", 1, true) ~= nil,
		"ring: scope() raises \"mutex: scope: deadlock\" and the cycle", tostring(err))
	t:ok(not m1:locked() and not m2:locked() and not m3:locked(), "ring: the mutexes are free at the end")
end

-- Through an rwsem's write side: another runtime writes it and waits for this runtime's
-- mutex; this runtime asking to write or read it is told, and so is its writescope.
do
	local rw, m, locked = rwsem.new(), mutex.new(), completion.new()
	m:lock()
	jobs:send({name = "W", held = rw, heldmode = "write", wanted = m, wantedmode = "lock", locked = locked})
	local h = env.spawn("chain")
	t:is(locked:wait(10000), true, "rwsem: the other runtime writes the rwsem")
	t:ok(h:waitblocked(), "rwsem: it sleeps for this runtime's mutex")
	local wok, wwhy, wtext = rw:write(10000)
	local rok, rwhy, rtext = rw:read(10000)
	local scoped, err = pcall(rw.writescope, rw, function() end)
	m:unlock()
	t:ok(h:join(), "rwsem: the other runtime ends once the mutex is free")
	local w = collect(1).W or {}
	t:is(w.ok, true, "rwsem: it got the mutex")
	local want = cycle(me, name(rw, "rwsem"), w.runtime, name(m), me)
	t:ok(wok == nil and wwhy == "deadlock" and wtext == want, "rwsem: write() returns nil, \"deadlock\" and the cycle",
		tostring(wok) .. "," .. tostring(wwhy) .. "," .. tostring(wtext))
	print("# rwsem: " .. tostring(wtext))
	t:ok(rok == nil and rwhy == "deadlock" and rtext == want, "rwsem: read() returns nil, \"deadlock\" and the cycle",
		tostring(rok) .. "," .. tostring(rwhy) .. "," .. tostring(rtext))
	t:ok(not scoped and string.find(tostring(err), "rwsem: writescope: deadlock (" .. want .. ")", 1, true) ~= nil,
		"rwsem: writescope() raises \"rwsem: writescope: deadlock\" and the cycle", tostring(err))
	t:is(tostring(rw), "rwsem (unlocked)", "rwsem: free at the end")
end

-- A condition's waiter takes its mutex back while holding another that this runtime asks
-- for: whichever of the two waits second is told.
do
	local cv, m, x, locked = condition.new(), mutex.new(), mutex.new(), completion.new()
	jobs:send({name = "C", cv = cv, m = m, x = x, locked = locked})
	local h = env.spawn("cvcross")
	t:is(locked:wait(10000), true, "condition: the waiter holds both mutexes")
	t:is(m:lock(10000), true, "condition: its mutex is free once it waits")
	cv:signal()
	local ok, why, text = x:lock(10000)
	if ok then
		x:unlock()
	else
		m:unlock()
	end
	if m:owned() then
		m:unlock()
	end
	t:ok(h:join(), "condition: the waiter ends")
	local c = collect(1).C or {}
	local mine = ok == nil and why == "deadlock" and c.ok == true
	local its = ok == true and c.ok == nil and c.why == "deadlock"
	t:ok(mine or its, "condition: exactly one side was told \"deadlock\"",
		"this runtime: " .. tostring(ok) .. "," .. tostring(why) .. "; the waiter: " .. shown(c))
	if mine then
		t:is(text, cycle(me, name(x), c.runtime, name(m), me), "condition: the cycle (told here)")
	elseif its then
		t:is(c.cycle, cycle(c.runtime, name(m), me, name(x), c.runtime), "condition: the cycle (told to the waiter)")
	else
		t:ok(false, "condition: the cycle", "no cycle to check")
	end
	t:ok(not m:locked() and not x:locked(), "condition: both mutexes are free at the end")
end

-- Ordered locking under contention is never reported.
do
	local locks = {mutex.new(), mutex.new(), mutex.new()}
	local hs = {}
	for i = 1, 4 do
		jobs:send({name = "O" .. i, locks = locks, n = 150, seed = i * 7919})
		hs[i] = env.spawn("ordered")
	end
	local joined = true
	for i = 1, 4 do
		joined = hs[i]:join() and joined
	end
	local got = collect(4)
	local all = true
	for i = 1, 4 do
		local report = got["O" .. i]
		if not (report and report.ok == true and report.why == 150) then
			all = false
			print("# O" .. i .. ": " .. shown(report))
		end
	end
	t:ok(joined, "ordered: the four runtimes end")
	t:ok(all, "ordered: 4 runtimes x 150 ordered lock sets, never told \"deadlock\"")
	t:ok(not locks[1]:locked() and not locks[2]:locked() and not locks[3]:locked(), "ordered: free at the end")
end

t:done()
