-- pubsub.lua — a publish/subscribe topic (Comet paper: pub/sub).
--
-- publish: a passive put of the message to the topic's key (optional args {from = "..."}).
--   onUpdate appends {seq = n, time = <ms>, data = <message>, from = ...} and returns "keep",
--   so the topic absorbs the put. Only the last `max` messages are kept (args {max = n} on the
--   ASO put, default 50).
-- get: args {since = n} (default 0) → {seq = <last sequence number>, messages = [messages with
--   seq > n, oldest first]}. A subscriber polls with since = the last seq it saw.
aso.seq = 0
aso.max = 50
aso.messages = {}

function aso:onPut(caller)
  local a = caller.args or {}
  if tonumber(a.max) then self.max = math.max(1, math.floor(tonumber(a.max))) end
end

function aso:onUpdate(caller, incoming)
  local k = next(incoming)
  if not (k == "value" and next(incoming, k) == nil) then return true end  -- delete / new object
  self.seq = self.seq + 1
  local m = self.messages
  m[#m + 1] = {seq = self.seq, time = comet.getSystemTime(), data = incoming.value,
               from = caller.args and caller.args.from or caller.id}
  while #m > self.max do table.remove(m, 1) end
  return "keep"
end

function aso:onGet(caller)
  local since = tonumber(caller.args and caller.args.since) or 0
  local out = {}
  for _, msg in ipairs(self.messages) do
    if msg.seq > since then out[#out + 1] = msg end
  end
  return {seq = self.seq, messages = out}
end
