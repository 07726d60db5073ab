-- Lunatik's `linux`, untyped: the type check covers luasync's API only.
---@meta linux
---@type any
local linux
return linux
