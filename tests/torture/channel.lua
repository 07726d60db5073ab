-- The torture's channel class: messages through one channel of capacity 4.
-- Workers of odd slots send random integers into it (send with and without
-- timeouts, trysend) and take one now and then (tryreceive), workers of even
-- slots take them out (receive with and without timeouts, tryreceive); each
-- counts what it moved, with the sum of the values and of their squares. The
-- infinite sends and receives end by the other side or by the final
-- thread:stop(). At the end, what was sent must be what was received plus
-- what the channel still holds: none lost (an interrupted or timed-out call
-- that moved one), none delivered twice.

local channel = require("channel")
local lib = require("luasync.torture.lib")

local class = {
	name = "channel",
	label = "Messages",
	total = "received", -- successful receives and tryreceives
	tallies = {"received", "sent", "busy", "sentsum", "sentsquares", "receivedsum", "receivedsquares"},
	-- Checked at the end, too long for the statistics line.
	unprinted = {sentsum = true, sentsquares = true, receivedsum = true, receivedsquares = true},
}

local CAPACITY = 4

function class.setup(ctx)
	local ch = channel.new(CAPACITY)
	ctx.share("ch", ch)
	return {ch = ch}
end

-- Counts a message of value v that went one way ("sent" or "received").
local function moved(w, way, v)
	local tally = w.tally
	tally[way] = tally[way] + 1
	tally[way .. "sum"] = tally[way .. "sum"] + v
	tally[way .. "squares"] = tally[way .. "squares"] + v * v
	w.progressed()
end

local function value()
	return lib.between(1, 1 << 20)
end

local function sendop(w, ch, infinite)
	local v = value()
	local kind = w.wait("send", ch, function(c, timeout)
		return c:send(v, timeout)
	end, lib.timeout(infinite))
	if kind == "ok" then
		moved(w, "sent", v)
	end
	return kind
end

local function trysendop(w, ch)
	local v = value()
	local sent = ch:trysend(v)
	if sent == true then
		moved(w, "sent", v)
	elseif sent == false then
		w.tally.busy = w.tally.busy + 1
	else
		w.violation("trysend() returned " .. lib.shown(sent))
		return "unexpected"
	end
	return "ok"
end

local function receiveop(w, ch, infinite)
	local timeout = lib.timeout(infinite)
	local start = lib.clock()
	local v, why = ch:receive(timeout)
	if type(v) == "number" and why == nil then
		moved(w, "received", v)
		return "ok"
	end
	return w.judge("receive", timeout, lib.clock() - start, v, why)
end

local function tryreceiveop(w, ch)
	local v = ch:tryreceive()
	if type(v) == "number" then
		moved(w, "received", v)
	elseif v == nil then
		w.tally.busy = w.tally.busy + 1
	else
		w.violation("tryreceive() returned " .. lib.shown(v))
		return "unexpected"
	end
	return "ok"
end

local SENDER = {trysendop, tryreceiveop,
	function(w, ch) return sendop(w, ch, true) end,
	function(w, ch) return sendop(w, ch, false) end}
local RECEIVER = {tryreceiveop,
	function(w, ch) return receiveop(w, ch, true) end,
	function(w, ch) return receiveop(w, ch, false) end}

function class.worker(w)
	local ch = w.fetch("ch")
	local ops = w.slot % 2 == 1 and SENDER or RECEIVER
	lib.loop(w, function()
		return lib.pick(ops)(w, ch)
	end)
end

function class.check(ctx, state, totals)
	-- Drain what is left; more messages than were sent would mean the
	-- channel makes them up: stop there.
	local left, leftsum, leftsquares = 0, 0, 0
	while left <= totals.sent do
		local v = state.ch:tryreceive() --[[@as integer?]]
		if v == nil then
			break
		end
		left, leftsum, leftsquares = left + 1, leftsum + v, leftsquares + v * v
	end
	ctx.diag(totals.sent .. " messages sent, " .. totals.received .. " received, " ..
		left .. " left in the channel")
	ctx.result(totals.sent == totals.received + left,
		"every message sent was received once or is still in the channel",
		totals.sent > totals.received + left and (totals.sent - totals.received - left) .. " lost"
		or (totals.received + left - totals.sent) .. " delivered twice")
	ctx.result(totals.sentsum == totals.receivedsum + leftsum and
		totals.sentsquares == totals.receivedsquares + leftsquares,
		"the values received and left are the values sent (their sums and sums of squares)")
	ctx.result(state.ch:count() == 0, "the channel is empty once drained", tostring(state.ch))
end

return class
