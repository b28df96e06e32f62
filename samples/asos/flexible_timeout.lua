-- flexible_timeout.lua — a value that self-destructs after a lifetime the application chooses.
--
-- put (ASO): args {value = "...", lifetime = <seconds, default 60>}. The object sets aso.ttl
--   (the grid expires it lifetime seconds after the write) and, as a second line of defence,
--   its onTimer calls comet.deleteSelf() once the deadline has passed.
-- put (passive value, key already holds this ASO): args {lifetime = s} optional; the value
--   replaces aso.value and the deadline restarts (the put is absorbed: "keep").
-- get: {value = <value>, expiresAt = <ms since epoch>, remaining = <ms left>}; after the
--   deadline the key answers 404.
aso.value = ""
aso.lifetime = 60
aso.expiresAt = 0
aso.timerPeriod = 1

local function arm(self, lifetime)
  lifetime = tonumber(lifetime) or self.lifetime
  if lifetime < 1 then lifetime = 1 end
  self.lifetime = lifetime
  self.ttl = lifetime
  self.expiresAt = comet.getSystemTime() + math.floor(lifetime * 1000)
end

function aso:onPut(caller)
  local a = caller.args or {}
  if a.value ~= nil then self.value = tostring(a.value) end
  arm(self, a.lifetime)
end

function aso:onUpdate(caller, incoming)
  local k = next(incoming)
  if k == "value" and next(incoming, k) == nil then      -- a passive put: new value, new deadline
    self.value = incoming.value
    arm(self, caller.args and caller.args.lifetime)
    return "keep"
  end
  return true                                            -- a delete or a new object replaces us
end

function aso:onTimer()
  if comet.getSystemTime() >= self.expiresAt then comet.deleteSelf() end
end

function aso:onGet(caller)
  local left = self.expiresAt - comet.getSystemTime()
  if left <= 0 then
    comet.deleteSelf()
    return nil
  end
  return {value = self.value, expiresAt = self.expiresAt, remaining = left}
end
