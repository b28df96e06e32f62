-- comet.lookup/get/put, loaded lazily by the setup chunk on first use. Each yields a request
-- tagged with the private marker; the host awaits the neighbour call and resumes with
-- (true, answer) or (false, message). Errors are raised here, in Lua, never from the host.
local yield, MARKER, blocked, KEY, type, error = ...

local OP_LOOKUP, OP_GET, OP_PUT = 1, 2, 3

-- level 3: ask's caller is comet.x, whose caller is the user's code.
local function ask(op, a, b)
  local ok, answer = yield(MARKER, op, a, b)
  if not ok then error(answer, 3) end
  return answer
end

local function check(k, nodes, fname)
  local why = blocked()
  if why then error(why, 3) end
  if k ~= KEY then error(fname .. ": only this object's own key", 3) end
  if type(nodes) ~= "table" then
    error(fname .. ": nodes must be a list of node ids from comet.lookup()", 3)
  end
end

local lib = {}

lib.lookup = function()
  local why = blocked()
  if why then error(why, 2) end
  local nodes = ask(OP_LOOKUP)
  return nodes
end

lib.get = function(k, nodes, args)
  check(k, nodes, "comet.get")
  local replies = ask(OP_GET, nodes, args)
  return replies
end

lib.put = function(k, data, nodes)
  check(k, nodes, "comet.put")
  if data == nil then error("comet.put: data must not be nil", 2) end
  local replies = ask(OP_PUT, nodes, data)
  return replies
end

return lib
