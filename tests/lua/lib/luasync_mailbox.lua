-- A one-way mailbox between runtimes, used the way Lunatik's lib/mailbox.lua uses a
-- fifo and a completion: each message is a length-prefixed string in the fifo, and each
-- send completes the completion once, so each receive waits for exactly one message.
-- The timeout is passed to completion:wait unchanged (nil or negative: forever, 0: poll),
-- and a failed wait is raised as an error carrying its reason.

local fifo = require("fifo")
local completion = require("completion")

local mailbox = {}
local Box = {}
Box.__index = Box

local HEADER = string.packsize("T")

-- mailbox.new(capacity) makes a fifo and a completion; mailbox.new(queue, event) shares
-- existing ones (for instance fetched from another runtime).
function mailbox.new(queue, event)
	if type(queue) ~= "userdata" then
		queue, event = fifo.new(queue), completion.new()
	end
	return setmetatable({queue = queue, event = event}, Box)
end

function Box:send(message)
	self.queue:push(string.pack("s", message))
	self.event:complete()
end

function Box:receive(timeout)
	local ok, why = self.event:wait(timeout)
	if not ok then
		error(why)
	end
	local head, got = self.queue:pop(HEADER)
	if got == 0 then
		return nil
	elseif got < HEADER then
		error("malformed message")
	end
	return (self.queue:pop(string.unpack("T", head)))
end

return mailbox
