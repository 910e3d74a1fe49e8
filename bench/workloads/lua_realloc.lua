-- SPDX-License-Identifier: MIT
--
-- lua-realloc: a realloc-heavy Lua program, for the "programs" group of
-- scripts/bench (run by the Lua interpreter under each allocator). It
-- follows no published benchmark; it does what interpreters do to an
-- allocator. The Lua interpreter allocates everything through one function
-- that calls realloc (a new block: realloc(NULL, n); a freed one: free), so
-- every allocation below is a realloc:
--
--   tables   arrays appended to one element at a time (the array part
--            doubles: a realloc of a growing block), of lengths 1 to 5000
--   strings  strings built from pieces with table.concat, string.format,
--            string.rep and gsub (Lua's string buffer grows by realloc too),
--            and incremental concatenation (s = s .. piece: a new, longer
--            string each time, the old one garbage)
--   hashes   tables keyed by strings, filled and emptied (the hash part is
--            rebuilt as it grows), and many small short-lived tables for
--            the collector
--
-- Every phase checks what it built (lengths, sums, counts) against figures
-- computed apart, and exits with status 1 on a mismatch.
--
-- Usage: lua lua_realloc.lua [SCALE]   (1: about 1 to 3 s under glibc)
-- Output: `RESULT lua-realloc operations N ops` (N: table elements,
-- string pieces and keys made).

local scale = tonumber(arg and arg[1]) or 1
local ops = 0
local checksum = 0

local function fail(msg)
  io.stderr:write("lua-realloc: FAIL: " .. msg .. "\n")
  os.exit(1)
end

local function rounds(n)
  local r = math.floor(n * scale + 0.5)
  if r < 1 then r = 1 end
  return r
end

-- Arrays grown one element at a time.
local function tables(n)
  for r = 1, n do
    local len = 1 + (r * 7919) % 5000
    local t = {}
    for i = 1, len do
      t[#t + 1] = i * 2
    end
    if #t ~= len or t[len] ~= 2 * len then
      fail("table of " .. len .. " elements holds " .. #t)
    end
    local sum = 0
    for i = 1, len, 97 do
      sum = sum + t[i]
    end
    checksum = (checksum + sum) % 1000000007
    ops = ops + len
  end
end

-- Strings from pieces: format, rep, concat, gsub.
local function strings(n)
  for r = 1, n do
    local m = 50 + (r * 31) % 400
    local parts, want = {}, 0
    local runs = 0
    for i = 1, m do
      local k = i % 17
      parts[i] = string.format("%d:%s", i, string.rep("x", k))
      want = want + #tostring(i) + 1 + k
      if k > 0 then runs = runs + 1 end
    end
    local s = table.concat(parts, ",")
    want = want + (m - 1)
    if #s ~= want then
      fail("concatenation of " .. m .. " pieces: " .. #s .. " bytes, expected " .. want)
    end
    local s2, count = s:gsub("x+", function(x) return "<" .. #x .. ">" end)
    if count ~= runs then
      fail("gsub replaced " .. count .. " runs, expected " .. runs)
    end
    checksum = (checksum + #s2) % 1000000007
    ops = ops + m
  end
end

-- Incremental concatenation: each step a new, longer string.
local function grow(n)
  for r = 1, n do
    local len = 200 + (r * 13) % 1800
    local s = ""
    for i = 1, len do
      s = s .. string.char(97 + i % 26)
    end
    if #s ~= len or s:byte(len) ~= 97 + len % 26 then
      fail("grown string of " .. #s .. " bytes, expected " .. len)
    end
    ops = ops + len
  end
end

-- Hash tables keyed by strings, filled then emptied; small tables.
local function hashes(n)
  for r = 1, n do
    local h, count = {}, 0
    local m = 100 + (r * 17) % 3000
    for i = 1, m do
      h["k" .. i .. "_" .. r] = {i, r}
    end
    for i = 1, m, 2 do
      h["k" .. i .. "_" .. r] = nil
    end
    for _, v in pairs(h) do
      if v[2] ~= r or v[1] % 2 ~= 0 then fail("hash entry " .. v[1] .. " survived") end
      count = count + 1
    end
    if count ~= m // 2 then
      fail("hash holds " .. count .. " entries, expected " .. m // 2)
    end
    checksum = (checksum + count) % 1000000007
    ops = ops + m
  end
end

tables(rounds(2000))
strings(rounds(3000))
grow(rounds(600))
hashes(rounds(600))

print(string.format("# lua-realloc: scale %g, checksum %d (the same under every allocator)",
                    scale, checksum))
print(string.format("RESULT lua-realloc operations %d ops", ops))
