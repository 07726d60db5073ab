-- expect: undefined-field
-- A misspelt method must not type-check.
local completion = require("completion")
local c = completion.new()
c:waitt()
