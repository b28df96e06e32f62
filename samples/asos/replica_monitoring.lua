-- replica_monitoring.lua — watches which neighbours hold a replica of this key (Comet paper:
-- replica monitoring).
--
-- put (ASO): args {period = <seconds between probes, default 5>} optional.
-- Every period the monitoring replica (the first node of comet.lookup(), i.e. the key's
-- coordinator — only one replica probes, so two replicas never wait on each other) sends one
-- comet.get to every other neighbour. A neighbour that holds this object answers the probe
-- ({replica = <node>}); one that answers with nothing does not hold it; a failed call did not
-- answer.
-- get from a client: {monitor = <node that probes>, rounds = <probe rounds here>,
--   replicas = {<node> = {answered = bool, holds = bool, lastAnswer = <ms>, lastHeld = <ms>, error =}}}.
-- get from another replica (a probe): {replica = <this node>}.
aso.timerPeriod = 5
aso.rounds = 0
aso.monitor = ""
aso.replicas = {}

function aso:onPut(caller)
  local p = caller.args and tonumber(caller.args.period)
  if p then self.timerPeriod = math.max(1, p) end
end

function aso:onTimer()
  local nodes = comet.lookup()
  local me = comet.getNodeID()
  self.monitor = nodes[1] or ""
  if nodes[1] ~= me then return end
  local targets = {}
  for _, id in ipairs(nodes) do
    if id ~= me then targets[#targets + 1] = id end
  end
  if #targets == 0 then return end
  local now = comet.getSystemTime()
  self.rounds = self.rounds + 1
  for _, r in ipairs(comet.get(comet.getASOKey(), targets, {probe = true})) do
    local e = self.replicas[r.node] or {}
    e.answered = r.ok == true
    e.holds = r.ok == true and r.value ~= nil
    e.error = r.error
    if e.answered then e.lastAnswer = now end
    if e.holds then e.lastHeld = now end
    self.replicas[r.node] = e
  end
end

function aso:onGet(caller)
  if caller.node then return {replica = comet.getNodeID()} end
  return {monitor = self.monitor, rounds = self.rounds, replicas = self.replicas}
end
