-- Lunatik's `thread`, untyped: the type check covers luasync's API only.
---@meta thread
---@type any
local thread
return thread
