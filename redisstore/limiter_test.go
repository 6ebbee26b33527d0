package redisstore_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

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
