-- A runtime script for tests/unload: opens every luasync library and keeps
-- one object of each for as long as the runtime lives. Loaded as
-- "luasync/lunatik/holder".
local completion = require("completion")
local mutex = require("mutex")
local semaphore = require("semaphore")

held = {completion.new(), mutex.new(), semaphore.new(1)} -- luacheck: ignore 111
held[1]:complete()
held[2]:lock()
return nil
