package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/gomodule/redigo/redis"

	"github.com/f2fpay/f2fpay/internal/ratelimit"
)

// tokenBucket takes one token from the bucket in KEYS[1] (hash: tokens, ts in µs) with
// ARGV = rate per second, burst. It runs atomically in Redis and reads Redis's own clock,
// so instances with skewed clocks share one bucket correctly. It returns {allowed, wait µs}.
var tokenBucket = redis.NewScript(1, `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
if burst <= 0 then return {0, 60000000} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1])
local ts = tonumber(b[2])
if tokens == nil or ts == nil then
  tokens, ts = burst, now
end
if now > ts and rate > 0 then
  tokens = math.min(burst, tokens + (now - ts) * rate / 1000000)
end
tokens = math.min(tokens, burst)
local allowed, wait = 0, 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
elseif rate > 0 then
  wait = math.ceil((1 - tokens) * 1000000 / rate)
else
  wait = 60000000
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
local ttl = 60000
if rate > 0 then ttl = math.ceil(burst / rate * 1000) + 1000 end
redis.call('PEXPIRE', KEYS[1], ttl)
return {allowed, wait}
`)

// Allow implements ratelimit.Store with a token bucket per key kept in Redis: every instance
// takes from the same bucket. A refused request takes nothing. The bucket expires once it
// would be full again, so idle keys cost no memory. An error means Redis could not decide.
func (s *Store) Allow(ctx context.Context, key string, l ratelimit.Limit) (bool, time.Duration, error) {
	res, err := redis.Int64s(s.do(ctx, func(c redis.Conn) (any, error) {
		return tokenBucket.DoContext(ctx, c, s.prefix+"rl:"+key, l.Rate, l.Burst)
	}))
	if err != nil {
		return false, 0, fmt.Errorf("redis: rate limit: %v", err)
	}
	if len(res) != 2 {
		return false, 0, fmt.Errorf("redis: rate limit: unexpected answer %v", res)
	}
	return res[0] == 1, time.Duration(res[1]) * time.Microsecond, nil
}
