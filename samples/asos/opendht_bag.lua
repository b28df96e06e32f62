-- opendht_bag.lua — OpenDHT's put/get/remove semantics on one key: a bag of values, each with
-- its own lifetime (Comet paper: emulating OpenDHT).
--
-- put: a passive put of a value with args {ttl = <seconds>, secret = "..."} (both optional;
--   ttl defaults to 3600 s and is capped at 604800 s, OpenDHT's maximum) appends the value
--   with its own expiry (absorbed: "keep"). Putting the same value again refreshes its expiry.
-- remove: a passive put (any value) with args {remove = "<value>", secret = "<s>"} removes the
--   entries of that value that were stored with the same secret (only its hash is kept).
-- get: every live value, oldest first, as an array of strings (expired ones are dropped).
--   args {details = true} → [{value =, expiresAt = <ms>}, ...].
aso.defaultTtl = 3600
aso.maxTtl = 604800
aso.maxEntries = 64
aso.entries = {}   -- {value =, exp = <ms>, owner = <hash of the secret> or nil}

local function hash(s)
  local h = 2166136261
  for i = 1, #s do h = ((h ~ s:byte(i)) * 16777619) & 0xffffffff end
  return string.format("%08x", h)
end

local function purge(self, now)
  local kept = {}
  for _, e in ipairs(self.entries) do
    if e.exp > now then kept[#kept + 1] = e end
  end
  self.entries = kept
end

function aso:onUpdate(caller, incoming)
  local k = next(incoming)
  if not (k == "value" and next(incoming, k) == nil) then return true end  -- delete / new object
  local a = caller.args or {}
  local now = comet.getSystemTime()
  purge(self, now)
  local owner = type(a.secret) == "string" and hash(a.secret) or nil
  if a.remove ~= nil then
    if owner == nil then return false, "remove needs args.secret" end
    local kept = {}
    for _, e in ipairs(self.entries) do
      if not (e.value == tostring(a.remove) and e.owner == owner) then kept[#kept + 1] = e end
    end
    self.entries = kept
    return "keep"
  end
  local ttl = tonumber(a.ttl) or self.defaultTtl
  if ttl <= 0 then ttl = self.defaultTtl end
  if ttl > self.maxTtl then ttl = self.maxTtl end
  local exp = now + math.floor(ttl * 1000)
  for _, e in ipairs(self.entries) do
    if e.value == incoming.value and e.owner == owner then
      e.exp = exp
      return "keep"
    end
  end
  if #self.entries >= self.maxEntries then return false, "bag is full" end
  self.entries[#self.entries + 1] = {value = incoming.value, exp = exp, owner = owner}
  return "keep"
end

function aso:onGet(caller)
  local now = comet.getSystemTime()
  local details = caller.args and caller.args.details
  local out = {}
  for _, e in ipairs(self.entries) do
    if e.exp > now then
      out[#out + 1] = details and {value = e.value, expiresAt = e.exp} or e.value
    end
  end
  return out
end
