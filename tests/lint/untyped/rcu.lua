-- Lunatik's `rcu`, untyped: the type check covers luasync's API only.
---@meta rcu
---@type any
local rcu
return rcu
