-- Bodies of the worker threads of the contract suite, by role: env.spawn(role) runs
-- roles[role](env) in a new runtime on its own thread. Workers get their objects and
-- report their results through env.share/env.fetch; an error raised here is what the
-- handle's join() returns.

local roles = {}

-- Consumer of producer/consumer: takes "n" items announced on semaphore "items".
function roles.consumer(env)
	local items = env.fetch("items")
	local n = env.fetch("n")
	local inorder = 0
	for i = 1, n do
		assert(items:down() == true, "down failed")
		if env.fetch("item" .. i) == i * 7 then
			inorder = inorder + 1
		end
	end
	env.share("consumed_in_order", inorder)
end

-- Other side of the completion handshake: waits for "ping", answers on "pong".
function roles.ponger(env)
	local ping, pong = env.fetch("ping"), env.fetch("pong")
	local rounds = env.fetch("rounds")
	local seen = 0
	for i = 1, rounds do
		assert(ping:wait() == true, "ping wait failed")
		if env.fetch("turn") == i then
			seen = seen + 1
		end
		env.share("turn", -i)
		pong:complete()
	end
	env.share("pong_seen", seen)
end

-- One of the threads incrementing "counter" under mutex "m", checking that nobody else
-- is inside at the same time.
local function count(env, use_scope)
	local m = env.fetch("m")
	local n = env.fetch("n")
	local function critical()
		if env.fetch("inside") then
			env.share("overlap", true)
		end
		env.share("inside", true)
		local v = env.fetch("counter")
		env.yield()
		env.share("counter", v + 1)
		env.share("inside", false)
	end
	for _ = 1, n do
		if use_scope then
			m:scope(critical)
		else
			assert(m:lock() == true, "lock failed")
			assert(m:owned(), "locked but not owned")
			critical()
			m:unlock()
		end
	end
end

function roles.counter(env)
	count(env, false)
end

function roles.scopecounter(env)
	count(env, true)
end

-- Holds mutex "m" until completion "release" is completed.
function roles.holder(env)
	local m = env.fetch("m")
	local locked, release = env.fetch("locked"), env.fetch("release")
	assert(m:lock() == true)
	locked:complete()
	assert(release:wait() == true)
	m:unlock()
	env.share("holder_unlocked", true)
end

-- Blocks forever in one blocking call and reports how it returned, as "blocked".
local function report(env, ...)
	local results = {...}
	env.share("blocked", tostring(results[1]) .. "," .. tostring(results[2]))
end

function roles.waitforever(env)
	report(env, env.fetch("c"):wait())
end

function roles.lockforever(env)
	report(env, env.fetch("m"):lock())
end

function roles.downforever(env)
	report(env, env.fetch("s"):down())
end

function roles.scopeforever(env)
	local ok, err = pcall(env.fetch("m").scope, env.fetch("m"), function() end)
	env.share("blocked", tostring(ok) .. "," .. tostring(err))
end

-- Waits on completion "c" with the timeout stored as "timeout" (absent: none).
function roles.waitwith(env)
	report(env, env.fetch("c"):wait(env.fetch("timeout")))
end

-- Receives "n" messages from the mailbox made of the shared "queue" and "event".
function roles.receiver(env)
	local mailbox = require("luasync_mailbox")
	local inbox = mailbox.new(env.fetch("queue"), env.fetch("event"))
	local got = {}
	for i = 1, env.fetch("n") do
		got[i] = inbox:receive()
	end
	env.share("received", table.concat(got, ","))
end

-- Creates objects, shares them and ends: they must outlive this runtime.
function roles.maker(env)
	local semaphore = require("semaphore")
	local completion = require("completion")
	env.share("made", semaphore.new(42))
	local c = completion.new()
	c:complete()
	env.share("madecompletion", c)
end

return roles
