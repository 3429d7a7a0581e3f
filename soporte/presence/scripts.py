"""The Lua scripts behind presence in Redis: each change is atomic, so each transition is announced once.

Keys under soporte:presencia:<channel>:
  procs           sorted set: process id -> the time (ms, Redis's clock) until which it counts as live
  proc:<id>       hash: "rol:user" -> sockets on that process (TTL: PRESENCE_TTL)
  online:<rol>    set: the users of that role announced online
A process is live while its score is in the future; its beat pushes the score on.
The scripts read proc:<id> keys they are not given (a single Redis, not a cluster).
"""

_HELPERS = """
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function ms(x) return string.format('%.0f', x) end
local function live_procs(procs, now)
  return redis.call('ZRANGEBYSCORE', procs, '(' .. ms(now), '+inf')
end
local function anywhere(prefix, procs, now, name)
  for _, p in ipairs(live_procs(procs, now)) do
    if redis.call('HEXISTS', prefix .. 'proc:' .. p, name) == 1 then return true end
  end
  return false
end
"""

# KEYS: procs, proc hash, online set of the role; ARGV: proc id, "rol:user", user, ttl ms
# returns how many of that role are online when this made one, else 0
ON = _HELPERS + """
local now = now_ms()
redis.call('ZADD', KEYS[1], ms(now + tonumber(ARGV[4])), ARGV[1])
redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
redis.call('PEXPIRE', KEYS[2], ARGV[4])
if redis.call('SADD', KEYS[3], ARGV[3]) == 1 then return redis.call('SCARD', KEYS[3]) end
return 0
"""

# KEYS: as ON; ARGV: proc id, "rol:user", user, ttl ms, key prefix
# returns how many of that role are left online when this took one off, else -1
OFF = _HELPERS + """
if redis.call('HINCRBY', KEYS[2], ARGV[2], -1) > 0 then return -1 end
redis.call('HDEL', KEYS[2], ARGV[2])
local now = now_ms()
if anywhere(ARGV[5], KEYS[1], now, ARGV[2]) then return -1 end
if redis.call('SREM', KEYS[3], ARGV[3]) == 1 then return redis.call('SCARD', KEYS[3]) end
return -1
"""

# KEYS: procs, proc hash; ARGV: proc id, ttl ms, key prefix, then "rol:user", count pairs
# rewrites this process's hash from its own counts, reaps dead processes, and returns
# {came, gone}: flat lists of "rol:user", online count of the role after the change
BEAT = _HELPERS + """
local prefix = ARGV[3]
local now = now_ms()
redis.call('ZADD', KEYS[1], ms(now + tonumber(ARGV[2])), ARGV[1])
redis.call('DEL', KEYS[2])
local came, gone = {}, {}
for i = 4, #ARGV, 2 do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  local sep = string.find(ARGV[i], ':', 1, true)
  local set = prefix .. 'online:' .. string.sub(ARGV[i], 1, sep - 1)
  if redis.call('SADD', set, string.sub(ARGV[i], sep + 1)) == 1 then
    table.insert(came, ARGV[i]); table.insert(came, redis.call('SCARD', set))
  end
end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
for _, p in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ms(now))) do
  redis.call('DEL', prefix .. 'proc:' .. p)
  redis.call('ZREM', KEYS[1], p)
end
for _, rol in ipairs({'admin', 'user'}) do
  local set = prefix .. 'online:' .. rol
  for _, user in ipairs(redis.call('SMEMBERS', set)) do
    if not anywhere(prefix, KEYS[1], now, rol .. ':' .. user) then
      redis.call('SREM', set, user)
      table.insert(gone, rol .. ':' .. user); table.insert(gone, redis.call('SCARD', set))
    end
  end
end
return {came, gone}
"""

# KEYS: procs; ARGV: key prefix. Returns every "rol:user" with a socket on a live process.
SNAPSHOT = _HELPERS + """
local seen, out = {}, {}
for _, p in ipairs(live_procs(KEYS[1], now_ms())) do
  for _, name in ipairs(redis.call('HKEYS', ARGV[1] .. 'proc:' .. p)) do
    if not seen[name] then seen[name] = true; table.insert(out, name) end
  end
end
return out
"""
