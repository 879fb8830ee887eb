-- An instance's heartbeat, and the live instances.
-- KEYS[1] the sorted set of instances (score: when the heartbeat expires,
-- in the Redis server's ms, so the instances' clocks do not matter);
-- ARGV[1] the instance name, ARGV[2] the TTL in ms ("0": it leaves now).
-- Forgets expired instances; returns the live names.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[2] == '0' then
    redis.call('ZREM', KEYS[1], ARGV[1])
else
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')
