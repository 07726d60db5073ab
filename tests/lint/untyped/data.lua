-- Lunatik's `data`, untyped: the type check covers luasync's API only.
---@meta data
---@type any
local data
return data
