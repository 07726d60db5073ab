-- expect: undefined-field
-- An object annotated as it arrives from another runtime is checked too.
local shared = {}
---@type semaphore
local items = shared.items
items:downn(10)
