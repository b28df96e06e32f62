-- recursive_get.lua — a get that follows a pointer to another replica of the same key, and
-- shows Comet's no-recursion rule (Comet paper: recursive gets are not allowed).
--
-- put (ASO): args {value = "...", pointer = "<node id>"} (pointer optional: default is the last
--   neighbour in comet.lookup() that is not this node).
-- get from a client: this replica does comet.get(own key, {pointer}) and answers
--   {node = <this node>, followed = <pointer>, ok = <reply ok>, answer = <the callee's answer>,
--    error = <the reply's error, if any>}.
--   The callee (caller.node ~= nil) tries to follow the pointer again; comet.get raises the
--   no-recursion error, which it catches and returns as answer.recursionError:
--   answer = {node = <callee>, value = <its value>, recursionError = "...not allowed..."}.
-- Read with r = 1 (or point away from the reading replicas): two replicas that serve the same
-- get and point at each other would wait for each other.
aso.value = ""
aso.pointer = nil

function aso:onPut(caller)
  local a = caller.args or {}
  if a.value ~= nil then self.value = tostring(a.value) end
  if type(a.pointer) == "string" then self.pointer = a.pointer end
end

local function target(self)
  local nodes = comet.lookup()
  local me = comet.getNodeID()
  if self.pointer and self.pointer ~= me then return self.pointer end
  for i = #nodes, 1, -1 do
    if nodes[i] ~= me then return nodes[i] end
  end
  return nil
end

function aso:onGet(caller)
  if caller.node then
    -- A request from another replica: try to recurse; the sandbox refuses.
    local ok, err = pcall(comet.get, comet.getASOKey(), {self.pointer or caller.node})
    return {node = comet.getNodeID(), value = self.value, recursionError = (not ok) and tostring(err) or nil}
  end
  local node = target(self)
  if node == nil then return {node = comet.getNodeID(), error = "no other neighbour"} end
  local reply = comet.get(comet.getASOKey(), {node}, {hop = 1})[1]
  return {node = comet.getNodeID(), followed = node, ok = reply.ok, answer = reply.value, error = reply.error}
end
