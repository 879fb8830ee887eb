-- A partition's commit, fenced on its lease: the commands run only while
-- the lease holds this instance's token, all in one atomic step (as
-- MULTI/EXEC would run them).
-- KEYS[1] the lease; KEYS[2..] every key the commands touch (all of one
-- partition's hash tag, so Redis Cluster runs it on one node).
-- ARGV[1] the token; then for each command: its word count n, then the
-- n words ("HSET", key, field, value, ...). Lua unpacks at most about
-- 7990 values at once (Redis 7's Lua 5.1): callers split a command at 4096
-- words (HSET of 2047 fields, say) into several.
-- Returns the replies of the commands, as EXEC would (a failed command's
-- error in its place), or the error "FENCED ..." without running any.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
    return redis.error_reply('FENCED lease of ' .. KEYS[1] .. ' not held by ' .. ARGV[1])
end
local out, i = {}, 2
while i <= #ARGV do
    local n = tonumber(ARGV[i])
    out[#out + 1] = redis.pcall(unpack(ARGV, i + 1, i + n))
    i = i + n + 1
end
return out
