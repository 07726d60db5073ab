-- A runtime script for tests/unload: opens every luasync library and keeps
-- one object of each for as long as the runtime lives. Loaded as
-- "luasync/lunatik/holder".
local completion = require("completion")
local mutex = require("mutex")
local semaphore = require("semaphore")

-- A global: the objects must outlive the script's chunk.
local held = {completion.new(), mutex.new(), semaphore.new(1)}
rawset(_G, "held", held)
held[1]:complete()
held[2]:lock()
return nil
