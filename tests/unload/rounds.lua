-- tests/unload, the race: round after round, a runtime opens luasync, makes an
-- object of each class and is stopped, so the last reference on the module
-- goes in its release path, while the shell unloads and reloads luasync.ko as
-- fast as rmmod lets it. A round whose runtime could not load (luasync was
-- unloaded at that moment) is tried again. Prints how many rounds ran.
local testlib = require("luasync_testlib")
local linux = require("linux")

local rounds = 100 -- run.sh sets UNLOAD_ROUNDS here
local done, refused = 0, 0
while done < rounds do
	local runtime = testlib.runtime("luasync/lunatik/holder")
	if runtime ~= nil then
		testlib.stop(runtime)
		done = done + 1
	else
		refused = refused + 1
		assert(refused < 100 * rounds, "luasync stayed away: " .. refused .. " loads refused")
		linux.schedule(1)
	end
end
print("rounds " .. done .. ", loads refused while luasync was unloaded " .. refused)
