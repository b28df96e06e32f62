-- password_access.lua — a value only readable and writable with a password (Comet paper:
-- password-based access). Only a salted FNV-1a hash of the password is stored.
--
-- put (ASO): args {password = "...", value = "..."} (password required, else rejected).
-- get: args {password = "..."} → the value; a wrong or missing password fails the get
--   ("access denied", HandlerError).
-- put (passive value): args {password = "..."} → replaces the value (absorbed: "keep");
--   a wrong password rejects the put (Rejected). Deletes and new objects need the password too.
aso.value = ""
aso.hash = ""

-- 32-bit FNV-1a over the bytes of s, as 8 hex digits.
local function fnv1a(s)
  local h = 2166136261
  for i = 1, #s do
    h = ((h ~ s:byte(i)) * 16777619) & 0xffffffff
  end
  return string.format("%08x", h)
end

-- Salted with the key and stretched a little, so equal passwords differ between keys.
local function hash(password)
  local h = fnv1a(comet.getASOKey() .. "\0" .. password)
  for _ = 1, 16 do h = fnv1a(h .. password) end
  return h
end

local function allowed(self, caller)
  local p = caller.args and caller.args.password
  return type(p) == "string" and hash(p) == self.hash
end

function aso:onPut(caller)
  if caller.node then return true end                  -- a copy from a neighbour replica
  local a = caller.args or {}
  if type(a.password) ~= "string" or a.password == "" then
    return false, "args.password is required"
  end
  self.hash = hash(a.password)
  if a.value ~= nil then self.value = tostring(a.value) end
end

function aso:onGet(caller)
  if not allowed(self, caller) then error("access denied: wrong or missing password", 0) end
  return self.value
end

function aso:onUpdate(caller, incoming)
  if not allowed(self, caller) then return false, "access denied: wrong or missing password" end
  local k = next(incoming)
  if k == "value" and next(incoming, k) == nil then
    self.value = incoming.value
    return "keep"
  end
  return true
end
