-- expect: param-type-mismatch
-- A timeout is an integer: the type check must reject a word.
local completion = require("completion")
local c = completion.new()
c:wait("soon")
