package ghltest

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ghlkit/ghl"
)

// LimiterContract runs the checks every ghl.RateLimiter must pass (see its
// contract) against limiters made by newLimiters: each call returns one or
// more limiters that share one budget (the same in-process limiter twice,
// or two clients of one Redis), so that the checks also hold across
// processes. Keys are fresh per check. Run it from your own tests:
//
//	func TestMyLimiter(t *testing.T) {
//		ghltest.LimiterContract(t, func(t *testing.T) []ghl.RateLimiter { return []ghl.RateLimiter{newMine(t), newMine(t)} })
//	}
func LimiterContract(t *testing.T, newLimiters func(t *testing.T) []ghl.RateLimiter) {
	t.Helper()
	ctx := context.Background()
	limits := func(max, remaining int, window time.Duration) http.Header {
		return http.Header{"X-Ratelimit-Max": {strconv.Itoa(max)}, "X-Ratelimit-Remaining": {strconv.Itoa(remaining)},
			"X-Ratelimit-Interval-Milliseconds": {strconv.FormatInt(window.Milliseconds(), 10)}}
	}
	key := func(t *testing.T) string { return "Contract" + strconv.FormatInt(time.Now().UnixNano(), 36) }

	t.Run("never more than the limit in any window, together", func(t *testing.T) {
		ls := newLimiters(t)
		k := key(t)
		const max, window = 5, 300 * time.Millisecond
		first, err := ls[0].Acquire(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		first.Done(limits(max, max-1, window), 200)
		// Each hold lasts from its grant until one window after its Done.
		// The recorded interval (grant seen after Acquire returned, Done
		// recorded before calling it) lies inside the real hold, so at no
		// instant may more than max recorded intervals overlap, however late
		// the scheduler runs the goroutines.
		type span struct{ from, to time.Time }
		var mu sync.Mutex
		spans := []span{{start, start.Add(window)}}
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 4 {
					h, err := ls[g%len(ls)].Acquire(ctx, k)
					if err != nil {
						t.Error(err)
						return
					}
					granted := time.Now()
					time.Sleep(5 * time.Millisecond) // the answer's round trip
					done := time.Now()
					mu.Lock()
					spans = append(spans, span{granted, done.Add(window)})
					mu.Unlock()
					h.Done(limits(max, 0, window), 200)
				}
			}()
		}
		wg.Wait()
		for i, a := range spans {
			n := 0
			for _, b := range spans {
				if !a.from.Before(b.from) && a.from.Before(b.to) {
					n++
				}
			}
			if n > max {
				t.Fatalf("%d holds at the grant of request %d; the limit is %d per %s", n, i, max, window)
			}
		}
	})

	t.Run("a waiter stops when its context ends", func(t *testing.T) {
		ls := newLimiters(t)
		k := key(t)
		first, err := ls[0].Acquire(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		first.Done(limits(1, 0, 10*time.Second), 200) // one per 10 s, spent
		short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		began := time.Now()
		_, err = ls[len(ls)-1].Acquire(short, k)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Acquire with a full budget and a 100 ms context: got %v, want context.DeadlineExceeded", err)
		}
		if time.Since(began) > 2*time.Second {
			t.Fatalf("Acquire returned %s after its context ended", time.Since(began))
		}
	})

	t.Run("keys are independent", func(t *testing.T) {
		ls := newLimiters(t)
		a, b := key(t), key(t)+"B"
		h, err := ls[0].Acquire(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		h.Done(limits(1, 0, 10*time.Second), 200)
		short, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		hb, err := ls[len(ls)-1].Acquire(short, b)
		if err != nil {
			t.Fatalf("another key waited for a full one: %v", err)
		}
		hb.Done(nil, 0) // a transport error: no headers
	})

	t.Run("a spent daily budget fails at once", func(t *testing.T) {
		ls := newLimiters(t)
		k := key(t)
		h, err := ls[0].Acquire(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		hd := limits(100, 99, 10*time.Second)
		hd.Set("X-Ratelimit-Limit-Daily", "200000")
		hd.Set("X-Ratelimit-Daily-Remaining", "0")
		hd.Set("X-Ratelimit-Daily-Reset", strconv.FormatInt(time.Now().Add(3*time.Hour).Unix(), 10))
		h.Done(hd, http.StatusTooManyRequests)
		short, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		_, err = ls[len(ls)-1].Acquire(short, k)
		var rl *ghl.RateLimitError
		if !errors.As(err, &rl) || !rl.Daily || !errors.Is(err, ghl.ErrRateLimited) {
			t.Fatalf("Acquire with the daily budget spent: got %v, want a daily *ghl.RateLimitError at once", err)
		}
	})
}
