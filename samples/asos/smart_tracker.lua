-- smart_tracker.lua — a BitTorrent-style tracker that answers with the closest peers
-- (Comet paper: smart tracker, Vivaldi network coordinates).
--
-- join/refresh: a passive put to the key with args {ip = "1.2.3.4", coords = {x = .., y = ..}}
--   adds or updates that peer (the put is absorbed: "keep"; the tracker stays the object).
--   args {ip = "...", leave = true} removes the peer.
-- get: args {coords = {x = .., y = ..}, k = <default 3>} → the k peers closest to coords by
--   Euclidean distance in Vivaldi space, nearest first: [{ip =, x =, y =, distance =}, ...].
--   Without coords → every peer, sorted by ip.
aso.peers = {}     -- ip -> {x =, y =, seen = <ms>}
aso.maxPeers = 100   -- keeps the object well inside the 100 KB heap

function aso:onUpdate(caller, incoming)
  local k = next(incoming)
  local passive = k == "value" and next(incoming, k) == nil
  local a = caller.args
  if not passive or type(a) ~= "table" or type(a.ip) ~= "string" then
    return true                                        -- a delete or a new object replaces the tracker
  end
  if a.leave then
    self.peers[a.ip] = nil
    return "keep"
  end
  local c = a.coords
  if type(c) ~= "table" or not tonumber(c.x) or not tonumber(c.y) then
    return false, "args.coords = {x =, y =} is required"
  end
  if self.peers[a.ip] == nil then
    local n = 0
    for _ in pairs(self.peers) do n = n + 1 end
    if n >= self.maxPeers then return false, "tracker is full" end
  end
  self.peers[a.ip] = {x = tonumber(c.x), y = tonumber(c.y), seen = comet.getSystemTime()}
  return "keep"
end

function aso:onGet(caller)
  local list = {}
  for ip, p in pairs(self.peers) do list[#list + 1] = {ip = ip, x = p.x, y = p.y} end
  local c = caller.args and caller.args.coords
  if type(c) ~= "table" then
    table.sort(list, function(a, b) return a.ip < b.ip end)
    return list
  end
  local x, y = tonumber(c.x) or 0, tonumber(c.y) or 0
  for _, p in ipairs(list) do p.distance = math.sqrt((p.x - x) ^ 2 + (p.y - y) ^ 2) end
  table.sort(list, function(a, b)
    if a.distance ~= b.distance then return a.distance < b.distance end
    return a.ip < b.ip
  end)
  local k = math.floor(tonumber(caller.args.k) or 3)
  local out = {}
  for i = 1, math.min(k, #list) do out[i] = list[i] end
  return out
end
