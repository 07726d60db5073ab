-- The test module of tests/lunatik/testlib.c, untyped.
---@meta luasync_testlib
---@type any
local luasync_testlib
return luasync_testlib
