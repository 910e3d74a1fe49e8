-- The lua test's workload (tests/apps/lua.sh): the interpreter's
-- allocator (lua_Alloc over realloc and free) under tables, strings,
-- closures, coroutines and the collector. Every printed line depends on
-- every object being intact, and none on addresses or on the order of
-- pairs() (which varies from run to run: the string hash is seeded).

-- A digest of a string: FNV-1a over its bytes, in 32 bits.
local function digest(s)
  local h = 2166136261
  for i = 1, #s do
    h = ((h ~ s:byte(i)) * 16777619) & 0xffffffff
  end
  return string.format("%08x", h)
end

local function sorted_keys(t)
  local k = {}
  for key in pairs(t) do k[#k + 1] = key end
  table.sort(k, function(a, b) return tostring(a) < tostring(b) end)
  return k
end

-- Park-Miller, exact in integers.
local seed = 20240601
local function rand(n)
  seed = (seed * 16807) % 2147483647
  return seed % n
end

-- 1. Binary trees, the classic of collector benchmarks: many short-lived
-- trees and one that lives throughout.
local function tree(depth)
  if depth == 0 then return {} end
  depth = depth - 1
  return { tree(depth), tree(depth) }
end
local function check(t)
  if t[1] then return 1 + check(t[1]) + check(t[2]) end
  return 1
end
local long_lived = tree(16)
for depth = 4, 16, 4 do
  local iterations, total = 1 << (18 - depth), 0
  for _ = 1, iterations do total = total + check(tree(depth)) end
  print(string.format("trees: depth %d, %d trees, %d nodes", depth, iterations, total))
end
print("long lived: " .. check(long_lived))

-- 2. Strings: formatted, concatenated, repeated, matched and substituted.
local parts = {}
for i = 1, 60000 do
  parts[i] = string.format("%d:%s:%x", i, string.rep(string.char(97 + i % 26), 1 + i % 17), i * 7919)
end
local text = table.concat(parts, " ")
local swapped = text:gsub("(%d+):(%a+)", "%2=%1")
local upper = swapped:gsub("%a+", function(w) return #w % 3 == 0 and w:upper() or nil end)
local count = select(2, text:gsub("%x%x%x%x", ""))
print("strings: " .. #text .. " " .. digest(text) .. " " .. digest(upper) .. " " .. count)

-- 3. A word index: a hash of arrays, filled, sorted, emptied again.
local index = {}
for w in upper:gmatch("%a+") do
  local k = w:sub(1, 3)
  local list = index[k]
  if not list then list = {}; index[k] = list end
  list[#list + 1] = w
end
local keys, acc = sorted_keys(index), {}
for _, k in ipairs(keys) do
  table.sort(index[k])
  acc[#acc + 1] = k .. #index[k] .. index[k][1]
end
print("index: " .. #keys .. " keys " .. digest(table.concat(acc, ",")))
for _, k in ipairs(keys) do
  if #k % 2 == 0 then index[k] = nil end
end
collectgarbage("collect")

-- 4. Records sorted on two keys with a comparator, then grouped.
local recs = {}
for i = 1, 100000 do
  recs[i] = { id = i, grp = rand(101), name = string.char(97 + rand(26), 97 + rand(26), 97 + rand(26)), val = rand(1000003) }
end
table.sort(recs, function(a, b)
  if a.name ~= b.name then return a.name < b.name end
  if a.val ~= b.val then return a.val > b.val end
  return a.id < b.id
end)
local ids = {}
for i = 1, #recs, 97 do ids[#ids + 1] = recs[i].id end
local groups = {}
for _, r in ipairs(recs) do
  local g = groups[r.grp] or { n = 0, sum = 0 }
  groups[r.grp] = g
  g.n, g.sum = g.n + 1, g.sum + r.val
end
local gs = {}
for g = 0, 100 do gs[#gs + 1] = g .. "=" .. groups[g].n .. "/" .. groups[g].sum end
print("records: " .. digest(table.concat(ids, ",")) .. " " .. digest(table.concat(gs, ";")))

-- 5. Objects with metatables, closures that keep them, weak tables that
-- let them go.
local Account = {}
Account.__index = Account
function Account.new(name, balance)
  return setmetatable({ name = name, balance = balance, log = {} }, Account)
end
function Account:deposit(v)
  self.balance = self.balance + v
  self.log[#self.log + 1] = "+" .. v
end
local accounts, weak = {}, setmetatable({}, { __mode = "v" })
for i = 1, 20000 do
  local a = Account.new("acct" .. i, i)
  for j = 1, i % 7 do a:deposit(j * i) end
  accounts[i] = function() return a.balance, #a.log end
  weak[i] = a
end
local total = 0
for i = 1, #accounts do total = total + accounts[i]() end
for i = 1, #accounts, 2 do accounts[i] = false end
collectgarbage("collect")
local alive = 0
for _, v in pairs(weak) do if v then alive = alive + 1 end end
print("objects: " .. total .. " " .. alive)

-- 6. Coroutines: a pipeline of generators, each with its own stack.
local function gen(n)
  return coroutine.wrap(function()
    for i = 1, n do coroutine.yield(i) end
  end)
end
local function filter(src, f)
  return coroutine.wrap(function()
    for v in src do if f(v) then coroutine.yield(v) end end
  end)
end
local function map(src, f)
  return coroutine.wrap(function()
    for v in src do coroutine.yield(f(v)) end
  end)
end
local sum, cos = 0, {}
for v in map(filter(gen(200000), function(v) return v % 3 ~= 0 end), function(v) return v * v % 1000 end) do
  sum = sum + v
end
for i = 1, 5000 do
  cos[i] = coroutine.create(function(a) local b = coroutine.yield(a * 2); return a + b end)
  coroutine.resume(cos[i], i)
end
local co_sum = 0
for i = 1, #cos do
  local _, v = coroutine.resume(cos[i], i)
  co_sum = co_sum + v
end
print("coroutines: " .. sum .. " " .. co_sum)

-- 7. string.pack over the records, and back.
local packed = {}
for i = 1, 30000 do packed[i] = string.pack("<i4s2", recs[i].val, recs[i].name) end
local blob = table.concat(packed)
local pos, back = 1, 0
while pos <= #blob do
  local v, s
  v, s, pos = string.unpack("<i4s2", blob, pos)
  back = back + v + #s
end
print("pack: " .. #blob .. " " .. digest(blob) .. " " .. back)

-- 8. One table grown, shrunk and grown again.
local churn = {}
for round = 1, 8 do
  for i = 1, 40000 do churn["k" .. (round * 7919 + i) % 60000] = string.rep("v", i % 31) end
  for i = 1, 40000, round + 1 do churn["k" .. i] = nil end
  collectgarbage("step", 0)
end
local n, bytes = 0, 0
for _, v in pairs(churn) do n, bytes = n + 1, bytes + #v end
print("churn: " .. n .. " " .. bytes)
