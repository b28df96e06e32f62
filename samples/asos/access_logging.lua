-- access_logging.lua — a value that records who read it (Comet paper: access logging).
--
-- put (ASO): args {value = "...", max = <entries kept, default 10>}.
-- get: every get appends {ip = caller.ip, id = caller.id, time = <ms>} to the log, keeping only
--   the last `max` entries (each replica logs the gets it serves).
--   Without args → the value. With args {log = true} → {value = ..., log = [entries, oldest first],
--   total = <gets ever served by this replica>}.
aso.value = ""
aso.max = 10
aso.log = {}
aso.total = 0

function aso:onPut(caller)
  local a = caller.args or {}
  if a.value ~= nil then self.value = tostring(a.value) end
  if tonumber(a.max) then self.max = math.max(1, math.floor(tonumber(a.max))) end
end

function aso:onGet(caller)
  local log = self.log
  log[#log + 1] = {ip = caller.ip or "?", id = caller.id, time = comet.getSystemTime()}
  while #log > self.max do table.remove(log, 1) end
  self.total = self.total + 1
  if caller.args and caller.args.log then
    return {value = self.value, log = log, total = self.total}
  end
  return self.value
end
