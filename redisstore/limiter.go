package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ghlkit/ghl"
)

// RateLimiter is a ghl.RateLimiter whose budget lives in Redis, so that the
// replicas of an app together never exceed a location's limit. It keeps the
// same model as the in-process limiter: each request holds a slot from
// Acquire until one window after its answer, in a sorted set per key scored
// by the instant each hold ends; the limit and window learned from any
// replica's answers are shared; other apps' use (X-RateLimit-Remaining) is
// held as placeholder slots; a spent daily budget is shared too. Acquire and
// Done are one round trip each (a Lua script).
//
// Waiters on different replicas are not ordered among themselves: a waiter
// looks again when the earliest hold ends (at most every MaxPoll).
type RateLimiter struct {
	rdb      redis.UniversalClient
	prefix   string
	maxPoll  time.Duration
	inflight time.Duration
	fallback ghl.RateLimiter // nil: fail closed
	now      func() time.Time
}

// LimiterOption configures a RateLimiter.
type LimiterOption func(*RateLimiter)

// WithLimiterPrefix puts the limiter's Redis keys under prefix (default "ghl:").
func WithLimiterPrefix(prefix string) LimiterOption {
	return func(l *RateLimiter) { l.prefix = prefix }
}

// WithLimiterClock makes the limiter read the time from now instead of the
// system clock, so that tests can set the instant of every grant and answer.
// Replicas sharing one budget compare instants taken on different machines:
// keep their clocks in sync (NTP); a replica whose clock runs behind frees
// slots late, one whose clock runs ahead frees them early by that much.
func WithLimiterClock(now func() time.Time) LimiterOption {
	return func(l *RateLimiter) {
		if now != nil {
			l.now = now
		}
	}
}

// FailClosed makes Acquire return Redis's error when Redis cannot be
// reached, so that nothing is sent while the shared budget is unknown. The
// default is to fail open to an in-process limiter per replica: an outage
// of Redis should not stop the integration, HighLevel still enforces its
// limit, and the SDK retries the 429s that N uncoordinated replicas may
// draw.
func FailClosed() LimiterOption { return func(l *RateLimiter) { l.fallback = nil } }

// NewRateLimiter returns a limiter on rdb.
func NewRateLimiter(rdb redis.UniversalClient, opts ...LimiterOption) (*RateLimiter, error) {
	if rdb == nil {
		return nil, &ghl.InputError{Field: "redis client", Reason: "must not be nil"}
	}
	l := &RateLimiter{rdb: rdb, prefix: "ghl:", maxPoll: 50 * time.Millisecond, inflight: time.Minute,
		fallback: ghl.NewRateLimiter(), now: time.Now}
	for _, o := range opts {
		o(l)
	}
	return l, nil
}

// String describes the limiter.
func (l *RateLimiter) String() string { return "redisstore.RateLimiter{" + l.prefix + "}" }

func (l *RateLimiter) keys(key string) []string {
	return []string{l.prefix + "rl:" + key + ":holds", l.prefix + "rl:" + key + ":state"}
}

// Instants cross to Redis as whole milliseconds, rounded so that a hold
// never ends early: Done stores its end from now rounded up, Acquire reads
// now rounded down, and a hold is dropped only once that is strictly past
// its end. (Rounding both down and dropping ends equal to now let a slot go
// up to a millisecond before one full window had passed since the answer:
// a sixth request in a window of five.)

// acquireScript: drop ended holds, refuse while the daily budget is spent,
// take a slot if there is room, else say how long until the earliest hold
// ends. A hold in flight ends at now + the in-flight guard, so that a
// replica that dies mid-request does not hold its slot for ever.
// ARGV: now (ms, rounded down), id, in-flight guard (ms).
var acquireScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local st = redis.call('HMGET', KEYS[2], 'max', 'window', 'dspent', 'dreset', 'dprobe')
local max = tonumber(st[1]) or 100
local window = tonumber(st[2]) or 10000
if st[3] == '1' then
  local reset = tonumber(st[4]) or 0
  if reset > now then return {-2, reset} end
  if reset == 0 then
    local probe = (tonumber(st[5]) or 0) + 300000
    if probe > now then return {-2, probe} end
    redis.call('HSET', KEYS[2], 'dprobe', now)
  else
    redis.call('HSET', KEYS[2], 'dspent', '0')
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
if redis.call('ZCARD', KEYS[1]) < max then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
  redis.call('PEXPIRE', KEYS[1], window + tonumber(ARGV[3]) + 60000)
  return {1, 0}
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, tonumber(first[2]) - now + 1}`)

// doneScript: the hold ends one window from now; learn the answer's limits,
// other apps' use and the daily budget.
// ARGV: now (ms, rounded up), id, max, window, remaining, dremaining, dreset,
// retryAfterMs (-1 for an absent value).
var doneScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local max, window = tonumber(ARGV[3]), tonumber(ARGV[4])
if max > 0 then redis.call('HSET', KEYS[2], 'max', max) else max = tonumber(redis.call('HGET', KEYS[2], 'max')) or 100 end
if window > 0 then redis.call('HSET', KEYS[2], 'window', window) else window = tonumber(redis.call('HGET', KEYS[2], 'window')) or 10000 end
redis.call('PEXPIRE', KEYS[2], 86400000 * 2)
redis.call('ZADD', KEYS[1], 'XX', now + window, ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
local held = redis.call('ZCARD', KEYS[1])
local fill, upto = 0, now + window
local ra = tonumber(ARGV[8])
local rem = tonumber(ARGV[5])
if ra >= 0 then
  fill, upto = max - held, now + ra
elseif rem >= 0 then
  fill = (max - math.min(rem, max)) - held
end
for i = 1, math.min(fill, max) do
  redis.call('ZADD', KEYS[1], upto, 'p:' .. ARGV[2] .. ':' .. i)
end
local drem = tonumber(ARGV[6])
if drem >= 0 then
  if drem <= 0 then
    redis.call('HSET', KEYS[2], 'dspent', '1', 'dreset', ARGV[7], 'dprobe', now)
  else
    redis.call('HSET', KEYS[2], 'dspent', '0')
  end
end
redis.call('PEXPIRE', KEYS[1], window + 120000)
return held`)

// hold is one request's slot in Redis.
type hold struct {
	l   *RateLimiter
	key string
	id  string
}

// Acquire waits for room under key; see ghl.RateLimiter.
func (l *RateLimiter) Acquire(ctx context.Context, key string) (ghl.RateHold, error) {
	id := make([]byte, 12)
	_, _ = rand.Read(id)
	h := &hold{l: l, key: key, id: hex.EncodeToString(id)}
	for {
		now := l.now()
		res, err := acquireScript.Run(ctx, l.rdb, l.keys(key), now.UnixMilli(), h.id, l.inflight.Milliseconds()).Int64Slice()
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if l.fallback != nil {
				return l.fallback.Acquire(ctx, key) // fail open: see FailClosed
			}
			return nil, fmt.Errorf("redisstore: acquire %q: %w", key, err)
		}
		switch res[0] {
		case 1:
			return h, nil
		case -2:
			reset := time.UnixMilli(res[1])
			return nil, &ghl.RateLimitError{APIError: &ghl.APIError{StatusCode: http.StatusTooManyRequests,
				Messages: []string{"the daily rate limit is spent; not sent"}}, Daily: true, RetryAfter: time.Until(reset),
				RateLimit: ghl.RateLimit{Max: -1, Remaining: -1, DailyLimit: -1, DailyRemaining: 0, DailyReset: reset}}
		}
		wait := min(max(time.Duration(res[1])*time.Millisecond, time.Millisecond), l.maxPoll)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// Done reports the answer; see ghl.RateHold.
func (h *hold) Done(hd http.Header, status int) {
	l := h.l
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	now := l.now()
	num := func(name string) int64 {
		if hd == nil {
			return -1
		}
		n, err := strconv.ParseInt(hd.Get(name), 10, 64)
		if err != nil {
			return -1
		}
		return n
	}
	maxN, window, rem, drem := min(num("X-Ratelimit-Max"), 1_000_000), num("X-Ratelimit-Interval-Milliseconds"), num("X-Ratelimit-Remaining"), num("X-Ratelimit-Daily-Remaining")
	window = min(window, int64(24*time.Hour/time.Millisecond))
	var dreset int64
	if v := hd.Get("X-Ratelimit-Daily-Reset"); hd != nil && v != "" {
		if t := parseReset(v, now); !t.IsZero() {
			dreset = t.UnixMilli()
		}
	}
	ra := int64(-1)
	if status == http.StatusTooManyRequests && hd != nil {
		if v, err := strconv.ParseFloat(hd.Get("Retry-After"), 64); err == nil && v >= 0 && v < 86400 {
			ra = int64(v * 1000)
		}
	}
	err := doneScript.Run(ctx, l.rdb, l.keys(h.key), ceilMilli(now), h.id, maxN, window, rem, drem, dreset, ra).Err()
	if err != nil && !errors.Is(err, redis.Nil) {
		// The hold stays until its in-flight guard ends: conservative.
		return
	}
}

// ceilMilli is t in Unix milliseconds, rounded up.
func ceilMilli(t time.Time) int64 {
	ns := t.UnixNano()
	ms := ns / int64(time.Millisecond)
	if ns%int64(time.Millisecond) > 0 {
		ms++
	}
	return ms
}

// parseReset reads x-ratelimit-daily-reset: ms until the reset when small,
// else epoch seconds or milliseconds.
func parseReset(v string, now time.Time) time.Time {
	n, err := strconv.ParseInt(v, 10, 64)
	switch {
	case err != nil || n < 0:
		return time.Time{}
	case n < 1e9:
		return now.Add(time.Duration(n) * time.Millisecond)
	case n > 1e12:
		return time.UnixMilli(n)
	}
	return time.Unix(n, 0)
}
