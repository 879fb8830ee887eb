-- Take a free partition lease (sla_lease.h).
-- KEYS[1] the partition's lease, KEYS[2] its epoch counter;
-- ARGV[1] the instance name, ARGV[2] the TTL in ms.
-- Returns the new token "<name>/<epoch>", or false while another holds it.
-- The epoch grows with every take, so a token is never handed out twice.
if redis.call('EXISTS', KEYS[1]) == 1 then
    return false
end
local token = ARGV[1] .. '/' .. redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token, 'PX', ARGV[2])
return token
