-- hierarchical_pubsub.lua — pub/sub topics that form a tree (Comet paper: hierarchical pub/sub).
-- Store this ASO under every topic key, e.g. "news" and "news/sport".
--
-- publish: a passive put of the message to the topic key → appended with a sequence number
--   (absorbed: "keep"), like pubsub.lua.
-- register a sub-topic: a passive put to the PARENT with args {child = "news/sport"} (the value
--   is ignored) → the child's key is recorded; args {child = ..., remove = true} drops it.
--   (Publishing to "news/sport" is a put to that key; the client registers it in "news" once.)
-- get: args {since = n} → {topic = <key>, seq = <last seq>, messages = [seq > n],
--   children = [sub-topic keys, sorted]}. A subscriber walks the tree by getting each child.
aso.seq = 0
aso.max = 50
aso.messages = {}
aso.children = {}   -- child key -> true

function aso:onUpdate(caller, incoming)
  local k = next(incoming)
  if not (k == "value" and next(incoming, k) == nil) then return true end  -- delete / new object
  local a = caller.args or {}
  if type(a.child) == "string" then
    if a.remove then self.children[a.child] = nil else self.children[a.child] = true end
    return "keep"
  end
  self.seq = self.seq + 1
  local m = self.messages
  m[#m + 1] = {seq = self.seq, time = comet.getSystemTime(), data = incoming.value}
  while #m > self.max do table.remove(m, 1) end
  return "keep"
end

function aso:onGet(caller)
  local since = tonumber(caller.args and caller.args.since) or 0
  local out = {}
  for _, msg in ipairs(self.messages) do
    if msg.seq > since then out[#out + 1] = msg end
  end
  local children = {}
  for child in pairs(self.children) do children[#children + 1] = child end
  table.sort(children)
  return {topic = comet.getASOKey(), seq = self.seq, messages = out, children = children}
end
