-- Kernel only: the hostile-input corpus. Each case is a script fragment and
-- its expected outcome: a Lua error whose message contains a given text, the
-- exact values returned, or a check of its own. After every case the runtime
-- must still answer (a completion, mutex and semaphore round trip); a case
-- passes only if both hold. Cases cover wrong selves and arguments of every
-- method, closed and released objects, metamethods called by hand, metatable
-- and user-value tricks (this Lua has `debug`), the registry (class
-- metatables, the runtime's pins and owner number), integer edges, error
-- values and yields across scope, deep recursion and nesting under a lock,
-- many live objects, and objects closed while another kernel thread waits on
-- them. The runner checks the kernel log after the run.
-- Wrong types, missing methods and odd calls on purpose:
---@diagnostic disable: assign-type-mismatch, await-in-sync, call-non-callable, inject-field, need-check-nil
---@diagnostic disable: param-type-mismatch, undefined-field, unnecessary-assert, unresolved-require
---@diagnostic disable: missing-parameter
local env = ...
local tap = require("luasync_tap")
local t = tap.new()
local completion = require("completion")
local mutex = require("mutex")
local semaphore = require("semaphore")

if not (env.kernel and env.spawn and debug and debug.getregistry) then
	t:skip("the hostile-input corpus", "needs env.spawn and the debug library inside Lunatik")
	t:done()
	return
end

local fifo = require("fifo")
local data = require("data")
local rcu = require("rcu")
local thread = require("thread")
local channel = require("channel")
local waitany = require("waitany")
-- The luasync classes this runtime opened, one pin each.
local OPENED = 5
local testlib = require("luasync_testlib")

local MAXINT, MININT = math.maxinteger, math.mininteger
local SEMMAX = 2147483647
local BOUND = 10000 -- ms: a worker reaches or leaves a wait within this

local function collect()
	collectgarbage()
	collectgarbage()
end

-- The module references above `before` once the collector ran and what the
-- kernel drops after a grace period went (the objects a released channel
-- held: its messages are dropped by an RCU callback). Polls for BOUND ms at
-- most; returns how many are left (0: all went).
local function leftover(before)
	local deadline = env.now() + BOUND
	while true do
		collect()
		local left = env.modulerefs() - before
		if left == 0 or env.now() > deadline then
			return left
		end
		env.yield()
	end
end

local function closed(o)
	o:close()
	return o
end

local function released(o)
	getmetatable(o).__gc(o)
	return o
end

-- The classes: a fresh object, and the methods that check their receiver
-- (Lunatik's generic close, __close and __gc are listed apart); mt and index
-- are filled in below.
local classes = {
	{name = "completion", new = function() return completion.new() end,
		methods = {"complete", "completeall", "reinit", "wait", "trywait", "done", "__tostring"}},
	{name = "mutex", new = function() return mutex.new() end,
		methods = {"lock", "trylock", "unlock", "locked", "owned", "scope", "__tostring"}},
	{name = "semaphore", new = function() return semaphore.new(1) end,
		methods = {"down", "trydown", "up", "count", "__tostring"}},
}
local GENERIC = {"close", "__close", "__gc"}
for i, class in ipairs(classes) do
	class.mt = getmetatable(class.new())
	class.index = i
end
local C, M, S = classes[1].mt, classes[2].mt, classes[3].mt

-- t.<method>(...) as a field call, compiled once per name, so that Lua's
-- argument errors name the method ("bad argument #1 to 'wait'").
local callers = {}
local function fieldcall(method)
	local f = callers[method]
	if f == nil then
		f = assert(load("local t = ...; return t." .. method .. "(select(2, ...))", "=" .. method, "t"))
		callers[method] = f
	end
	return f
end

local function call(mt, method, ...)
	return fieldcall(method)(mt, ...)
end

local function badarg(method, class, got)
	return "bad argument #1 to '" .. method .. "' (" .. class .. " expected, got " .. got .. ")"
end

-- Lunatik objects and other values made once, used as wrong receivers.
local runtime, rterr = testlib.runtime("luasync/lua/lib/luasync_tap")
assert(runtime, "a runtime object for the corpus: " .. tostring(rterr))
local lud = debug.getuservalue(completion.new(), 1)
assert(type(lud) == "userdata", "the class user value of an object")

-- The pins: userdata in the registry whose hidden metatable has a __gc.
local function pins()
	local found = {}
	for k, v in pairs(debug.getregistry()) do
		local mt = type(v) == "userdata" and debug.getmetatable(v)
		if mt and rawget(mt, "__metatable") == false and type(rawget(mt, "__gc")) == "function" then
			found[#found + 1] = {key = k, pin = v, gc = rawget(mt, "__gc")}
		end
	end
	return found
end
-- A pin, looked up each time: the corpus keeps no reference to one, so that
-- a pin taken out of the registry is garbage.
local function apin()
	return assert(pins()[1], "a luasync pin in the registry").pin
end

-- Values that are not live objects of a class: each is {label, make, got},
-- got being what the argument error calls the value.
local function others(class)
	local list = {}
	local k = 0
	for _, other in ipairs(classes) do
		if other ~= class then
			k = k + 1
			list[#list + 1] = {"a " .. other.name, other.new, other.name}
			if k == 1 then
				list[#list + 1] = {"a closed " .. other.name, function() return closed(other.new()) end, other.name}
			else
				list[#list + 1] = {"a released " .. other.name, function() return released(other.new()) end, other.name}
			end
		end
	end
	local common = {
		{"a fifo", function() return fifo.new(8) end, "userdata"},
		{"a data object", function() return data.new(8) end, "userdata"},
		{"an rcu table", function() return rcu.table(4) end, "userdata"},
		{"a thread object", function() return thread.current() end, "userdata"},
		{"a runtime object", function() return runtime end, "userdata"},
		{"a luasync pin", apin, "userdata"},
		{"a light userdata", function() return lud end, "userdata"},
		{"a table", function() return {} end, "table"},
		{"a table with the class metatable", function() return setmetatable({}, class.mt) end, "table"},
		{"nil", function() return nil end, "nil"},
		{"0", function() return 0 end, "number"},
		{"math.mininteger", function() return MININT end, "number"},
		{"a string", function() return "completion" end, "string"},
		{"an integer string", function() return "1" end, "string"},
		{"false", function() return false end, "boolean"},
		{"a Lua function", function() return function() end end, "function"},
		{"a luasync C function", function() return class.mt.__tostring end, "function"},
		{"a coroutine", function() return coroutine.create(print) end, "thread"},
	}
	for _, v in ipairs(common) do
		list[#list + 1] = v
	end
	return list
end

-- What must work after every case.
local function alive()
	local c, m, s = completion.new(), mutex.new(), semaphore.new(0)
	c:complete()
	assert(c:wait(0) == true, "completion round trip")
	assert(m:lock(0) == true and m:owned(), "mutex lock")
	m:unlock()
	assert(not m:locked(), "mutex unlock")
	s:up()
	assert(s:down(0) == true and s:count() == 0, "semaphore round trip")
	return true
end

local cases = {}

-- Adds a case: run() must raise an error containing `raises`, or return
-- exactly `returns` (a tap.pack), or satisfy check(ok, ...) -> bool, diag.
local function case(name, spec)
	spec.name = name
	cases[#cases + 1] = spec
end

------------------------------------------------------------------------------
-- Wrong receivers of every method.
------------------------------------------------------------------------------
for _, class in ipairs(classes) do
	for _, method in ipairs(class.methods) do
		for _, bad in ipairs(others(class)) do
			local label, make, got = bad[1], bad[2], bad[3]
			case(class.name .. "." .. method .. "(" .. label .. ")", {
				run = function() return call(class.mt, method, make()) end,
				raises = badarg(method, class.name, got),
			})
		end
		case(class.name .. "." .. method .. "() without a receiver", {
			run = function() return call(class.mt, method) end,
			raises = badarg(method, class.name, "no value"),
		})
	end
end

-- Lunatik's generic close, __close and __gc of each class: anything that is
-- not a Lunatik object is refused.
for _, class in ipairs(classes) do
	for _, fn in ipairs(GENERIC) do
		case(class.name .. "." .. fn .. " of values that are not Lunatik objects raises \"invalid object\"", {
			run = function()
				local refused = 0
				local values = {n = 9, nil, 0, "x", {}, true, print, coroutine.create(print), lud,
					setmetatable({}, class.mt)}
				for i = 1, values.n do
					local ok, err = pcall(class.mt[fn], values[i])
					if not ok and string.find(tostring(err), "invalid object", 1, true) then
						refused = refused + 1
					end
				end
				return refused
			end,
			returns = tap.pack(9),
		})
		-- The pin is a full userdata of luasync's own, smaller than the
		-- pointer Lunatik's object check reads from every userdata.
		case(class.name .. "." .. fn .. "(a luasync pin) raises \"invalid object\"", {
			run = function() return class.mt[fn](apin()) end,
			raises = "invalid object",
		})
	end
end

------------------------------------------------------------------------------
-- Closed and released objects.
------------------------------------------------------------------------------
for _, class in ipairs(classes) do
	for _, state in ipairs({"closed", "released"}) do
		local make = state == "closed" and function() return closed(class.new()) end
			or function() return released(class.new()) end
		for _, method in ipairs(class.methods) do
			if method == "__tostring" then
				case(class.name .. ": __tostring of a " .. state .. " object", {
					run = function() return call(class.mt, method, make()) end,
					returns = tap.pack(class.name .. " (" .. state .. ")"),
				})
			else
				case(class.name .. ":" .. method .. "() of a " .. state .. " object", {
					run = function() return call(class.mt, method, make()) end,
					raises = badarg(method, class.name, state .. " " .. class.name),
				})
			end
		end
		case(class.name .. ": tostring() of a " .. state .. " object", {
			run = function() return tostring(make()) end,
			returns = tap.pack(class.name .. " (" .. state .. ")"),
		})
	end
	local name = class.name
	case(name .. ": close() twice does nothing the second time", {
		run = function()
			local o = closed(class.new())
			return select("#", o:close()), tostring(o)
		end,
		returns = tap.pack(0, name .. " (closed)"),
	})
	case(name .. ": __gc of a closed object releases it", {
		run = function()
			local o = closed(class.new())
			getmetatable(o).__gc(o)
			return tostring(o)
		end,
		returns = tap.pack(name .. " (released)"),
	})
	case(name .. ": __gc twice raises \"invalid object\"", {
		run = function() local o = released(class.new()); return getmetatable(o).__gc(o) end,
		raises = "invalid object",
	})
	case(name .. ": close() of a released object raises \"invalid object\"", {
		run = function() local o = released(class.new()); return getmetatable(o).close(o) end,
		raises = "invalid object",
	})
	case(name .. ": a <close> variable closes it at the end of its block", {
		run = function()
			local kept
			do
				local o <close> = class.new()
				kept = o
			end
			return tostring(kept)
		end,
		returns = tap.pack(name .. " (closed)"),
	})
	case(name .. ": __close called by hand (with an error value) closes it", {
		run = function()
			local o = class.new()
			getmetatable(o).__close(o, "an error")
			return tostring(o)
		end,
		returns = tap.pack(name .. " (closed)"),
	})
	case(name .. ": Lunatik's fifo close() closes it", {
		run = function()
			local o = class.new()
			fifo.new(8).close(o)
			return tostring(o)
		end,
		returns = tap.pack(name .. " (closed)"),
	})
	for _, other in ipairs(classes) do
		if other ~= class then
			case(name .. ": the " .. other.name .. " class's close() closes it", {
				run = function()
					local o = class.new()
					other.mt.close(o)
					return tostring(o)
				end,
				returns = tap.pack(name .. " (closed)"),
			})
			case(name .. ": the " .. other.name .. " class's __gc releases it", {
				run = function()
					local o = class.new()
					other.mt.__gc(o)
					return tostring(o)
				end,
				returns = tap.pack(name .. " (released)"),
			})
		end
	end
end

case("a semaphore closed while counted: its count is gone with it", {
	run = function()
		local s = semaphore.new(5)
		s:close()
		return pcall(s.count, s)
	end,
	check = function(ok, called, err)
		return ok and called == false and string.find(tostring(err), "got closed semaphore", 1, true) ~= nil,
			tostring(err)
	end,
})
case("a mutex closed while this runtime holds it cannot be unlocked any more", {
	run = function()
		local m = mutex.new()
		m:lock()
		m:close()
		return m:unlock()
	end,
	raises = "calling 'unlock' on bad self (mutex expected, got closed mutex)",
})

------------------------------------------------------------------------------
-- Lunatik's objects given to luasync's generic functions.
------------------------------------------------------------------------------
-- (Their own methods are not called: fifo and data methods run under a
-- spinlock in which Lunatik's Lua may allocate, a debug-kernel report of
-- Lunatik's own.)
case("a completion's close() of a fifo returns; closing it again does nothing", {
	run = function()
		local q = fifo.new(8)
		C.close(q)
		return select("#", C.close(q))
	end,
	returns = tap.pack(0),
})
case("a mutex's close() of a data object returns; closing it again does nothing", {
	run = function()
		local d = data.new(8)
		M.close(d)
		return select("#", M.close(d))
	end,
	returns = tap.pack(0),
})
case("a semaphore's close() of a thread object returns", {
	run = function() return S.close(thread.current()) end,
	returns = tap.pack(),
})
case("a completion's close() of an rcu table returns", {
	run = function() return C.close(rcu.table(4)) end,
	returns = tap.pack(),
})
for _, v in ipairs({
	{"a fifo", function() return fifo.new(8) end},
	{"a data object", function() return data.new(8) end},
	{"an rcu table", function() return rcu.table(4) end},
	{"a thread object", function() return thread.current() end},
	{"a runtime object", function()
		local rt, err = testlib.runtime("luasync/lua/lib/luasync_tap")
		return assert(rt, err)
	end},
}) do
	case("a mutex's __gc releases " .. v[1] .. "; releasing it again raises", {
		run = function()
			local o = v[2]()
			M.__gc(o)
			return M.__gc(o)
		end,
		raises = "invalid object",
	})
end

------------------------------------------------------------------------------
-- Metatables, __index and user values.
------------------------------------------------------------------------------

-- Runs f, then undo, whatever f did; returns f's results or re-raises.
local function undoing(f, undo)
	local r = tap.pack(pcall(f))
	undo()
	if not r[1] then
		error(r[2], 0)
	end
	return table.unpack(r, 2, r.n)
end

case("the completion metatable's __index replaced by the mutex one: mutex methods refuse the completion", {
	run = function()
		local c = completion.new()
		C.__index = M
		return undoing(function() return c:lock() end, function() C.__index = C end)
	end,
	raises = "calling 'lock' on bad self (mutex expected, got completion)",
})
case("debug.setmetatable gives a completion the mutex metatable: its methods refuse it", {
	run = function()
		local c = completion.new()
		debug.setmetatable(c, M)
		return undoing(function() return c:locked() end, function() debug.setmetatable(c, C) end)
	end,
	raises = "calling 'locked' on bad self (mutex expected, got completion)",
})
case("debug.setmetatable gives a completion the mutex metatable: tostring refuses it", {
	run = function()
		local c = completion.new()
		debug.setmetatable(c, M)
		return undoing(function() return tostring(c) end, function() debug.setmetatable(c, C) end)
	end,
	raises = "mutex expected, got completion",
})
case("a completion without metatable still works through its class's functions", {
	run = function()
		local c = completion.new()
		debug.setmetatable(c, nil)
		return undoing(function()
			local indexed = pcall(function() return c:done() end)
			C.complete(c)
			return indexed, C.done(c), C.trywait(c), C.done(c)
		end, function() debug.setmetatable(c, C) end)
	end,
	returns = tap.pack(false, true, true, false),
})
case("a fifo given the completion metatable is refused by its methods", {
	run = function()
		local q = fifo.new(8)
		local qmt = debug.getmetatable(q)
		debug.setmetatable(q, C)
		return undoing(function() return q:wait(0) end, function() debug.setmetatable(q, qmt) end)
	end,
	raises = "calling 'wait' on bad self (completion expected, got userdata)",
})
case("numbers given the completion methods as __index: 5:done() is refused", {
	run = function()
		debug.setmetatable(0, {__index = C})
		return undoing(function() return (5):done() end, function() debug.setmetatable(0, nil) end)
	end,
	raises = "calling 'done' on bad self (completion expected, got number)",
})
case("strings given the semaphore methods as __index: (\"3\"):up() is refused", {
	run = function()
		local smt = getmetatable("")
		smt.__index = S
		return undoing(function() return ("3"):up() end, function() smt.__index = string end)
	end,
	raises = "calling 'up' on bad self (semaphore expected, got string)",
})
case("setmetatable() of an object is refused: it is not a table", {
	run = function() return setmetatable(completion.new(), {}) end,
	raises = "bad argument #1 to 'setmetatable' (table expected, got userdata)",
})
case("a table posing as a completion is refused", {
	run = function() return setmetatable({}, C):wait(0) end,
	raises = "calling 'wait' on bad self (completion expected, got table)",
})
case("a completion whose class user value was replaced by a table is still itself", {
	-- luasync finds an object by the Lunatik object its userdata holds, which
	-- a script cannot change; only Lunatik's own methods read the user value.
	run = function()
		local c = completion.new()
		local saved = debug.getuservalue(c, 1)
		debug.setuservalue(c, {}, 1)
		-- Objects made after it most likely take its slot in the module's
		-- lookup cache: it is then found the long way, with the same answer.
		local crowd = {}
		for i = 1, 4096 do
			crowd[i] = completion.new()
		end
		return undoing(function()
			c:complete()
			local refused = not pcall(C.close, c)
			return c:done(), c:trywait(), c:done(), refused, #crowd
		end, function() debug.setuservalue(c, saved, 1) end)
	end,
	returns = tap.pack(true, true, false, true, 4096),
})
case("a closed completion whose class user value was replaced is refused", {
	run = function()
		local c = completion.new()
		local saved = debug.getuservalue(c, 1)
		c:close()
		debug.setuservalue(c, {}, 1)
		return undoing(function() return c:done() end, function() debug.setuservalue(c, saved, 1) end)
	end,
	raises = "calling 'done' on bad self (completion expected, got userdata)",
})
case("a completion whose class user value names the mutex class is refused by mutex methods", {
	run = function()
		local c, m = completion.new(), mutex.new()
		local saved = debug.getuservalue(c, 1)
		debug.setuservalue(c, debug.getuservalue(m, 1), 1)
		-- locked() reads a field inside the completion's block, __tostring
		-- one past it (seen by KASAN on the debug kernel).
		return undoing(function()
			local locked = M.locked(c)
			return locked, M.__tostring(c)
		end, function() debug.setuservalue(c, saved, 1) end)
	end,
	raises = "mutex expected",
})
case("a completion whose class user value names the fifo class is still a completion", {
	run = function()
		local c, q = completion.new(), fifo.new(8)
		local saved = debug.getuservalue(c, 1)
		debug.setuservalue(c, debug.getuservalue(q, 1), 1)
		return undoing(function()
			C.complete(c)
			return C.done(c), tostring(c)
		end, function() debug.setuservalue(c, saved, 1) end)
	end,
	returns = tap.pack(true, "completion (done)"),
})
case("a fifo whose class user value names the completion class is refused by Lunatik's close", {
	run = function()
		local q, c = fifo.new(8), completion.new()
		local saved = debug.getuservalue(q, 1)
		debug.setuservalue(q, debug.getuservalue(c, 1), 1)
		return undoing(function() return C.close(q) end, function() debug.setuservalue(q, saved, 1) end)
	end,
	raises = "invalid object",
})

------------------------------------------------------------------------------
-- The registry.
------------------------------------------------------------------------------
local function registryclasses()
	local found = {}
	for _, v in pairs(debug.getregistry()) do
		for _, class in ipairs(classes) do
			if rawequal(v, class.mt) then
				found[#found + 1] = class
			end
		end
	end
	return found
end

case("the registry holds the three class metatables", {
	run = function() return #registryclasses() end,
	returns = tap.pack(3),
})

-- Every function of a class metatable found in the registry, called with
-- values that are no object of that class, raises.
local function odd()
	return {n = 12, nil, 0, MAXINT, -1, "", "1", {}, true, print, coroutine.create(print), apin(), lud}
end
for _, class in ipairs(classes) do
	local names = {}
	for k, v in pairs(class.mt) do
		if type(v) == "function" then
			names[#names + 1] = k
		end
	end
	table.sort(names)
	for _, fname in ipairs(names) do
		case("registry: " .. class.name .. " metatable's " .. fname .. " with 14 odd arguments raises every time", {
			run = function()
				local f
				for _, found in ipairs(registryclasses()) do
					if found == class then
						f = rawget(class.mt, fname)
					end
				end
				assert(f, "not found through the registry")
				local quiet = {}
				local args = {}
				local values = odd()
				for i = 1, values.n do
					args[#args + 1] = {values[i]}
				end
				args[#args + 1] = {}
				args[#args + 1] = {released(classes[class.index % 3 + 1].new())}
				for i, a in ipairs(args) do
					local ok = pcall(f, table.unpack(a))
					if ok then
						quiet[#quiet + 1] = tostring(i)
					end
				end
				return table.concat(quiet, ",")
			end,
			returns = tap.pack(""),
		})
	end
end

-- Mutex owners are numbered by luasync, out of the scripts' reach: nothing in
-- the registry says which runtime this is, so rewriting it cannot make this
-- runtime pass for another.
case("registry: no owner number a script could rewrite", {
	run = function()
		local numbers = 0
		for k, v in pairs(debug.getregistry()) do
			if type(k) == "userdata" and type(v) == "number" then
				numbers = numbers + 1
			end
		end
		return numbers
	end,
	returns = tap.pack(0),
})
case("registry: every light-userdata entry rewritten: the mutex this runtime holds stays its own", {
	run = function()
		local reg = debug.getregistry()
		local m = mutex.new()
		m:lock()
		local saved = {}
		for k, v in pairs(reg) do
			if type(k) == "userdata" then
				saved[k] = v
			end
		end
		return undoing(function()
			for k in pairs(saved) do
				reg[k] = 12345
			end
			local owned = m:owned()
			m:unlock()
			return owned, m:locked()
		end, function()
			for k, v in pairs(saved) do
				reg[k] = v
			end
		end)
	end,
	returns = tap.pack(true, false),
})

-- Pins: one per class this runtime opened; their __gc drops the module
-- reference only while the runtime's state closes.
case("registry: one pin per luasync class, its metatable hidden", {
	run = function()
		local list = pins()
		local hidden = 0
		for _, p in ipairs(list) do
			if getmetatable(p.pin) == false then
				hidden = hidden + 1
			end
		end
		return #list, hidden
	end,
	returns = tap.pack(OPENED, OPENED),
})
case("registry: every pin's __gc called by hand 1000 times: the module reference count stays", {
	run = function()
		collect()
		local before = env.modulerefs()
		for _, p in ipairs(pins()) do
			for _ = 1, 1000 do
				p.gc(p.pin)
			end
		end
		collect()
		return env.modulerefs() - before, #pins()
	end,
	returns = tap.pack(0, OPENED),
})
case("registry: a pin's __gc with odd arguments and with the other pins: the count stays", {
	run = function()
		collect()
		local before = env.modulerefs()
		local list = pins()
		for _, p in ipairs(list) do
			local values = odd()
			for i = 1, values.n do
				p.gc(values[i])
			end
			p.gc()
			p.gc(completion.new())
			for _, q in ipairs(list) do
				p.gc(q.pin)
			end
		end
		list = nil
		collect()
		return env.modulerefs() - before, #pins()
	end,
	returns = tap.pack(0, OPENED),
})
case("registry: pins removed from the registry and collected put themselves back", {
	run = function()
		collect()
		local before = env.modulerefs()
		local reg = debug.getregistry()
		for _, p in ipairs(pins()) do
			reg[p.key] = nil
		end
		collect()
		collect()
		local back = #pins()
		return env.modulerefs() - before, back
	end,
	returns = tap.pack(0, OPENED),
})
case("after the pin abuse the module is loaded and each class still makes working objects", {
	run = function()
		local c, m, s = completion.new(), mutex.new(true), semaphore.new(2)
		c:completeall()
		m:lock()
		m:lock()
		m:unlock()
		m:unlock()
		return c:wait(), c:wait(0), s:down(0), s:count(), m:locked(),
			testlib.read("/sys/module/luasync/initstate")
	end,
	returns = tap.pack(true, true, true, 1, false, "live\n"),
})

------------------------------------------------------------------------------
-- Integer arguments: edges, integer strings, and what is not an integer.
------------------------------------------------------------------------------
local function donec()
	local c = completion.new()
	c:completeall()
	return c
end

-- Timeouts on a completion that is done, a free mutex, a counted semaphore:
-- no call sleeps, whatever the timeout says.
local TIMEOUTS = {0, 1, -1, MAXINT, MININT, 2147483647, 2147483648, -2147483648, 4294967296,
	"0", "-1", "9223372036854775807", "-9223372036854775808", " 7 ", "0x10", "2147483648"}
for _, ms in ipairs(TIMEOUTS) do
	local shown = type(ms) == "string" and string.format("%q", ms) or tostring(ms)
	case("c:wait(" .. shown .. ") of a done completion returns true", {
		run = function() return donec():wait(ms) end,
		returns = tap.pack(true),
	})
	case("m:lock(" .. shown .. ") of a free mutex returns true", {
		run = function()
			local m = mutex.new()
			return m:lock(ms), m:owned()
		end,
		returns = tap.pack(true, true),
	})
	case("s:down(" .. shown .. ") of a counted semaphore returns true", {
		run = function()
			local s = semaphore.new(1)
			return s:down(ms), s:count()
		end,
		returns = tap.pack(true, 0),
	})
end

-- Polls that find nothing.
for _, ms in ipairs({0, "0", " 0", "0x0", 1, "1"}) do
	local shown = type(ms) == "string" and string.format("%q", ms) or tostring(ms)
	case("c:wait(" .. shown .. ") of a completion not done returns nil, \"timeout\"", {
		run = function() return completion.new():wait(ms) end,
		returns = tap.pack(nil, "timeout"),
	})
	case("s:down(" .. shown .. ") of an empty semaphore returns nil, \"timeout\"", {
		run = function() return semaphore.new(0):down(ms) end,
		returns = tap.pack(nil, "timeout"),
	})
end

-- What is not an integer: rejected, with nothing taken. `why` is the text
-- of the error after "bad argument #1 to 'NAME' (", where it is certain.
local NOTINT = {
	{"ten", "number expected, got string"}, {"", "number expected, got string"},
	{"3 apples", "number expected, got string"}, {"1.5", ""}, {"9223372036854775808", ""},
	{{}, "number expected, got table"}, {true, "number expected, got boolean"},
	{print, "number expected, got function"},
}
for _, v in ipairs(NOTINT) do
	local value, why = v[1], v[2]
	local shown = type(value) == "string" and string.format("%q", value) or type(value)
	local function rejected(ok, err, name)
		return not ok and string.find(tostring(err), "bad argument #1 to '" .. name .. "' (" .. why, 1, true) ~= nil
	end
	case("c:wait(" .. shown .. ") is rejected and consumes nothing", {
		run = function()
			local c = completion.new()
			c:complete()
			local ok, err = pcall(function() return c:wait(value) end)
			return rejected(ok, err, "wait") or tostring(err), c:done()
		end,
		returns = tap.pack(true, true),
	})
	case("m:lock(" .. shown .. ") is rejected and does not lock", {
		run = function()
			local m = mutex.new()
			local ok, err = pcall(function() return m:lock(value) end)
			return rejected(ok, err, "lock") or tostring(err), m:locked()
		end,
		returns = tap.pack(true, false),
	})
	case("s:down(" .. shown .. ") is rejected and takes nothing", {
		run = function()
			local s = semaphore.new(1)
			local ok, err = pcall(function() return s:down(value) end)
			return rejected(ok, err, "down") or tostring(err), s:count()
		end,
		returns = tap.pack(true, 1),
	})
	case("semaphore.new(" .. shown .. ") is rejected", {
		run = function() return semaphore.new(value) end,
		raises = "bad argument #1 to 'new' (" .. why,
	})
	case("s:up(" .. shown .. ") is rejected and adds nothing", {
		run = function()
			local s = semaphore.new(1)
			local ok, err = pcall(function() return s:up(value) end)
			return rejected(ok, err, "up") or tostring(err), s:count()
		end,
		returns = tap.pack(true, 1),
	})
end
case("c:wait(a completion) is rejected", {
	run = function() local c = completion.new(); return c:wait(c) end,
	raises = "bad argument #1 to 'wait' (number expected, got completion)",
})
case("m:lock(a semaphore) is rejected", {
	run = function() return mutex.new():lock(semaphore.new()) end,
	raises = "bad argument #1 to 'lock' (number expected, got semaphore)",
})
case("s:up(s) is rejected", {
	run = function() local s = semaphore.new(); return s:up(s) end,
	raises = "bad argument #1 to 'up' (number expected, got semaphore)",
})

-- semaphore.new and up: counts.
for _, v in ipairs({
	{0, 0}, {SEMMAX, SEMMAX}, {"2147483647", SEMMAX}, {"5", 5}, {" 5 ", 5}, {"0x10", 16},
}) do
	case("semaphore.new(" .. string.format("%q", v[1]) .. ") holds " .. v[2], {
		run = function() return semaphore.new(v[1]):count() end,
		returns = tap.pack(v[2]),
	})
end
for _, v in ipairs({{-1, "-1"}, {2147483648, "2147483648"}, {MAXINT, "9223372036854775807"},
	{MININT, "-9223372036854775808"}, {4294967296, "4294967296"}, {"-1", "-1"}, {"2147483648", "2147483648"}}) do
	case("semaphore.new(" .. string.format("%q", v[1]) .. ") is rejected as out of range", {
		run = function() return semaphore.new(v[1]) end,
		raises = "bad argument #1 to 'new' (count must be between 0 and 2147483647, got " .. v[2] .. ")",
	})
end
for _, v in ipairs({{0, "0"}, {-1, "-1"}, {MININT, "-9223372036854775808"}, {"0", "0"}, {"-5", "-5"}}) do
	case("s:up(" .. string.format("%q", v[1]) .. ") is rejected", {
		run = function() return semaphore.new(0):up(v[1]) end,
		raises = "bad argument #1 to 'up' (count must be at least 1, got " .. v[2] .. ")",
	})
end
for _, v in ipairs({{0, SEMMAX}, {1, SEMMAX - 1}, {0, "2147483647"}, {SEMMAX - 3, 3}}) do
	case("s:up(" .. string.format("%q", v[2]) .. ") from " .. v[1] .. " reaches 2147483647", {
		run = function()
			local s = semaphore.new(v[1])
			s:up(v[2])
			return s:count()
		end,
		returns = tap.pack(SEMMAX),
	})
end
for _, v in ipairs({{SEMMAX, 1, "1"}, {1, SEMMAX, "2147483647"}, {0, 2147483648, "2147483648"},
	{0, 4294967296, "4294967296"}, {5, MAXINT, "9223372036854775807"}, {0, "4294967297", "4294967297"}}) do
	case("s:up(" .. string.format("%q", v[2]) .. ") from " .. v[1] .. " raises and leaves the count", {
		run = function()
			local s = semaphore.new(v[1])
			local ok, err = pcall(s.up, s, v[2])
			return ok, s:count(), string.find(tostring(err), "semaphore: up: count would exceed 2147483647 (adding " ..
				v[3] .. ")", 1, true) ~= nil
		end,
		returns = tap.pack(false, v[1], true),
	})
end
for _, v in ipairs({{"yes", "string"}, {1, "number"}, {0, "number"}, {{}, "table"}, {print, "function"}}) do
	case("mutex.new(" .. v[2] .. ") is rejected", {
		run = function() return mutex.new(v[1]) end,
		raises = "bad argument #1 to 'new' (boolean expected, got " .. v[2] .. ")",
	})
end
case("mutex.new(nil) and mutex.new(false) are not recursive, mutex.new(true) is", {
	run = function() return tostring(mutex.new(nil)), tostring(mutex.new(false)), tostring(mutex.new(true)) end,
	returns = tap.pack("mutex (unlocked)", "mutex (unlocked)", "mutex (unlocked, recursive)"),
})

------------------------------------------------------------------------------
-- scope: error values, yields, what f does to its mutex.
------------------------------------------------------------------------------
local ERRVALUES = {
	{"a table", function() return {} end},
	{"false", function() return false end},
	{"0", function() return 0 end},
	{"math.mininteger", function() return MININT end},
	{"a completion", function() return completion.new() end},
	{"a closed semaphore", function() return closed(semaphore.new()) end},
	{"a coroutine", function() return coroutine.create(print) end},
	{"a function", function() return print end},
	{"the memory error message", function() return "not enough memory" end},
}
for _, v in ipairs(ERRVALUES) do
	case("scope re-raises " .. v[1] .. " as f's error value, unchanged, and unlocks", {
		run = function()
			local m, value = mutex.new(), v[2]()
			local ok, err = pcall(m.scope, m, function() error(value, 0) end)
			return ok, rawequal(err, value), m:locked()
		end,
		returns = tap.pack(false, true, false),
	})
end
case("scope of f raising nil re-raises what pcall of it gives", {
	run = function()
		local m = mutex.new()
		local f = function() error(nil) end
		local _, direct = pcall(f)
		local ok, err = pcall(m.scope, m, f)
		return ok, err == direct, m:locked()
	end,
	returns = tap.pack(false, true, false),
})
case("scope re-raises the mutex itself as f's error value", {
	run = function()
		local m = mutex.new()
		local ok, err = pcall(m.scope, m, function() error(m) end)
		return ok, rawequal(err, m), m:locked()
	end,
	returns = tap.pack(false, true, false),
})
case("coroutine.yield inside scope raises and leaves the mutex unlocked", {
	run = function()
		local m = mutex.new()
		local co = coroutine.wrap(function() return m:scope(function() coroutine.yield(1) end) end)
		local ok, err = pcall(co)
		return ok, string.find(tostring(err), "attempt to yield across a C-call boundary", 1, true) ~= nil,
			m:locked()
	end,
	returns = tap.pack(false, true, false),
})
case("scope(coroutine.yield) raises and leaves the mutex unlocked", {
	run = function()
		local m = mutex.new()
		local ok, err = pcall(m.scope, m, coroutine.yield, 1)
		return ok, string.find(tostring(err), "attempt to yield", 1, true) ~= nil, m:locked()
	end,
	returns = tap.pack(false, true, false),
})
case("scope(select, ...) returns what the C function returns", {
	run = function() return mutex.new():scope(select, "#", nil, nil, nil) end,
	returns = tap.pack(3),
})
case("scope(error) raises error's nil message and unlocks", {
	run = function()
		local m = mutex.new()
		local ok = pcall(m.scope, m, error)
		return ok, m:locked()
	end,
	returns = tap.pack(false, false),
})
case("scope(m.unlock, m) raises \"unlocked inside the scope\"", {
	run = function() local m = mutex.new(); return m:scope(m.unlock, m) end,
	raises = "mutex: scope: the mutex was unlocked inside the scope",
})
case("scope(m.close, m) raises \"closed inside the scope\"", {
	run = function() local m = mutex.new(); return m:scope(m.close, m) end,
	raises = "mutex: scope: the mutex was closed inside the scope",
})
case("regression: f closing its mutex with fifo's close raises and does not crash", {
	run = function()
		local m = mutex.new()
		return m:scope(function() require("fifo").new(8).close(m) end)
	end,
	raises = "mutex: scope: the mutex was closed inside the scope",
})
case("scope(__gc, m): f releasing the only value of its mutex closes it", {
	run = function()
		local m = mutex.new()
		local ok, err = pcall(m.scope, m, getmetatable(m).__gc, m)
		return ok, string.find(tostring(err), "closed inside the scope", 1, true) ~= nil, tostring(m)
	end,
	returns = tap.pack(false, true, "mutex (released)"),
})
case("f closing its mutex then raising: f's error wins", {
	run = function()
		local m = mutex.new()
		return m:scope(function()
			m:close()
			error("f's own error", 0)
		end)
	end,
	raises = "f's own error",
})
case("scope(m.scope, m, f) on a non-recursive mutex raises deadlock and unlocks", {
	run = function()
		local m = mutex.new()
		local ok, err = pcall(m.scope, m, m.scope, m, print)
		return ok, string.find(tostring(err), "mutex: scope: deadlock", 1, true) ~= nil, m:locked()
	end,
	returns = tap.pack(false, true, false),
})
for _, v in ipairs({{"a table with __call", setmetatable({}, {__call = function() end}), "table"},
	{"a completion", completion.new(), "completion"}, {"the mutex itself", nil, "mutex"}, {"nil", nil, "nil"}}) do
	case("scope(" .. v[1] .. ") is rejected", {
		run = function()
			local m = mutex.new()
			local f = v[1] == "the mutex itself" and m or v[2]
			return m:scope(f)
		end,
		raises = "bad argument #1 to 'scope' (function expected, got " .. v[3] .. ")",
	})
end

------------------------------------------------------------------------------
-- Recursion and nesting with a lock held.
------------------------------------------------------------------------------
case("Lua recursion to Lua's limit inside scope raises \"stack overflow\" and unlocks", {
	run = function()
		local m = mutex.new()
		local function rec(n) return rec(n + 1) + 1 end
		local ok, err = pcall(m.scope, m, rec, 1)
		return ok, string.find(tostring(err), "stack overflow", 1, true) ~= nil, m:locked()
	end,
	returns = tap.pack(false, true, false),
})
-- Nests scopes of fresh mutexes (through a coroutine per level when
-- `cross`) until one raises; returns the error, the depth and how many of
-- the mutexes are still locked.
local function nest(cross)
	local held = {}
	local function level(n)
		local m = mutex.new()
		held[n] = m
		return m:scope(function()
			if cross then
				return coroutine.wrap(level)(n + 1)
			end
			return level(n + 1)
		end)
	end
	local ok, err = pcall(level, 1)
	local locked = 0
	for _, m in ipairs(held) do
		if m:locked() then
			locked = locked + 1
		end
	end
	return ok, err, #held, locked
end

for _, cross in ipairs({false, true}) do
	local how = cross and " through a coroutine per level" or ""
	case("scopes nested" .. how .. " until \"nested too deeply\": every level unlocked", {
		run = function() return nest(cross) end,
		check = function(ok, called, err, depth, locked)
			return ok and not called and string.find(tostring(err), "mutex: scope: nested too deeply", 1, true) ~= nil
				and locked == 0 and depth > 1,
				"error " .. tostring(err) .. " at depth " .. tostring(depth) .. ", " .. tostring(locked) .. " locked"
		end,
	})
end
case("a recursive mutex's scopes nested until \"nested too deeply\": unlocked after", {
	run = function()
		local r = mutex.new(true)
		local depth = 0
		local function level(n)
			depth = n
			return r:scope(level, n + 1)
		end
		local ok, err = pcall(level, 1)
		return ok, string.find(tostring(err), "nested too deeply", 1, true) ~= nil, depth > 1, r:locked()
	end,
	returns = tap.pack(false, true, true, false),
})

------------------------------------------------------------------------------
-- What a channel carries: objects by reference, but none that can hold
-- another object (two such objects holding each other would never be freed,
-- and would pin luasync.ko for ever).
------------------------------------------------------------------------------
case("a channel carries a data object by reference: a byte set in it is seen by the receiver", {
	run = function()
		local ch, d = channel.new(1), data.new(8)
		assert(ch:send({d}, 0))
		local got = ch:receive(0)[1]
		d:setbyte(3, 42)
		return got:getbyte(3), ch:count()
	end,
	returns = tap.pack(42, 0),
})
case("a channel carries a fifo", {
	run = function()
		local ch = channel.new(1)
		assert(ch:send(fifo.new(8), 0))
		return type(ch:receive(0)), ch:count()
	end,
	returns = tap.pack("userdata", 0),
})
case("a released completion cannot be sent", {
	run = function() return channel.new(1):send(released(completion.new()), 0) end,
	raises = "channel: send: not a Lunatik object",
})
for _, v in ipairs({
	{"a channel", function() return channel.new(1) end},
	{"a closed channel", function() return closed(channel.new(1)) end},
	{"an rcu table", function() return rcu.table(4) end},
	{"a thread object", function() return thread.current() end},
	{"a runtime object", function() return runtime end},
}) do
	for _, how in ipairs({"send", "trysend"}) do
		case("channel:" .. how .. "(" .. v[1] .. ") raises and sends nothing", {
			run = function()
				local ch = channel.new(2)
				local ok, err = pcall(ch[how], ch, {1, {v[2]()}}, 0)
				return ok, string.find(tostring(err), "objects that can hold other objects", 1, true) ~= nil,
					ch:count()
			end,
			returns = tap.pack(false, true, 0),
		})
	end
end
case("two channels sent into each other: refused, and both freed once dropped", {
	run = function()
		collect()
		local before = env.modulerefs()
		local a, b = channel.new(2), channel.new(2)
		local ab = pcall(a.send, a, b, 0)
		local ba = pcall(b.send, b, a, 0)
		a, b = nil, nil
		collect()
		return ab, ba, env.modulerefs() - before
	end,
	returns = tap.pack(false, false, 0),
})
case("a channel released while it holds objects drops their references", {
	run = function()
		collect()
		local before = env.modulerefs()
		local ch = channel.new(4)
		assert(ch:send({completion.new(), mutex.new()}, 0) and ch:send(semaphore.new(1), 0))
		local held = env.modulerefs() - before
		ch = nil
		return held, leftover(before)
	end,
	returns = tap.pack(4, 0),
})
case("a channel's __gc called by hand while it holds objects: they are dropped once", {
	run = function()
		collect()
		local before = env.modulerefs()
		local ch = channel.new(2)
		assert(ch:send(completion.new(), 0))
		getmetatable(ch).__gc(ch)
		local after = pcall(ch.receive, ch, 0)
		ch = nil
		return after, leftover(before)
	end,
	returns = tap.pack(false, 0),
})
case("a channel's methods given each other's receivers raise", {
	run = function()
		local ch = channel.new(1)
		local refused = 0
		for _, m in ipairs({"send", "trysend", "receive", "tryreceive", "count", "capacity"}) do
			for _, self in ipairs({completion.new(), fifo.new(8), {}, "x", 1}) do
				local ok, err = pcall(ch[m], self, 1)
				if not ok and string.find(tostring(err), "channel expected", 1, true) then
					refused = refused + 1
				end
			end
		end
		return refused
	end,
	returns = tap.pack(30),
})

-- waitany: what is not a list of live objects.
local ITEMS = "completion, semaphore, mutex or channel expected, got "
local LIST = "table of at most 64 objects expected, got "
local WAITANY_BAD = {
	{"no list", function() return waitany() end, LIST .. "no value"},
	{"an empty list", function() return waitany({}) end, LIST .. "table"},
	{"65 objects", function()
		local list = {}
		for i = 1, 65 do list[i] = completion.new() end
		return waitany(list, 0)
	end, LIST .. "table"},
	{"a fifo in the list", function() return waitany({completion.new(), fifo.new(8)}, 0) end,
		"item 2: " .. ITEMS .. "userdata"},
	{"false in the list", function() return waitany({completion.new(), false}, 0) end,
		"item 2: " .. ITEMS .. "boolean"},
	{"a string in the list", function() return waitany({"completion"}, 0) end, "item 1: " .. ITEMS .. "string"},
	{"a closed completion", function() return waitany({closed(completion.new())}, 0) end,
		"item 1: " .. ITEMS .. "closed completion"},
	{"a released semaphore", function() return waitany({released(semaphore.new(1))}, 0) end,
		"item 1: " .. ITEMS .. "released semaphore"},
	{"a held mutex", function()
		local m = mutex.new()
		m:lock()
		local r = table.pack(pcall(waitany, {m}, 0))
		m:unlock()
		if not r[1] then error(r[2], 0) end
		return table.unpack(r, 2, r.n)
	end, "item 1: deadlock (this runtime already holds the mutex)"},
	-- the list is read raw: its metamethods are not called
	{"an empty list whose __index and __len answer", function()
		return waitany(setmetatable({}, {__index = function() error("index trap") end,
			__len = function() return 1 end}), 0)
	end, LIST .. "table"},
	{"a table timeout", function() return waitany({completion.new()}, {}) end, "number expected"},
}
for _, v in ipairs(WAITANY_BAD) do
	case("waitany with " .. v[1] .. " raises", {
		run = v[2],
		raises = v[3],
	})
end
case("waitany of the same completion twice takes it once", {
	run = function()
		local c = completion.new()
		c:complete()
		local i = waitany({c, c}, 0)
		return i, c:trywait()
	end,
	returns = tap.pack(1, false),
})
case("waitany of a list of 64 polls of nothing times out, and takes nothing", {
	run = function()
		local list = {}
		for i = 1, 64 do list[i] = i % 2 == 0 and completion.new() or semaphore.new(0) end
		return waitany(list, 0)
	end,
	returns = tap.pack(nil, "timeout"),
})

------------------------------------------------------------------------------
-- Many live objects.
------------------------------------------------------------------------------
case("100000 live objects each hold a module reference, all released once dropped", {
	run = function()
		collect()
		local before = env.modulerefs()
		local kept = {}
		for i = 1, 100000, 3 do
			kept[i] = completion.new()
			kept[i + 1] = mutex.new()
			kept[i + 2] = semaphore.new(i % 7)
		end
		local live = #kept
		local held = env.modulerefs() - before
		kept = nil
		collect()
		return live, held, env.modulerefs() - before
	end,
	returns = tap.pack(100002, 100002, 0),
})

------------------------------------------------------------------------------
-- Objects closed while another kernel thread waits on them, and timeouts at
-- the integer edges in a wait that really sleeps.
------------------------------------------------------------------------------

-- Polls until the store holds name, BOUND ms at most.
local function fetched(name)
	local waited = 0
	while env.fetch(name) == nil and waited < BOUND do
		env.yield()
		waited = waited + 1
	end
	return env.fetch(name)
end

local BLOCKED = {
	{op = "down", what = "a semaphore", first = "nil,closed", target = "s"},
	{op = "wait", what = "a completion", first = "nil,closed", target = "c"},
	{op = "lock", what = "a mutex held here", first = "nil,closed", target = "m"},
	{op = "scope", what = "a mutex held here", first = "false,mutex: scope: lock failed (closed)", target = "m"},
}
for _, b in ipairs(BLOCKED) do
	case("regression: " .. b.what .. " closed by fifo's close while a thread sleeps in " .. b.op ..
		"(): it returns " .. b.first .. ", and stopping the thread works", {
		run = function()
			local objs = {c = completion.new(), m = mutex.new(), s = semaphore.new(0)}
			local never, ready = completion.new(), completion.new()
			objs.m:lock()
			for k, v in pairs(objs) do
				env.share(k, v)
			end
			env.share("op", b.op)
			env.share("never", never)
			env.share("ready", ready)
			env.share("first", nil)
			env.share("again", nil)
			local h = env.spawn("blockin")
			local reached = ready:wait(BOUND)
			local blocked = h:waitblocked()
			fifo.new(8).close(objs[b.target])
			local first = fetched("first")
			never:complete()
			local again = fetched("again")
			local stopped, err = h:stop()
			for _, k in ipairs({"c", "m", "s", "never", "ready"}) do
				env.share(k, nil)
			end
			return reached, blocked, first, again, stopped, err, tostring(objs[b.target])
		end,
		returns = tap.pack(true, true, b.first, "true", true, nil, (b.target == "c" and "completion" or
			b.target == "m" and "mutex" or "semaphore") .. " (closed)"),
	})
end

local SLEEPS = {
	{op = "wait", timeout = MAXINT}, {op = "wait", timeout = MININT}, {op = "wait", timeout = 2147483648},
	{op = "wait", timeout = 2147483647}, {op = "wait", timeout = "9223372036854775807"},
	{op = "down", timeout = -1}, {op = "down", timeout = "-9223372036854775808"},
	{op = "lock", timeout = MAXINT}, {op = "lock", timeout = "4294967296"},
}
for _, v in ipairs(SLEEPS) do
	local shown = type(v.timeout) == "string" and string.format("%q", v.timeout) or tostring(v.timeout)
	case("a thread sleeping in " .. v.op .. "(" .. shown .. ") gets true once woken", {
		run = function()
			local c, m, s = completion.new(), mutex.new(), semaphore.new(0)
			m:lock()
			env.share("c", c)
			env.share("m", m)
			env.share("s", s)
			env.share("op", v.op)
			env.share("timeout", v.timeout)
			env.share("result", nil)
			local h = env.spawn("call")
			local blocked = h:waitblocked()
			c:complete()
			s:up()
			m:unlock()
			local joined, err = h:join()
			local result = env.fetch("result")
			for _, k in ipairs({"c", "m", "s", "timeout", "result"}) do
				env.share(k, nil)
			end
			return blocked, joined, err, result
		end,
		returns = tap.pack(true, true, nil, "true"),
	})
end

------------------------------------------------------------------------------
-- Runtimes that may not sleep: source fragments run while a softirq or
-- hardirq runtime loads (env.inruntime); argument errors come before the
-- context check, polls are allowed, sleeps are refused.
------------------------------------------------------------------------------
local IRQ = {
	{"a non-integer timeout is an argument error", [[return require("completion").new():wait("ten")]],
		"false,", "bad argument #1 to 'wait' (number expected, got string)"},
	{"a wrong receiver is refused", [[return getmetatable(require("mutex").new()).lock(require("completion").new())]],
		"false,", "bad argument #1 to 'lock' (mutex expected, got completion)"},
	{"wait(-1) is refused", [[return require("completion").new():wait(-1)]],
		"false,", "completion: wait: cannot sleep in a CONTEXT runtime"},
	{"lock(math.mininteger) is refused", [[return require("mutex").new():lock(math.mininteger)]],
		"false,", "mutex: lock: cannot sleep in a CONTEXT runtime"},
	{"down(2147483648) is refused", [[return require("semaphore").new(0):down(2147483648)]],
		"false,", "semaphore: down: cannot sleep in a CONTEXT runtime"},
	{"scope() is refused before f runs", [[return require("mutex").new():scope(error, "f ran")]],
		"false,", "mutex: scope: cannot sleep in a CONTEXT runtime"},
	{"down(\"0\") polls", [[return require("semaphore").new(0):down("0")]], "true,nil,timeout", ""},
	{"a closed completion is refused", [[local c = require("completion").new(); c:close(); return c:wait(0)]],
		"false,", "completion expected, got closed completion"},
	{"tostring of a released semaphore", [[local s = require("semaphore").new(); getmetatable(s).__gc(s)
		return tostring(s)]], "true,semaphore (released)", ""},
	{"200 objects made, closed and dropped", [[local lib = {require("completion"), require("mutex"), require("semaphore")}
		for i = 1, 200 do lib[i % 3 + 1].new():close() end
		collectgarbage()
		return "made"]], "true,made", ""},
}
for _, context in ipairs({"softirq", "hardirq"}) do
	for _, v in ipairs(IRQ) do
		local prefix, text = v[3], string.gsub(v[4], "CONTEXT", context)
		case(context .. " runtime: " .. v[1], {
			run = function()
				env.share("src", v[2])
				env.share("result", nil)
				local loaded, err = env.inruntime(context, "source")
				local result = env.fetch("result")
				env.share("src", nil)
				return loaded, err, result
			end,
			check = function(ok, loaded, err, result)
				result = tostring(result)
				return ok and loaded == true and string.find(result, prefix, 1, true) == 1
					and string.find(result, text, 1, true) ~= nil,
					"loaded " .. tostring(loaded) .. " (" .. tostring(err) .. "), result " .. result
			end,
		})
	end
end

------------------------------------------------------------------------------
-- The runner.
------------------------------------------------------------------------------
local function show(v)
	if type(v) == "string" then
		return string.format("%q", v)
	end
	return tostring(v)
end

local function shown(r, from)
	local parts = {}
	for i = from, r.n do
		parts[#parts + 1] = show(r[i])
	end
	return "(" .. table.concat(parts, ", ") .. ")"
end

local function judge(spec, r)
	if spec.raises ~= nil then
		if r[1] then
			return false, "no error raised; returned " .. shown(r, 2)
		end
		local err = tostring(r[2])
		return string.find(err, spec.raises, 1, true) ~= nil,
			"error was: " .. err .. "; expected it to contain: " .. spec.raises
	elseif spec.returns ~= nil then
		if not r[1] then
			return false, "raised: " .. tostring(r[2])
		end
		local want = spec.returns
		local same = r.n - 1 == want.n
		for i = 1, want.n do
			if not rawequal(r[i + 1], want[i]) then
				same = false
			end
		end
		return same, "returned " .. shown(r, 2) .. ", want " .. shown(want, 1)
	end
	return spec.check(table.unpack(r, 1, r.n))
end

-- Each case runs in a coroutine of its own: a Lua stack that grew to the
-- limit (200 slots in Lunatik) keeps the finalizers of its thread from
-- running (Lua 5.5's luaD_checkminstack), and the runner's own stack must
-- stay able to collect.
collect()
local refs = env.modulerefs()
for _, spec in ipairs(cases) do
	local before = env.modulerefs()
	local r = tap.pack(coroutine.resume(coroutine.create(spec.run)))
	local ok, diag = judge(spec, r)
	local live, why = pcall(alive)
	local left = leftover(before)
	if not live then
		ok, diag = false, "the runtime no longer answers: " .. tostring(why) .. "; the case: " .. tostring(diag)
	elseif left ~= 0 then
		ok, diag = false, left .. " module reference(s) left after the case; the case: " .. tostring(diag)
	end
	t:ok(ok, spec.name, diag)
end
testlib.stop(runtime)
runtime = nil
collect()
t:is(env.modulerefs(), refs, "after " .. #cases .. " cases, the module references are what they were before")
print("# " .. #cases .. " hostile cases")

t:done()
