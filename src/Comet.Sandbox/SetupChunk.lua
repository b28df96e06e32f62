-- The private half of the ASO sandbox (SANDBOX.md). Runs once per Lua state, as trusted code,
-- before any user code. Everything privileged (debug.sethook, coroutine.yield, the original
-- library functions, the host's C functions) is captured in locals here and never stored where
-- user code can reach it. Returns the handler runner and the private yield marker.
local G, strlib, tablib, colib, dblib,
      charge, now, deleteSelf, pmatch, loadchunk, openlib,
      KEY, NODE_ID, NODE_IP, INTERVAL = ...

local type, error, rawget, rawset, select, tostring, tonumber, next =
      G.type, G.error, G.rawget, G.rawset, G.select, G.tostring, G.tonumber, G.next
local setmetatable, getmetatable = G.setmetatable, G.getmetatable
local yield, sethook = colib.yield, dblib.sethook
local str_sub, str_byte, str_rep, str_format, str_find =
      strlib.sub, strlib.byte, strlib.rep, strlib.format, strlib.find
local tmove, tconcat, tunpack = tablib.move, tablib.concat, tablib.unpack

-- math.tointeger without the math library (which loads lazily): integers stay, floats with an
-- exact integer value and numeric strings convert, anything else is nil.
local function tointeger(v)
  if type(v) == "string" then v = tonumber(v) end
  if type(v) ~= "number" then return nil end
  local i = v // 1
  if i == v and i >= -0x7fffffffffffffff - 1 and i <= 0x7fffffffffffffff then
    return i | 0
  end
  return nil
end

---------------------------------------------------------------------------------------------
-- Instruction and time guard. A Lua-written count hook (a C# hook could not raise an error).
-- On a trip it first sets its own count to 1, so a script that catches the error with pcall
-- is stopped again on its very next instruction. The host keeps the trip sticky for the call.
---------------------------------------------------------------------------------------------
local LIMIT_ERRORS = { "instruction limit exceeded", "time limit exceeded" }
local hook
local function stop(code)
  sethook(hook, "", 1)
  error(LIMIT_ERRORS[code] or "limit exceeded", 0)
end
hook = function()
  local code = charge(INTERVAL)
  if code ~= 0 then stop(code) end
end

---------------------------------------------------------------------------------------------
-- Globals: a whitelist of the base library, then the sandboxed libraries.
---------------------------------------------------------------------------------------------
local KEEP = {
  assert = true, error = true, ipairs = true, next = true, pairs = true, pcall = true,
  rawequal = true, rawget = true, rawlen = true, rawset = true, select = true,
  tonumber = true, tostring = true, type = true, getmetatable = true, _VERSION = true, _G = true,
}
local drop, ndrop = {}, 0
for name in next, G do
  if not KEEP[name] then ndrop = ndrop + 1; drop[ndrop] = name end
end
for i = 1, ndrop do rawset(G, drop[i], nil) end

-- __gc finalizers and __close handlers run with hooks off (E3); refuse them.
rawset(G, "setmetatable", function(t, mt)
  if type(mt) == "table" and (rawget(mt, "__gc") ~= nil or rawget(mt, "__close") ~= nil) then
    error("setmetatable: __gc and __close metamethods are not allowed in an ASO", 2)
  end
  return setmetatable(t, mt)
end)

-- level: 1 = argerror itself, so 3 names the user's call when a wrapper calls argerror
-- directly, and 4 when it goes through checkstr/checkint.
local function argerror(n, fname, msg, level)
  error(str_format("bad argument #%d to '%s' (%s)", n, fname, msg), level or 3)
end

local function checkstr(v, n, fname)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then return tostring(v) end
  argerror(n, fname, "string expected, got " .. (v == nil and "no value" or t), 4)
end

local function checkint(v, default, n, fname)
  if v == nil and default ~= nil then return default end
  local i = tointeger(v)
  if i == nil then
    if type(v) == "number" or (type(v) == "string" and tonumber(v)) then
      argerror(n, fname, "number has no integer representation", 4)
    end
    argerror(n, fname, "number expected, got " .. (v == nil and "no value" or type(v)), 4)
  end
  return i
end

-- Parts of the library most objects never use load on first use, from chunks the host
-- compiled once (loadchunk); math and utf8 are opened on first use (openlib). This keeps a
-- resident object's heap small. A library table gets a protected metatable whose __index
-- loads the missing part (load(k) answers a table of functions) and stores it in the table,
-- after which __index is not reached again for those names.
local function lazy(tbl, names, load)
  setmetatable(tbl, { __metatable = false, __index = function(t, k)
    if names[k] then
      local lib = load(k)
      for name, f in next, lib do
        if names[name] then rawset(t, name, f) end
      end
      return lib[k]
    end
  end })
end

local function chunk(id, ...)
  local f = loadchunk(id)
  if f == nil then error("not enough memory", 0) end
  return f(...)
end

---------------------------------------------------------------------------------------------
-- string: no dump; rep/find/match/gmatch/gsub bounded (E5). Pattern matching runs in the
-- host's step-counted matcher (pmatch), whose steps are charged to the instruction budget
-- (PatternChunk.lua).
---------------------------------------------------------------------------------------------
strlib.dump = nil
strlib.find, strlib.match, strlib.gmatch, strlib.gsub = nil, nil, nil, nil

strlib.rep = function(s, n, sep)
  s = checkstr(s, 1, "rep")
  n = checkint(n, nil, 2, "rep")
  if sep ~= nil then sep = checkstr(sep, 3, "rep") end
  -- An empty piece repeated 1e9 times is "" but costs seconds of C time with no instruction.
  -- Anything longer is bounded by the heap budget: the result is allocated before the copying.
  if #s == 0 and (sep == nil or #sep == 0) then return "" end
  return str_rep(s, n, sep)
end

lazy(strlib, { find = true, match = true, gmatch = true, gsub = true }, function()
  return chunk(1, stop, pmatch, checkstr, checkint, argerror,
    type, error, select, tostring, str_sub, str_byte, str_format, str_find, tconcat)
end)

-- Hide the string metatable; its __index is the sandboxed string table above.
getmetatable("").__metatable = false

---------------------------------------------------------------------------------------------
-- table: move charged per element, insert/remove in Lua (E5; TableChunk.lua).
---------------------------------------------------------------------------------------------
tablib.move, tablib.insert, tablib.remove = nil, nil, nil
lazy(tablib, { move = true, insert = true, remove = true }, function()
  return chunk(2, stop, charge, checkint, argerror, type, error, select, tointeger, tmove)
end)

---------------------------------------------------------------------------------------------
-- comet: the host API. lookup/get/put (NeighbourChunk.lua) yield to the host.
---------------------------------------------------------------------------------------------
local MARKER = {}
local blocked = nil
local FROM_ASO = "neighbour calls are not allowed in a request from another ASO"
local LOADING = "neighbour calls are not allowed while the object's code is loading"

local comet = {
  getSystemTime = now,
  deleteSelf = deleteSelf,
  getNodeIP = function() return NODE_IP end,
  getNodeID = function() return NODE_ID end,
  getASOKey = function() return KEY end,
}
lazy(comet, { lookup = true, get = true, put = true }, function()
  return chunk(3, yield, MARKER, function() return blocked end, KEY, type, error)
end)

rawset(G, "string", strlib)
rawset(G, "table", tablib)
rawset(G, "unpack", tunpack)
rawset(G, "comet", comet)
rawset(G, "aso", {})
lazy(G, { math = true, utf8 = true }, function(k)
  return { [k] = openlib(k == "math" and 1 or 2)() }
end)

---------------------------------------------------------------------------------------------
-- The runner: the body of every handler coroutine. On a new coroutine it arms the coroutine's
-- own hook first (a hook is per thread; E1; the host re-arms a reused one itself), then calls
-- aso:onX(...). which: 0 = run the user's chunk (passed as 'extra'), 1 = onPut, 2 = onGet,
-- 3 = onUpdate, 4 = onTimer.
---------------------------------------------------------------------------------------------
local NAMES = { "onPut", "onGet", "onUpdate", "onTimer" }

local function run(self, which, caller, extra, fromAso, armed)
  if not armed then sethook(hook, "", INTERVAL) end
  if which == 0 then
    blocked = LOADING
    return extra()
  end
  blocked = fromAso and FROM_ASO or nil
  local name = NAMES[which]
  local h = rawget(self, name)
  if h == nil then
    if which == 2 then return rawget(self, "value") end
    return true
  end
  if type(h) ~= "function" then error("aso." .. name .. " is not a function", 0) end
  if which == 3 then return h(self, caller, extra) end
  if which == 4 then return h(self) end
  return h(self, caller)
end

return run, MARKER
