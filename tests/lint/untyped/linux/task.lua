-- Lunatik's `linux.task`, untyped: the type check covers luasync's API only.
---@meta linux.task
---@type any
local task
return task
