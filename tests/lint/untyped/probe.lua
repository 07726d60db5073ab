-- Lunatik's `probe`, untyped: the type check covers luasync's API only.
---@meta probe
---@type any
local probe
return probe
