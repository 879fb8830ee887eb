-- Renew a lease this instance holds. KEYS[1] the lease; ARGV[1] the token,
-- ARGV[2] the TTL in ms. Returns 1, or 0 when the lease is gone or another's.
if redis.call('GET', KEYS[1]) == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return 1
end
return 0
