-- one_time_value.lua — a value that can be read exactly once (Comet paper: one-time values).
--
-- Use: edit aso.value below (or send args {value = "..."} with the ASO put), then store the file
-- as an ASO, e.g. via REST:
--   curl -X PUT -H 'Content-Type: application/x-lua' --data-binary @one_time_value.lua \
--        http://127.0.0.1:8080/v1/default/keys/secret
-- get: the first get returns aso.value (a JSON string) and the object deletes itself on every
--      replica that served it; any later get answers 404 (NotFound).
-- put: any later put of a new value/object is rejected (the secret cannot be replaced); a delete
--      is allowed.
aso.value = "The eagle lands at midnight."

function aso:onPut(caller)
  if caller.args and caller.args.value ~= nil then self.value = tostring(caller.args.value) end
end

function aso:onGet(caller)
  comet.deleteSelf()
  return self.value
end

function aso:onUpdate(caller, incoming)
  if incoming.deleted then return true end
  return false, "a one-time value cannot be replaced"
end
