-- The sandbox's table.move/insert/remove (SANDBOX.md E5), loaded lazily by the setup chunk on
-- first use. move is charged per element; insert and remove are written in Lua, so that a lying
-- __len, or the huge border of a sparse table, costs counted instructions instead of an
-- unbounded C loop. Every function comes from the setup chunk's private copies.
local stop, charge, checkint, argerror, type, error, select, tointeger, tmove = ...

local lib = {}

lib.move = function(a1, f, e, t, a2)
  local fi, ei = tointeger(f), tointeger(e)
  if fi and ei and ei >= fi then
    local code = charge((ei + 0.0) - fi + 1)
    if code ~= 0 then stop(code) end
  end
  return tmove(a1, f, e, t, a2)
end

local function lengthof(t, fname)
  if type(t) ~= "table" then
    argerror(1, fname, "table expected, got " .. (t == nil and "no value" or type(t)), 4)
  end
  local n = #t
  if tointeger(n) == nil then error("object length is not an integer", 3) end
  return n
end

lib.insert = function(t, ...)
  local e = lengthof(t, "insert") + 1
  local nargs = select("#", ...)
  if nargs == 1 then
    t[e] = ...
    return
  end
  if nargs ~= 2 then error("wrong number of arguments to 'insert'", 2) end
  local pos, v = ...
  pos = checkint(pos, nil, 2, "insert")
  if pos < 1 or pos > e then argerror(2, "insert", "position out of bounds") end
  for i = e, pos + 1, -1 do t[i] = t[i - 1] end
  t[pos] = v
end

lib.remove = function(t, pos)
  local size = lengthof(t, "remove")
  if pos == nil then
    pos = size
  else
    pos = checkint(pos, nil, 2, "remove")
    if pos ~= size and (pos < 1 or pos > size + 1) then argerror(2, "remove", "position out of bounds") end
  end
  local v = t[pos]
  while pos < size do
    t[pos] = t[pos + 1]
    pos = pos + 1
  end
  t[pos] = nil
  return v
end

return lib
