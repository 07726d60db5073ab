-- The usage pattern of Lunatik's lib/mailbox.lua (a fifo of length-prefixed messages and
-- a completion counting them), written in tests/lua/lib/luasync_mailbox.lua, works with
-- luasync's completion unchanged; in the kernel, Lunatik's own mailbox.lua is tried too.
local env = ...
local tap = require("luasync_tap")
local t = tap.new()
local mailbox = require("luasync_mailbox")
local fifo = require("fifo")
local completion = require("completion")

local box = mailbox.new(256)
box:send("hello")
box:send("")
box:send("third")
t:is(box:receive(), "hello", "receive() with no timeout returns the first message")
t:is(box:receive(nil), "", "receive(nil) returns an empty message")
t:is(box:receive(-1), "third", "receive(-1) returns the third message")
t:raises(function() box:receive(0) end, "timeout", "receive(0) of an empty mailbox raises \"timeout\"")
t:raises(function() box:receive(20) end, "timeout", "receive(20) of an empty mailbox raises \"timeout\"")
for i = 1, 10 do
	box:send("m" .. i)
end
local got = {}
for i = 1, 10 do
	got[i] = box:receive(0)
end
t:is(table.concat(got, ","), "m1,m2,m3,m4,m5,m6,m7,m8,m9,m10", "ten sends make ten receives, in order")
t:raises(function() box:receive(0) end, "timeout", "the completion counted exactly ten")

if env.spawn then
	local queue, event = fifo.new(1024), completion.new()
	env.share("queue", queue)
	env.share("event", event)
	env.share("n", 20)
	local h = env.spawn("receiver")
	local outbox = mailbox.new(queue, event)
	local sent = {}
	for i = 1, 20 do
		sent[i] = "message " .. i
		outbox:send(sent[i])
	end
	local ok, err = h:join()
	t:ok(ok, "a receiver in another runtime ends", err)
	t:is(env.fetch("received"), table.concat(sent, ","), "another runtime receives every message in order")
else
	t:skip("a receiver in another runtime ends", "env.spawn is not provided")
	t:skip("another runtime receives every message in order", "env.spawn is not provided")
end

local found, real = pcall(require, "mailbox")
if found and type(real) == "table" and real.outbox then
	local q, e = fifo.new(256), completion.new()
	local outbox, inbox = real.outbox(q, e), real.inbox(q, e)
	outbox:send("through Lunatik's mailbox")
	t:is(inbox:receive(), "through Lunatik's mailbox", "Lunatik's own mailbox.lua works with this completion")
	t:raises(function() inbox:receive(0) end, "timeout", "Lunatik's mailbox.lua sees the timeout")
else
	t:skip("Lunatik's own mailbox.lua works with this completion", "Lunatik's mailbox.lua is not installed")
	t:skip("Lunatik's mailbox.lua sees the timeout", "Lunatik's mailbox.lua is not installed")
end

t:done()
