-- The sandbox's string.find/match/gmatch/gsub (SANDBOX.md E5), loaded lazily by the setup
-- chunk on first use. Matching runs in the host's step-counted matcher pmatch(s, p, init,
-- flags, lastmatch), which answers with integers only: start, end, ncap, then (start, length)
-- per capture (length -1 for a position capture, -3 for an unfinished one); 0 for no match;
-- -1/-2 for a tripped instruction/time guard; -(10 + code), arg for a malformed pattern.
-- Every function comes from the setup chunk's private copies: by the time this chunk loads,
-- user code may have replaced anything in the global or string tables.
local stop, pmatch, checkstr, checkint, argerror,
      type, error, select, tostring, str_sub, str_byte, str_format, str_find, tconcat = ...

local PATTERN_ERRORS = {
  [2] = "malformed pattern (ends with '%%')",
  [3] = "malformed pattern (missing ']')",
  [4] = "malformed pattern (missing arguments to '%%b')",
  [5] = "missing '[' after '%%f' in pattern",
  [6] = "invalid capture index %%%d",
  [7] = "invalid pattern capture",
  [8] = "too many captures",
  [9] = "pattern too complex",
}
local FLAG_ANCHOR, FLAG_PLAIN, FLAG_AUTOPLAIN = 1, 2, 4

-- Raises the error behind a negative pmatch answer. level names the user's call of the
-- wrapper: 3 through find/match/gmatch (whose result helpers are tail calls), 4 through gsub.
local function pfail(r, arg, level)
  if r > -10 then stop(-r) end
  error(str_format(PATTERN_ERRORS[-r - 10] or "malformed pattern", arg or 0), level)
end

local function capture(s, cs, cl)
  if cl == -1 then return cs end
  if cl == -3 then error("unfinished capture", 0) end
  return str_sub(s, cs, cs + cl - 1)
end

-- The values of captures 1..n, given as (start, length) pairs.
local function captures(s, n, cs, cl, ...)
  if n == 0 then return end
  local v = capture(s, cs, cl)
  if n == 1 then return v end
  return v, captures(s, n - 1, ...)
end

local function findresult(s, r, e, n, ...)
  if r == 0 then return nil end
  if r < 0 then pfail(r, e, 3) end
  if n == 0 then return r, e end
  return r, e, captures(s, n, ...)
end

local function matchresult(s, r, e, n, ...)
  if r == 0 then return nil end
  if r < 0 then pfail(r, e, 3) end
  if n == 0 then return str_sub(s, r, e) end
  return captures(s, n, ...)
end

local lib = {}

lib.find = function(s, p, init, plain)
  s = checkstr(s, 1, "find"); p = checkstr(p, 2, "find")
  init = checkint(init, 1, 3, "find")
  return findresult(s, pmatch(s, p, init, plain and FLAG_PLAIN or (FLAG_ANCHOR + FLAG_AUTOPLAIN), -1))
end

lib.match = function(s, p, init)
  s = checkstr(s, 1, "match"); p = checkstr(p, 2, "match")
  init = checkint(init, 1, 3, "match")
  return matchresult(s, pmatch(s, p, init, FLAG_ANCHOR, -1))
end

lib.gmatch = function(s, p, init)
  s = checkstr(s, 1, "gmatch"); p = checkstr(p, 2, "gmatch")
  local pos = checkint(init, 1, 3, "gmatch")
  local last, done = -1, false
  local function step(r, e, n, ...)
    if r == 0 then done = true; return nil end
    if r < 0 then pfail(r, e, 3) end
    pos, last = e + 1, e
    if n == 0 then return str_sub(s, r, e) end
    return captures(s, n, ...)
  end
  return function()
    if done then return nil end
    return step(pmatch(s, p, pos, 0, last))
  end
end

-- A replacement string split at its '%' escapes: literal pieces and capture numbers.
local function template(repl)
  local parts, np, start = {}, 0, 1
  local i = str_find(repl, "%", 1, true)
  while i do
    if i > start then np = np + 1; parts[np] = str_sub(repl, start, i - 1) end
    local c = str_byte(repl, i + 1)
    if c == 37 then np = np + 1; parts[np] = "%"
    elseif c and c >= 48 and c <= 57 then np = np + 1; parts[np] = c - 48
    else error("invalid use of '%' in replacement string", 4) end
    start = i + 2
    i = str_find(repl, "%", start, true)
  end
  if start <= #repl then np = np + 1; parts[np] = str_sub(repl, start) end
  return parts, np
end

local function onecapture(s, r, e, n, idx, ...)
  if idx == 0 or (idx == 1 and n == 0) then return str_sub(s, r, e) end
  if idx > n then error(str_format("invalid capture index %%%d", idx), 4) end
  local cs, cl = select(2 * idx - 1, ...)
  local v = capture(s, cs, cl)
  if cl == -1 then return tostring(v) end
  return v
end

lib.gsub = function(s, p, repl, max_n)
  s = checkstr(s, 1, "gsub"); p = checkstr(p, 2, "gsub")
  local tr = type(repl)
  if tr == "number" then repl = tostring(repl); tr = "string" end
  if tr ~= "string" and tr ~= "table" and tr ~= "function" then
    argerror(3, "gsub", "string/function/table expected, got " .. (repl == nil and "no value" or tr))
  end
  local len = #s
  local maxn = checkint(max_n, len + 1, 4, "gsub")
  local anchor = str_byte(p, 1) == 94
  local out, no, n, pos, last = {}, 0, 0, 1, -1
  local parts, np
  local function apply(r, e, nc, ...)
    if r == 0 then return false end
    if r < 0 then pfail(r, e, 4) end
    if r > pos then no = no + 1; out[no] = str_sub(s, pos, r - 1) end
    local v
    if tr == "string" then
      if parts == nil then parts, np = template(repl) end
      if np == 1 and type(parts[1]) == "string" then v = parts[1]
      else
        local buf = {}
        for i = 1, np do
          local part = parts[i]
          if type(part) == "number" then part = onecapture(s, r, e, nc, part, ...) end
          buf[i] = part
        end
        v = tconcat(buf, "", 1, np)
      end
    else
      if tr == "table" then
        v = repl[nc == 0 and str_sub(s, r, e) or capture(s, ...)]
      elseif nc == 0 then
        v = repl(str_sub(s, r, e))
      else
        v = repl(captures(s, nc, ...))
      end
      if not v then v = str_sub(s, r, e)
      elseif type(v) == "number" then v = tostring(v)
      elseif type(v) ~= "string" then error("invalid replacement value (a " .. type(v) .. ")", 3) end
    end
    no = no + 1; out[no] = v
    n = n + 1
    pos, last = e + 1, e
    return true
  end
  while n < maxn do
    if not apply(pmatch(s, p, pos, FLAG_ANCHOR, last)) then break end
    if anchor then break end
  end
  if pos <= len then no = no + 1; out[no] = str_sub(s, pos, len) end
  return tconcat(out, "", 1, no), n
end

return lib
