-- The bench module of tests/bench/benchlib.c, untyped.
---@meta luasync_benchlib
---@type any
local luasync_benchlib
return luasync_benchlib
