-- TAP output for luasync's Lua contract suite (see tests/lua/README).

local tap = {}
tap.__index = tap

-- A new test sequence.
function tap.new()
	return setmetatable({n = 0}, tap)
end

local function show(v)
	if type(v) == "string" then
		return string.format("%q", v)
	end
	return tostring(v)
end

-- One result; `diag` is printed as a comment when it failed.
function tap:ok(cond, name, diag)
	self.n = self.n + 1
	print((cond and "ok " or "not ok ") .. self.n .. " - " .. name)
	if not cond and diag ~= nil then
		print("# " .. tostring(diag))
	end
	return cond
end

-- got == want.
function tap:is(got, want, name)
	return self:ok(got == want, name, "got " .. show(got) .. ", want " .. show(want))
end

-- The exact values returned, their number included: t:shape(name, {n = 2, nil, "timeout"}, f())
function tap:shape(name, want, ...)
	local n = select("#", ...)
	local got = {...}
	local same = n == want.n
	for i = 1, (n > want.n) and n or want.n do
		if got[i] ~= want[i] then
			same = false
		end
	end
	local shown = {}
	for i = 1, n do
		shown[i] = show(got[i])
	end
	return self:ok(same, name, "got (" .. table.concat(shown, ", ") .. ")")
end

-- f() raises an error whose message contains `want` (plain text).
function tap:raises(f, want, name)
	local ok, err = pcall(f)
	if ok then
		return self:ok(false, name, "no error raised")
	end
	err = tostring(err)
	return self:ok(string.find(err, want, 1, true) ~= nil, name,
		"error was: " .. err .. "; expected it to contain: " .. want)
end

-- f() raises exactly the value `want`.
function tap:raisesvalue(f, want, name)
	local ok, err = pcall(f)
	return self:ok(not ok and rawequal(err, want), name, "raised " .. show(err))
end

-- A result that does not apply here.
function tap:skip(name, reason)
	self.n = self.n + 1
	print("ok " .. self.n .. " - " .. name .. " # SKIP " .. reason)
end

-- The plan, last.
function tap:done()
	print("1.." .. self.n)
end

-- Packs results with their count.
function tap.pack(...)
	return {n = select("#", ...), ...}
end

return tap
