-- tests/unload, step 1: makes a runtime that holds luasync (tests/lunatik/holder.lua)
-- and publishes it in lunatik._ENV for step 3 to stop.
local lunatik = require("lunatik")
local testlib = require("luasync_testlib")
local runtime = assert(testlib.runtime("luasync/lunatik/holder"))
lunatik._ENV["luasync.unload.holder"] = runtime
print("a runtime holds luasync")
