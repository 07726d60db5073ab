-- channel: bounded message passing, values copied between runtimes, blocking and
-- non-blocking ends, close, bad input, and a stress of senders and receivers on threads.
---@diagnostic disable: param-type-mismatch, missing-parameter (bad input on purpose)
local env = ...
local tap = require("luasync_tap")
local t = tap.new()
local channel = require("channel")
local completion = require("completion")

-- construction
local ch = channel.new()
t:is(ch:capacity(), 1, "channel.new() holds one value")
t:is(channel.new(8):capacity(), 8, "channel.new(8) holds eight")
t:is(channel.new("4"):capacity(), 4, "channel.new(\"4\") takes the string as 4")
t:is(channel.new(2147483647):capacity(), 2147483647, "channel.new(2147483647) is allowed")
t:raises(function() channel.new(0) end, "capacity must be between 1 and 2147483647, got 0",
	"channel.new(0) is rejected")
t:raises(function() channel.new(2147483648) end, "capacity must be between 1 and 2147483647",
	"channel.new(2147483648) is rejected")
t:raises(function() channel.new({}) end, "number expected, got table", "channel.new({}) is rejected")
t:is(tostring(ch), "channel (0/1)", "tostring of an empty channel")

-- values
local box = channel.new(16)
local function roundtrip(v)
	assert(box:send(v, 0) == true, "send failed")
	return box:receive(0)
end
t:is(roundtrip(true), true, "true crosses")
t:is(roundtrip(false), false, "false crosses")
t:is(roundtrip(42), 42, "an integer crosses")
t:is(roundtrip(math.mininteger), math.mininteger, "the smallest integer crosses")
t:is(roundtrip("hello"), "hello", "a string crosses")
t:is(roundtrip(""), "", "an empty string crosses")
t:is(roundtrip("a\0b"), "a\0b", "a string with a NUL byte crosses")
local nested = roundtrip({1, 2, {x = "y", [true] = false}, name = "n"})
t:ok(type(nested) == "table" and nested[1] == 1 and nested[2] == 2 and nested.name == "n"
	and nested[3].x == "y" and nested[3][true] == false, "a nested table crosses, keys and values")
local c = completion.new()
local c2 = roundtrip(c)
c2:complete()
t:is(c:trywait(), true, "an object crosses by reference: the received value is the same completion")
t:is(roundtrip({c = c}).c ~= nil, true, "an object inside a table crosses")
local deep = {}
local at = deep
for _ = 1, 7 do
	at.next = {}
	at = at.next
end
t:ok(roundtrip(deep) ~= nil, "tables nested 8 deep cross")
t:is(box:count(), 0, "every roundtrip left the channel empty")

-- refused values: an error, and nothing sent
local at9 = deep
while at9.next do at9 = at9.next end
at9.next = {}
local cyclic = {}
cyclic.self = cyclic
local refused = {
	{"a function", function() end, "a function cannot be sent"},
	{"a coroutine", coroutine.create(function() end), "cannot be sent"},
	{"nil", nil, "nil cannot be sent"},
	{"a table inside itself", cyclic, "a table cannot contain itself"},
	{"tables nested 9 deep", deep, "tables nested deeper than 8"},
	{"a string of 64 KiB", string.rep("x", 65536), "message larger than 65536 bytes"},
	{"the channel itself", box, "objects that can hold other objects"},
	{"the channel inside a table", {box}, "objects that can hold other objects"},
	-- two channels carrying each other would keep each other alive for ever
	{"another channel", channel.new(1), "objects that can hold other objects"},
	{"another channel as a key", {[channel.new(1)] = true}, "objects that can hold other objects"},
}
for _, case in ipairs(refused) do
	t:raises(function() box:send(case[2], 0) end, case[3], "send of " .. case[1] .. " raises")
	t:raises(function() box:trysend(case[2]) end, case[3], "trysend of " .. case[1] .. " raises")
end
local float = load("return 1.5")
local x = float and float()
if type(x) == "number" and x // 1 ~= x then
	t:raises(function() box:send(x) end, "floats cannot be sent", "send of a float raises")
else
	t:skip("send of a float raises", "this Lua has no floats")
end
t:is(box:count(), 0, "the refused sends sent nothing")

-- order, full and empty
local q = channel.new(3)
t:is(q:trysend("a"), true, "trysend into room returns true")
q:send("b")
q:send("c", 0)
t:is(q:trysend("d"), false, "trysend into a full channel returns false")
t:shape("send(v, 0) into a full channel returns nil, \"timeout\"", {n = 2, nil, "timeout"}, q:send("d", 0))
local start = env.now()
t:shape("send(v, 30) into a full channel returns nil, \"timeout\"", {n = 2, nil, "timeout"}, q:send("d", 30))
t:ok(env.now() - start >= 30, "send(v, 30) times out no earlier than 30 ms")
t:is(q:count(), 3, "count() of a full channel")
t:is(tostring(q), "channel (3/3)", "tostring of a full channel")
t:is(q:receive() .. q:tryreceive() .. q:receive(0), "abc", "values come out in the order they went in")
t:shape("tryreceive() of an empty channel returns nil", {n = 1, nil}, q:tryreceive())
t:shape("receive(0) of an empty channel returns nil, \"timeout\"", {n = 2, nil, "timeout"}, q:receive(0))
start = env.now()
t:shape("receive(30) of an empty channel returns nil, \"timeout\"", {n = 2, nil, "timeout"}, q:receive(30))
t:ok(env.now() - start >= 30, "receive(30) times out no earlier than 30 ms")

-- close
q:send("left")
q:close()
t:shape("send into a closed channel returns nil, \"closed\"", {n = 2, nil, "closed"}, q:send("x"))
t:is(q:trysend("x"), false, "trysend into a closed channel returns false")
t:is(q:receive(), "left", "a closed channel still gives what was sent")
t:shape("then receive() returns nil, \"closed\"", {n = 2, nil, "closed"}, q:receive())
t:shape("and receive(0) too", {n = 2, nil, "closed"}, q:receive(0))
t:shape("and tryreceive() returns nil", {n = 1, nil}, q:tryreceive())
t:is(tostring(q), "channel (closed, 0/3)", "tostring of a closed channel")

-- bad self and arguments
t:raises(function() q.send(completion.new(), 1) end, "channel expected, got completion",
	"a completion as self is rejected")
t:raises(function() q.receive() end, "channel expected, got no value", "a missing self is rejected")
t:raises(function() box:receive("soon") end, "number expected, got string", "a string timeout is rejected")
t:raises(function() box:send(1, {}) end, "number expected, got table", "a table timeout is rejected")

if not env.spawn then
	t:skip("channels between runtimes", "env.spawn is not provided")
	t:done()
	return
end

-- between runtimes
do
	local r = channel.new(2)
	env.share("ch", r)
	env.share("blocked", nil)
	local h = env.spawn("receiveforever")
	t:ok(h:waitblocked(), "receive() of an empty channel sleeps")
	r:send("hello")
	t:ok(h:join(), "the receiver ends")
	t:is(env.fetch("blocked"), "hello,nil", "the receiver got the value")
end
do
	local full = channel.new(1)
	full:send("first")
	env.share("ch", full)
	env.share("value", "second")
	env.share("blocked", nil)
	local h = env.spawn("sendforever")
	t:ok(h:waitblocked(), "send() into a full channel sleeps")
	t:is(full:receive(), "first", "the first value comes out")
	t:ok(h:join(), "the sender ends once there is room")
	t:is(env.fetch("blocked"), "true,nil", "its send returned true")
	t:is(full:receive(0), "second", "and its value is there")
end
for _, case in ipairs({{"receiveforever", "receive", false}, {"sendforever", "send", true}}) do
	local role, name, fill = case[1], case[2], case[3]
	local ch2 = channel.new(1)
	if fill then ch2:send("x") end
	env.share("ch", ch2)
	env.share("value", "y")
	env.share("blocked", nil)
	local h = env.spawn(role)
	t:ok(h:waitblocked(), "stop/" .. name .. ": the worker sleeps")
	t:is(h:stop(), true, "stop/" .. name .. ": stop() returns and the body ended normally")
	t:is(env.fetch("blocked"), "nil,interrupt", "stop/" .. name .. ": it returned nil, \"interrupt\"")
	t:is(ch2:count(), fill and 1 or 0, "stop/" .. name .. ": the interrupted call changed nothing")
end
for _, case in ipairs({{"receiveforever", "receive", false}, {"sendforever", "send", true}}) do
	local role, name, fill = case[1], case[2], case[3]
	local ch2 = channel.new(1)
	if fill then ch2:send("x") end
	env.share("ch", ch2)
	env.share("value", "y")
	env.share("blocked", nil)
	local h = env.spawn(role)
	t:ok(h:waitblocked(), "close/" .. name .. ": the worker sleeps")
	ch2:close()
	t:ok(h:join(), "close/" .. name .. ": the worker ends")
	t:is(env.fetch("blocked"), "nil,closed", "close/" .. name .. ": it returned nil, \"closed\"")
end

-- stress: 4 senders and 4 receivers, random timeouts, two receivers stopped while
-- the other senders may still send, every message exactly once
do
	local senders, receivers, each = 4, 4, env.kernel and 25000 or 2500
	local s = channel.new(8)
	env.share("ch", s)
	env.share("n", each)
	local hs, hr = {}, {}
	local sids, rids = channel.new(senders), channel.new(receivers)
	env.share("senders", sids)
	env.share("receivers", rids)
	for i = 1, receivers do
		rids:send(i)
		hr[i] = env.spawn("stressreceiver")
	end
	for i = 1, senders do
		sids:send(i)
		hs[i] = env.spawn("stresssender")
	end
	local sent, sum, squares = 0, 0, 0
	for i = 1, senders do
		local ok, err = hs[i]:join()
		t:ok(ok, "stress: sender " .. i .. " ends", err)
		if i == 1 then
			-- Two receivers stopped in the middle: what they took counts, and the
			-- other two take the rest.
			hr[1]:stop()
			hr[2]:stop()
		end
	end
	-- Each sender reports under the number it took from "senders", not its spawn order.
	for i = 1, senders do
		sent = sent + (env.fetch("sent_" .. i) or 0)
		sum = sum + (env.fetch("sentsum_" .. i) or 0)
		squares = squares + (env.fetch("sentsq_" .. i) or 0)
	end
	-- Receivers still in receive() are stopped; what is left is drained here.
	for i = 3, receivers do
		hr[i]:stop()
	end
	local got, gsum, gsquares = 0, 0, 0
	for i = 1, receivers do
		got = got + (env.fetch("got_" .. i) or 0)
		gsum = gsum + (env.fetch("gotsum_" .. i) or 0)
		gsquares = gsquares + (env.fetch("gotsq_" .. i) or 0)
	end
	while true do
		local id = s:tryreceive() --[[@as integer?]]
		if id == nil then break end
		got, gsum, gsquares = got + 1, gsum + id, gsquares + id * id
	end
	t:is(sent, senders * each, "stress: every sender sent all its " .. each .. " values")
	t:is(got, sent, "stress: as many values came out as went in")
	t:ok(gsum == sum and gsquares == squares, "stress: every value arrived exactly once",
		"sums " .. gsum .. " vs " .. sum .. ", squares " .. gsquares .. " vs " .. squares)
end

t:done()
