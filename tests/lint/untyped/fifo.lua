-- Lunatik's `fifo`, untyped: the type check covers luasync's API only.
---@meta fifo
---@type any
local fifo
return fifo
