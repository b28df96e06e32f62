-- node_lifetimes.lua — measures how long nodes stay in this key's neighbourhood (Comet paper:
-- node lifetime measurement).
--
-- put (ASO): args {period = <seconds between samples, default 5>} optional.
-- Every period, onTimer (on each replica) records comet.lookup(): for each node id its first
-- and last time seen (ms) and how many samples saw it.
-- get: {samples = <count>, current = [node ids of the last sample],
--   nodes = {<node id> = {first =, last =, seen =, lifetime = last - first}}}.
aso.timerPeriod = 5
aso.samples = 0
aso.current = {}
aso.nodes = {}

function aso:onPut(caller)
  local p = caller.args and tonumber(caller.args.period)
  if p then self.timerPeriod = math.max(1, p) end
end

function aso:onTimer()
  local now = comet.getSystemTime()
  local nodes = comet.lookup()
  for _, id in ipairs(nodes) do
    local n = self.nodes[id]
    if n == nil then
      self.nodes[id] = {first = now, last = now, seen = 1}
    else
      n.last = now
      n.seen = n.seen + 1
    end
  end
  self.current = nodes
  self.samples = self.samples + 1
end

function aso:onGet(caller)
  local out = {}
  for id, n in pairs(self.nodes) do
    out[id] = {first = n.first, last = n.last, seen = n.seen, lifetime = n.last - n.first}
  end
  return {samples = self.samples, current = self.current, nodes = out}
end
