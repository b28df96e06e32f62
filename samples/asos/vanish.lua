-- vanish.lua — security-enhanced replication in the style of Vanish (Comet paper): the object
-- picks its own replica set among the key's neighbours and pushes its data there itself.
--
-- put (ASO): args {value = "...", copies = <replicas to choose, default 2>,
--   period = <seconds between pushes, default 10>, salt = "..."} (salt picks a different,
--   still deterministic, replica set; default: the key). The choice is a rendezvous hash of
--   salt and node id over comet.lookup(), so every replica chooses the same set.
-- Every period the pushing replica (the first node of comet.lookup(); only it pushes, so two
--   replicas never wait on each other) sends its data with comet.put to the chosen nodes other
--   than itself. A replica that receives a push records receivedFrom/receivedAt.
-- get: {value =, chosen = [node ids], pushes = <pushes sent by this replica>,
--   lastPush = {<node> = ok?}, receivedFrom = <node or nil>}.
aso.value = ""
aso.copies = 2
aso.timerPeriod = 10
aso.salt = ""
aso.chosen = {}
aso.pushes = 0
aso.lastPush = {}

local function fnv(s)
  local h = 2166136261
  for i = 1, #s do h = ((h ~ s:byte(i)) * 16777619) & 0xffffffff end
  return h
end

local function choose(self, nodes)
  local salt = self.salt ~= "" and self.salt or comet.getASOKey()
  local ranked = {}
  for _, id in ipairs(nodes) do ranked[#ranked + 1] = {id = id, score = fnv(salt .. "|" .. id)} end
  table.sort(ranked, function(a, b)
    if a.score ~= b.score then return a.score > b.score end
    return a.id < b.id
  end)
  local chosen = {}
  for i = 1, math.min(self.copies, #ranked) do chosen[i] = ranked[i].id end
  return chosen
end

function aso:onPut(caller)
  if caller.node then                      -- a push from another replica
    self.receivedFrom = caller.node
    self.receivedAt = comet.getSystemTime()
    return true
  end
  local a = caller.args or {}
  if a.value ~= nil then self.value = tostring(a.value) end
  if tonumber(a.copies) then self.copies = math.max(1, math.floor(tonumber(a.copies))) end
  if tonumber(a.period) then self.timerPeriod = math.max(1, tonumber(a.period)) end
  if type(a.salt) == "string" then self.salt = a.salt end
end

function aso:onTimer()
  local nodes = comet.lookup()
  local me = comet.getNodeID()
  self.chosen = choose(self, nodes)
  if nodes[1] ~= me then return end
  local targets = {}
  for _, id in ipairs(self.chosen) do
    if id ~= me then targets[#targets + 1] = id end
  end
  if #targets == 0 then return end
  self.pushes = self.pushes + 1
  local data = {}
  for k, v in pairs(self) do
    if type(v) ~= "function" then data[k] = v end
  end
  -- The pushed data replaces the receiver's data fields wholesale: send every field it needs.
  data.receivedFrom, data.receivedAt = nil, nil
  data.pushes, data.lastPush = 0, {}
  local result = {}
  for _, r in ipairs(comet.put(comet.getASOKey(), data, targets)) do result[r.node] = r.ok end
  self.lastPush = result
end

function aso:onGet(caller)
  return {value = self.value, chosen = self.chosen, pushes = self.pushes,
          lastPush = self.lastPush, receivedFrom = self.receivedFrom}
end
