package redisstore_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ghlkit/ghl/redisstore"
)

// A hold ends one full window after its answer, never earlier, even when the
// answer and the next grant fall inside the same millisecond boundaries.
func TestLimiterHoldNeverEndsEarly(t *testing.T) {
	addr := startRedis(t)
	base := time.UnixMilli(1_800_000_000_000)
	var mu sync.Mutex
	now := base
	var onTick func()
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		if onTick != nil {
			onTick()
		}
		return now
	}
	set := func(t time.Time, tick func()) {
		mu.Lock()
		now, onTick = t, tick
		mu.Unlock()
	}
	l, err := redisstore.NewRateLimiter(client(t, addr), redisstore.WithLimiterPrefix("early:"),
		redisstore.FailClosed(), redisstore.WithLimiterClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const window = 300 * time.Millisecond
	set(base.Add(600*time.Microsecond), nil)
	h, err := l.Acquire(ctx, "loc")
	if err != nil {
		t.Fatal(err)
	}
	// The answer at base+0.6ms: one per 300 ms, spent. The slot is held
	// until base+300.6ms.
	h.Done(http.Header{"X-Ratelimit-Max": {"1"}, "X-Ratelimit-Remaining": {"0"},
		"X-Ratelimit-Interval-Milliseconds": {"300"}}, 200)

	for _, at := range []time.Duration{window, window + 300*time.Microsecond, window + 599*time.Microsecond} {
		// At base+at the hold has not ended: Acquire must wait. It looks
		// once, then the second look of the clock ends its context.
		wctx, cancel := context.WithCancel(ctx)
		looks := 0
		set(base.Add(at), func() {
			if looks++; looks == 2 {
				cancel()
			}
		})
		_, err := l.Acquire(wctx, "loc")
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("at %s after the first grant (the hold ends at %s): Acquire gave %v, want it to wait", at, window+600*time.Microsecond, err)
		}
	}
	// Strictly after the end, the slot is free again.
	set(base.Add(window+2*time.Millisecond), nil)
	h, err = l.Acquire(ctx, "loc")
	if err != nil {
		t.Fatalf("after the hold ended: %v", err)
	}
	h.Done(nil, 0)
}

// TestFailOpenAndFailClosed: with Redis gone, the default limiter falls back
// to an in-process one; FailClosed returns the error.
func TestFailOpenAndFailClosed(t *testing.T) {
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 100 * time.Millisecond, MaxRetries: -1})
	defer dead.Close()
	open, _ := redisstore.NewRateLimiter(dead)
	h, err := open.Acquire(context.Background(), "loc")
	if err != nil {
		t.Fatalf("fail open: %v", err)
	}
	h.Done(nil, 0)
	closed, _ := redisstore.NewRateLimiter(dead, redisstore.FailClosed())
	if _, err := closed.Acquire(context.Background(), "loc"); err == nil {
		t.Fatal("fail closed sent without Redis")
	}
}

// countHook counts the commands sent to Redis.
type countHook struct{ n atomic.Int64 }

func (h *countHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { h.n.Add(1); return next(ctx, cmd) }
}
func (h *countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { h.n.Add(int64(len(cmds))); return next(ctx, cmds) }
}

// BenchmarkRedisAcquire is one Acquire and Done through the Redis limiter
// on a local redis-server, reporting the Redis round trips each costs.
func BenchmarkRedisAcquire(b *testing.B) {
	addr := startRedis(b)
	c := client(b, addr)
	hook := &countHook{}
	c.AddHook(hook)
	l, _ := redisstore.NewRateLimiter(c, redisstore.FailClosed())
	ctx := context.Background()
	first, err := l.Acquire(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	first.Done(map[string][]string{"X-Ratelimit-Max": {"1000000"}, "X-Ratelimit-Interval-Milliseconds": {"1000"}}, 200)
	hook.n.Store(0)
	b.ReportAllocs()
	b.ResetTimer()
	var acquires, dones int64
	for b.Loop() {
		before := hook.n.Load()
		h, err := l.Acquire(ctx, "bench")
		if err != nil {
			b.Fatal(err)
		}
		mid := hook.n.Load()
		h.Done(nil, 0)
		acquires += mid - before
		dones += hook.n.Load() - mid
	}
	b.ReportMetric(float64(acquires)/float64(b.N), "roundtrips/acquire")
	b.ReportMetric(float64(dones)/float64(b.N), "roundtrips/done")
}
