-- wrk script for the CometGrains REST gateway: random keys out of a preloaded set, GETs and PUTs in a given mix.
--   wrk -t2 -c64 -d10s --latency -s bench/rest/keys.lua http://127.0.0.1:8080 -- PREFIX KIND [KEYS] [READ%] [QUERY] [VALUE_BYTES] [NS]
-- PREFIX-KIND-0 .. PREFIX-KIND-(KEYS-1) must exist (Comet.Load --preload-rest PREFIX stores kinds v1, v3, a1, a3).
-- QUERY is appended to every request, e.g. "?n=1&r=1&w=1" for the N=1 keys; empty: the namespace's N/R/W.
-- READ% (default 100) of the requests are GETs, the rest PUTs of VALUE_BYTES (default 100) random-ish bytes.
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  prefix = args[1] or "rest"
  kind = args[2] or "v3"
  keys = tonumber(args[3] or "1000")
  readpct = tonumber(args[4] or "100")
  query = args[5] or ""
  local size = tonumber(args[6] or "100")
  ns = args[7] or "default"
  body = string.rep("0123456789abcdef", math.ceil(size / 16)):sub(1, size)
  headers = { ["Content-Type"] = "application/octet-stream" }
  math.randomseed(os.time() * 1000 + (id or 0) * 7919)
  base = "/v1/" .. ns .. "/keys/" .. prefix .. "-" .. kind .. "-"
end

function request()
  local path = base .. math.random(0, keys - 1) .. query
  if readpct >= 100 or math.random(100) <= readpct then
    return wrk.format("GET", path)
  end
  return wrk.format("PUT", path, headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT req/s=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.1f requests=%d socket_errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.requests, e.connect + e.read + e.write + e.timeout, e.status))
end
