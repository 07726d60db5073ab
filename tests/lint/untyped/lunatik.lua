-- Lunatik's `lunatik`, untyped: the type check covers luasync's API only.
---@meta lunatik
---@type any
local lunatik
return lunatik
