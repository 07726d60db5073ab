-- Worker roles of the kernel-only cases (tests/lunatik/*.lua), found by
-- worker.lua after those of tests/lua/lib/luasync_workers.lua (and, at the end
-- of this file, the way to the roles of other suites). A wait that is not what
-- the case is about is bounded, so a bug ends the role with an error instead
-- of a hang; the infinite waits of blockin end by thread:stop(), and those of
-- call only run where they must raise or need not sleep. Every runtime that
-- opened a luasync library holds the module (see lifetime.lua).

local roles = {}

-- Long enough for any handoff, short enough to end within the file's timeout.
local BOUND = 10000

local function shown(...)
	local n = select("#", ...)
	local parts = {}
	for i = 1, n do
		parts[i] = tostring((select(i, ...)))
	end
	return table.concat(parts, ",")
end

-- Producer of producer/consumer: items 1..n as "item<i>" = 7 * i, one up each.
function roles.producer(env)
	local items, n = env.fetch("items"), env.fetch("n")
	for i = 1, n do
		env.share("item" .. i, i * 7)
		items:up()
	end
end

-- The pinging side of the completion handshake with luasync_workers' ponger.
function roles.pinger(env)
	local ping, pong = env.fetch("ping"), env.fetch("pong")
	local answered = 0
	for i = 1, env.fetch("rounds") do
		env.share("turn", i)
		ping:complete()
		assert(pong:wait(BOUND) == true, "no pong in round " .. i)
		if env.fetch("turn") == -i then
			answered = answered + 1
		end
	end
	env.share("ping_answered", answered)
end

-- Mutex handoff, first side: holds "m" until "release", says when it lets go.
function roles.giver(env)
	local m, locked, release = env.fetch("m"), env.fetch("locked"), env.fetch("release")
	assert(m:lock(BOUND) == true, "giver: lock failed")
	env.share("giver_holds", true)
	locked:complete()
	assert(release:wait(BOUND) == true, "giver: no release")
	env.share("giver_holds", false)
	m:unlock()
end

-- Mutex handoff, second side: finds "m" held, then sleeps in lock() until the
-- giver lets go.
function roles.taker(env)
	local m, locked, tried = env.fetch("m"), env.fetch("locked"), env.fetch("tried")
	assert(locked:wait(BOUND) == true, "taker: the giver never locked")
	env.share("taker_trylock", m:trylock())
	tried:complete()
	local ok = m:lock(BOUND)
	env.share("taker_saw_free", env.fetch("giver_holds") == false)
	env.share("taker_locked", ok == true)
	if ok then
		m:unlock()
	end
end

-- Once "take" is completed, takes the object "kept" and completes "holding";
-- once "dropnow" is completed, uses the object, drops it, collects its garbage
-- and completes "gone".
function roles.keeper(env)
	-- This runtime's own hold on the module exists before the count is taken.
	require("semaphore")
	env.fetch("opened"):complete()
	local take, holding = env.fetch("take"), env.fetch("holding")
	local dropnow, gone = env.fetch("dropnow"), env.fetch("gone")
	assert(take:wait(BOUND) == true, "keeper: never told to take")
	local kept = env.fetch("kept")
	holding:complete()
	assert(dropnow:wait(BOUND) == true, "keeper: never told to drop")
	kept:up()
	env.share("kept_count", kept:count())
	kept = nil -- luacheck: ignore 311 (the collector must find it unreferenced here)
	collectgarbage()
	collectgarbage()
	gone:complete()
end

-- Says "ready", then sleeps in the infinite (or long) call named by "op"; then
-- waits once more on "never". Shares both results as "first" and "again".
function roles.blockin(env)
	local op = env.fetch("op")
	local c, m, s = env.fetch("c"), env.fetch("m"), env.fetch("s")
	local never = env.fetch("never")
	env.fetch("ready"):complete()
	local first
	if op == "wait" then
		first = shown(c:wait())
	elseif op == "waitlong" then
		first = shown(c:wait(60000))
	elseif op == "lock" then
		first = shown(m:lock())
	elseif op == "scope" then
		first = shown(pcall(m.scope, m, function() end))
	elseif op == "down" then
		first = shown(s:down())
	else
		error("blockin: unknown op " .. tostring(op))
	end
	env.share("first", first)
	env.share("again", shown(never:wait(BOUND)))
end

-- Makes the one call named by "op" on "c", "m" or "s" with the timeout stored
-- as "timeout" (absent: none) and shares what it returned as "result".
function roles.call(env)
	local op, timeout = env.fetch("op"), env.fetch("timeout")
	local result
	if op == "wait" then
		result = shown(env.fetch("c"):wait(timeout))
	elseif op == "lock" then
		result = shown(env.fetch("m"):lock(timeout))
	elseif op == "down" then
		result = shown(env.fetch("s"):down(timeout))
	elseif op == "cvwait" then
		-- Holding "m", as a wait must; given back whatever the wait does.
		local cv, m = env.fetch("cv"), env.fetch("m")
		assert(m:trylock(), "call: cvwait: the mutex is not free")
		local returned = table.pack(pcall(cv.wait, cv, m, timeout))
		if m:owned() then
			m:unlock()
		end
		if not returned[1] then
			error(returned[2], 0)
		end
		result = shown(table.unpack(returned, 2, returned.n))
	elseif op == "read" or op == "write" then
		local r = env.fetch("r")
		result = shown(r[op](r, timeout))
	elseif op == "readscope" or op == "writescope" then
		local r = env.fetch("r")
		result = shown(r[op](r, function() return "inside" end))
	else
		error("call: unknown op " .. tostring(op))
	end
	env.share("result", result)
end

-- What never sleeps, for a runtime that must not sleep: complete, wait(0),
-- up, trydown, trylock, owned, unlock.
function roles.nosleep(env)
	local c, m, s = env.fetch("c"), env.fetch("m"), env.fetch("s")
	c:complete()
	env.share("nosleep_poll", shown(c:wait(0)))
	c:complete()
	s:up(2)
	env.share("nosleep_trydown", s:trydown())
	env.share("nosleep_trylock", m:trylock())
	env.share("nosleep_owned", m:owned())
	m:unlock()
end

-- What never sleeps of condition "cv" and rwsem "r", for a runtime that must not sleep:
-- signal, broadcast, read(0), tryread, reading, unread, trywrite, writing, unwrite.
-- Shares what they returned as "nosleep_rw", one string.
function roles.nosleeprw(env)
	local cv, r = env.fetch("cv"), env.fetch("r")
	local got = {}
	local function note(...)
		got[#got + 1] = shown(...)
	end
	note(cv:signal())
	note(cv:broadcast())
	note(r:read(0))
	note(r:tryread())
	note(r:reading())
	note(r:unread())
	note(r:unread())
	note(r:trywrite())
	note(r:writing())
	note(r:unwrite())
	env.share("nosleep_rw", table.concat(got, ";"))
end

-- Runs the Lua source stored as "src" (a chunk) and shares how it ended as
-- "result": "true" and its results, or "false" and its error, comma-separated.
function roles.source(env)
	local chunk = assert(load(env.fetch("src"), "=src", "t"))
	env.share("result", shown(pcall(chunk)))
end

-- A role named "SUITE.MODULE.FUNCTION" is another suite's: FUNCTION of the
-- Lua module luasync.SUITE.MODULE (tests/SUITE/MODULE.lua), loaded only when
-- such a role is asked for.
setmetatable(roles, {__index = function(_, role)
	local module, name = string.match(role, "^([%w_]+%.[%w_]+)%.([%w_]+)$")
	if module ~= nil then
		return require("luasync." .. module)[name]
	end
end})

return roles
