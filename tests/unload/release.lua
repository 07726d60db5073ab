-- tests/unload, step 3: stops the runtime of step 1.
local lunatik = require("lunatik")
local testlib = require("luasync_testlib")
local runtime = assert(lunatik._ENV["luasync.unload.holder"], "no runtime from step 1")
lunatik._ENV["luasync.unload.holder"] = nil
testlib.stop(runtime)
print("the runtime is stopped")
