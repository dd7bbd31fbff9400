/**
 * The Lua scripts of RedisStore. `admit` does a whole request's state work in one atomic round
 * trip (issue 5): block check → limits (all or nothing) → lure count and threshold block → usage.
 * It mirrors MemoryStore.admitSync step for step; the contract suite holds them together.
 *
 * Time is Redis' own (TIME), so every gateway instance sharing the Redis sees the same windows
 * and block ends whatever their clocks say. Needs Redis ≥ 5 (effects replication of scripts).
 *
 * A block is stored as the string `<until>|<createdAt>|<reason>` with PX = the block duration,
 * and indexed in a sorted set (member = subject, score = until) for listBlocks().
 */

/**
 * KEYS: [block index, block key × nS, limit key × nL, (lure counter, lure block key)?, (usage key)?]
 * ARGV: [nS, nL, hasLure, hasUsage, (limit, windowMs, cost) × nL,
 *        (max, blockMs, windowMs, reason, subject)?, (windowMs, tokens)?]
 * Reply: {1, subjectIndex, blockValue} blocked
 *      | {2, limitIndex, retryAfterMs} limited
 *      | {0, lureCount (-1: none), lureBlocked 0|1, blockUntil, now, usageRequests (-1: none), usageTokens, usageResetMs}
 */
export const ADMIT_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local nS = tonumber(ARGV[1])
local nL = tonumber(ARGV[2])
for i = 1, nS do
  local v = redis.call('GET', KEYS[1 + i])
  if v then return {1, i, v} end
end
local k = 1 + nS
local a = 4
for i = 1, nL do
  local limit = tonumber(ARGV[a + 1])
  local win = tonumber(ARGV[a + 2])
  local cost = tonumber(ARGV[a + 3])
  if cost > limit then return {2, i, win} end
  local cur = redis.call('GET', KEYS[k + i])
  if cur and tonumber(cur) + cost > limit then
    local ttl = redis.call('PTTL', KEYS[k + i])
    if ttl < 0 then
      redis.call('PEXPIRE', KEYS[k + i], win)
      ttl = win
    end
    if ttl < 1 then ttl = 1 end
    return {2, i, ttl}
  end
  a = a + 3
end
a = 4
for i = 1, nL do
  local cost = tonumber(ARGV[a + 3])
  if cost > 0 then
    local n = redis.call('INCRBY', KEYS[k + i], ARGV[a + 3])
    if n == cost then redis.call('PEXPIRE', KEYS[k + i], ARGV[a + 2]) end
  end
  a = a + 3
end
k = k + nL
local lureCount = -1
local lureBlocked = 0
local untilMs = 0
if ARGV[3] == '1' then
  local max = tonumber(ARGV[a + 1])
  local blockMs = tonumber(ARGV[a + 2])
  lureCount = redis.call('INCR', KEYS[k + 1])
  redis.call('PEXPIRE', KEYS[k + 1], ARGV[a + 3])
  if lureCount > max then
    lureBlocked = 1
    untilMs = now + blockMs
    redis.call('SET', KEYS[k + 2], string.format('%d|%d|', untilMs, now) .. ARGV[a + 4], 'PX', ARGV[a + 2])
    redis.call('ZADD', KEYS[1], string.format('%d', untilMs), ARGV[a + 5])
    redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. string.format('%d', now))
    if redis.call('PTTL', KEYS[1]) < blockMs then redis.call('PEXPIRE', KEYS[1], ARGV[a + 2]) end
    redis.call('DEL', KEYS[k + 1])
  end
  k = k + 2
  a = a + 5
end
if ARGV[4] == '1' then
  local key = KEYS[k + 1]
  local r
  local tk
  if lureBlocked == 0 then
    r = redis.call('HINCRBY', key, 'r', 1)
    tk = redis.call('HINCRBY', key, 't', ARGV[a + 2])
  else
    local v = redis.call('HMGET', key, 'r', 't')
    r = tonumber(v[1] or '0')
    tk = tonumber(v[2] or '0')
  end
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then
    if r > 0 then redis.call('PEXPIRE', key, ARGV[a + 1]) end
    ttl = tonumber(ARGV[a + 1])
  end
  return {0, lureCount, lureBlocked, untilMs, now, r, tk, ttl}
end
return {0, lureCount, lureBlocked, untilMs, now, -1, 0, 0}
`;

/** KEYS: [block index, block key]; ARGV: [subject, durationMs, reason]. Reply: {until, now}. */
export const BLOCK_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ms = tonumber(ARGV[2])
local untilMs = now + ms
redis.call('SET', KEYS[2], string.format('%d|%d|', untilMs, now) .. ARGV[3], 'PX', ARGV[2])
redis.call('ZADD', KEYS[1], string.format('%d', untilMs), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. string.format('%d', now))
if redis.call('PTTL', KEYS[1]) < ms then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return {untilMs, now}
`;

/**
 * KEYS: [block index, block key]; ARGV: [subject, untilMs, createdAt, reason]: a block with an
 * absolute end (carrying blocks set locally during an outage back to Redis). Never shortens a
 * longer block already there. Reply: 1 set, 0 kept or already over.
 */
export const BLOCK_UNTIL_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilMs = tonumber(ARGV[2])
local ms = untilMs - now
if ms < 1 then return 0 end
local cur = redis.call('GET', KEYS[2])
if cur then
  local curUntil = tonumber(string.match(cur, '^(%d+)|'))
  if curUntil and curUntil >= untilMs then return 0 end
end
redis.call('SET', KEYS[2], ARGV[2] .. '|' .. ARGV[3] .. '|' .. ARGV[4], 'PX', string.format('%d', ms))
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
if redis.call('PTTL', KEYS[1]) < ms then redis.call('PEXPIRE', KEYS[1], string.format('%d', ms)) end
return 1
`;

/** KEYS: [block index, block key]; ARGV: [subject]. Reply: 1 if a block was removed. */
export const UNBLOCK_LUA = `
local n = redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[1], ARGV[1])
return n
`;

/** Parses `<until>|<createdAt>|<reason>`; null when malformed. */
export function parseBlockValue(subject: string, value: string): { subject: string; until: number; createdAt: number; reason: string } | null {
  const first = value.indexOf('|');
  const second = first < 0 ? -1 : value.indexOf('|', first + 1);
  if (second < 0) return null;
  const until = Number(value.slice(0, first));
  const createdAt = Number(value.slice(first + 1, second));
  if (!Number.isFinite(until) || !Number.isFinite(createdAt)) return null;
  return { subject, until, createdAt, reason: value.slice(second + 1) };
}
