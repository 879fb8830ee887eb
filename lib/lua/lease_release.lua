-- Give a lease back. KEYS[1] the lease; ARGV[1] the token.
-- Returns 1, or 0 when it was not (or no longer) this token's.
if redis.call('GET', KEYS[1]) == ARGV[1] then
    redis.call('DEL', KEYS[1])
    return 1
end
return 0
