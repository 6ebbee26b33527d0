package ratelimit

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock advances only when the limiter sleeps.
type fakeClock struct {
	now    time.Time
	slept  time.Duration
	sleeps int
}

func (c *fakeClock) Now() time.Time { return c.now }
func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.now = c.now.Add(d)
	c.slept += d
	c.sleeps++
	return nil
}

func newFake() (*Limiter, *fakeClock) {
	c := &fakeClock{now: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	return NewWithClock(c.Now, c.Sleep), c
}

func headers(max, remaining int, windowMS int) http.Header {
	return http.Header{"X-Ratelimit-Max": {strconv.Itoa(max)}, "X-Ratelimit-Remaining": {strconv.Itoa(remaining)},
		"X-Ratelimit-Interval-Milliseconds": {strconv.Itoa(windowMS)}}
}

func TestNeverMoreThanMaxInAnyWindow(t *testing.T) {
	l, clk := newFake()
	ctx := context.Background()
	first, err := l.Acquire(ctx, "loc")
	require.NoError(t, err)
	first.Done(headers(10, 9, 1000), 200) // learn: 10 per second
	var sends []time.Time
	for range 95 {
		s, err := l.Acquire(ctx, "loc")
		require.NoError(t, err)
		sends = append(sends, clk.now)
		clk.now = clk.now.Add(time.Millisecond) // the answer takes 1 ms
		s.Done(nil, 0)
	}
	sends = append([]time.Time{clk.now.Add(-time.Hour)}, sends...)
	for i := range sends {
		n := 0
		for _, t2 := range sends[i:] {
			if t2.Sub(sends[i]) < time.Second {
				n++
			}
		}
		assert.LessOrEqual(t, n, 10, "window starting at send %d", i)
	}
	// 95 sends at 10 per (1 s + 1 ms of answer time): about 9 windows.
	assert.InDelta(t, 9.0, clk.slept.Seconds(), 0.2)
}

func TestProbeUntilFirstAnswer(t *testing.T) {
	l, clk := newFake()
	ctx := context.Background()
	s1, err := l.Acquire(ctx, "loc")
	require.NoError(t, err)
	short, cancel := context.WithCancel(ctx)
	cancel()
	_, err = l.Acquire(short, "loc")
	require.ErrorIs(t, err, context.Canceled, "a second request waits for the first answer")
	s1.Done(nil, 0) // no answer: a transport error
	s2, err := l.Acquire(ctx, "loc")
	require.NoError(t, err, "a failed probe holds nothing")
	s2.Done(http.Header{}, 200) // an answer without headers: the documented defaults apply
	st := l.Snapshot("loc")
	assert.True(t, st.Learned)
	assert.Equal(t, DefaultMax, st.Max)
	assert.Equal(t, DefaultWindow, st.Window)
	assert.Zero(t, clk.slept)
}

func TestOtherProcessesShowInRemaining(t *testing.T) {
	l, _ := newFake()
	ctx := context.Background()
	s, _ := l.Acquire(ctx, "loc")
	// We sent 1; the server counts 7 used: 6 were someone else's.
	s.Done(headers(10, 3, 1000), 200)
	assert.Equal(t, 7, l.Snapshot("loc").Used)
	s, _ = l.Acquire(ctx, "loc")
	s.Done(headers(10, 2, 1000), 200)
	assert.Equal(t, 8, l.Snapshot("loc").Used, "placeholders are not counted twice")
}

func TestRetryAfterHoldsTheWindow(t *testing.T) {
	l, clk := newFake()
	ctx := context.Background()
	s, _ := l.Acquire(ctx, "loc")
	s.Done(headers(10, 9, 10_000), 200)
	s, _ = l.Acquire(ctx, "loc")
	h := headers(10, 0, 10_000)
	h.Set("Retry-After", "3")
	s.Done(h, http.StatusTooManyRequests)
	before := clk.now
	s, err := l.Acquire(ctx, "loc")
	require.NoError(t, err)
	s.Done(nil, 0)
	assert.InDelta(t, 3.0, clk.now.Sub(before).Seconds(), 0.01, "waited what the server asked, not the whole window")
}

func TestDailyBudgetFailsFast(t *testing.T) {
	l, clk := newFake()
	ctx := context.Background()
	s, _ := l.Acquire(ctx, "loc")
	h := headers(100, 99, 10_000)
	h.Set("X-Ratelimit-Limit-Daily", "200000")
	h.Set("X-Ratelimit-Daily-Remaining", "1")
	s.Done(h, 200)
	s, err := l.Acquire(ctx, "loc")
	require.NoError(t, err, "one left")
	s.Done(nil, 0)
	_, err = l.Acquire(ctx, "loc")
	var de *DailyError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, clk.now.Add(5*time.Minute), de.Reset, "without a reset header, the next probe in 5 minutes, not a guessed midnight")
	assert.Zero(t, clk.sleeps, "no sleeping for hours")
	assert.Equal(t, 0, l.Snapshot("loc").DailyRemaining)

	clk.now = de.Reset.Add(time.Second)
	probe, err := l.Acquire(ctx, "loc")
	require.NoError(t, err, "one probe goes through")
	_, err = l.Acquire(ctx, "loc")
	require.ErrorAs(t, err, &de, "and only one")
	h.Set("X-Ratelimit-Daily-Remaining", "199999")
	probe.Done(h, 200) // the budget is back
	_, err = l.Acquire(ctx, "loc")
	assert.NoError(t, err, "the budget is back after the probe said so")

	l2, _ := newFake()
	s, _ = l2.Acquire(ctx, "loc")
	h.Set("X-Ratelimit-Daily-Remaining", "0")
	h.Set("X-Ratelimit-Daily-Reset", "1795392000") // epoch seconds
	s.Done(h, http.StatusTooManyRequests)
	_, err = l2.Acquire(ctx, "loc")
	require.ErrorAs(t, err, &de)
	assert.Equal(t, time.Unix(1795392000, 0), de.Reset)
}

func TestKeysAreSeparate(t *testing.T) {
	l, _ := newFake()
	ctx := context.Background()
	a, _ := l.Acquire(ctx, "A")
	_, err := l.Acquire(ctx, "B")
	assert.NoError(t, err, "B does not wait for A's probe")
	a.Done(nil, 0)
}

// TestDailyResetAsMillisecondsUntil: x-ratelimit-daily-reset as HighLevel
// has been seen sending it, milliseconds until the reset.
func TestDailyResetAsMillisecondsUntil(t *testing.T) {
	l, clk := newFake()
	ctx := context.Background()
	s, _ := l.Acquire(ctx, "loc")
	h := headers(100, 99, 10_000)
	h.Set("X-Ratelimit-Daily-Remaining", "0")
	h.Set("X-Ratelimit-Daily-Reset", "2888000")
	s.Done(h, http.StatusTooManyRequests)
	_, err := l.Acquire(ctx, "loc")
	var de *DailyError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, clk.now.Add(2888*time.Second), de.Reset)
}

// TestWaitersServedInOrder: 200 callers arriving at twice the allowed rate
// are served in the order they came, none overtaken. Grants are recorded by
// the limiter itself, under its lock, so a busy machine cannot reorder the
// record.
func TestWaitersServedInOrder(t *testing.T) {
	l := New()
	s, err := l.Acquire(context.Background(), "loc")
	require.NoError(t, err)
	s.Done(headers(10, 9, 100), 200) // 10 per 100 ms = 100 per second
	time.Sleep(110 * time.Millisecond)

	type caller struct{}
	var mu sync.Mutex
	var granted []int
	grantHook = func(ctx context.Context) {
		if i, ok := ctx.Value(caller{}).(int); ok {
			mu.Lock()
			granted = append(granted, i)
			mu.Unlock()
		}
	}
	defer func() { grantHook = nil }()
	served := func() int { mu.Lock(); defer mu.Unlock(); return len(granted) }

	const n = 200
	waits := make([]time.Duration, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			s, err := l.Acquire(context.WithValue(context.Background(), caller{}, i), "loc")
			if err != nil {
				t.Error(err)
				return
			}
			waits[i] = time.Since(start)
			s.Done(headers(10, 5, 100), 200)
		}()
		// Caller i has arrived once it is served or queued: only then does
		// the next one start, so that arrival order is i's order whatever
		// the scheduler does.
		for served()+l.Snapshot("loc").Waiting <= i {
			time.Sleep(50 * time.Microsecond)
		}
		time.Sleep(5 * time.Millisecond) // 200 per second: twice the limit
	}
	wg.Wait()
	require.Len(t, granted, n)
	maxOvertaken, inversions := 0, 0
	pos := make([]int, n)
	for p, i := range granted {
		pos[i] = p
	}
	for i := range n {
		overtaken := 0
		for j := i + 1; j < n; j++ {
			if pos[j] < pos[i] {
				overtaken++
			}
		}
		inversions += overtaken
		maxOvertaken = max(maxOvertaken, overtaken)
	}
	slices.Sort(waits)
	t.Logf("200 callers at 2x the rate: %d inverted pairs, at most %d overtakes of one caller, p99 wait %s",
		inversions, maxOvertaken, waits[n*99/100].Round(time.Millisecond))
	assert.Zero(t, maxOvertaken, "first come, first served")
}

// TestIdleKeysEvicted: an agency app touching 10,000 locations does not
// keep 10,000 buckets forever.
func TestIdleKeysEvicted(t *testing.T) {
	l, clk := newFake()
	ctx := context.Background()
	for i := range 10_000 {
		s, err := l.Acquire(ctx, "loc-"+strconv.Itoa(i))
		require.NoError(t, err)
		s.Done(headers(100, 99, 10_000), 200)
	}
	assert.Greater(t, l.Keys(), 9000)
	clk.now = clk.now.Add(idleAfter + time.Minute)
	for range 256 {
		s, err := l.Acquire(ctx, "active")
		require.NoError(t, err)
		s.Done(headers(100000, 99999, 10_000), 200)
	}
	assert.LessOrEqual(t, l.Keys(), 2, "idle keys are dropped")
}

// TestHeaderValuesBounded: headers cannot size an allocation or stall a key
// past the bounds.
func TestHeaderValuesBounded(t *testing.T) {
	l, _ := newFake()
	ctx := context.Background()
	s, _ := l.Acquire(ctx, "loc")
	s.Done(headers(2_000_000_000, -5, 1_000_000_000), 200)
	st := l.Snapshot("loc")
	assert.Equal(t, maxMax, st.Max)
	assert.Equal(t, maxWindow, st.Window)
	assert.LessOrEqual(t, st.Used, maxMax)
}

// BenchmarkLimiterAcquire is one uncontended Acquire and Done, at a limit of
// 100 and of 1,000,000 per window, on a clock that moves so that the limit
// never binds: the cost must not grow with the limit.
func BenchmarkLimiterAcquire(b *testing.B) {
	for _, limit := range []int{100, 1_000_000} {
		b.Run("limit="+strconv.Itoa(limit), func(b *testing.B) {
			clk := &fakeClock{now: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
			l := NewWithClock(clk.Now, clk.Sleep)
			ctx := context.Background()
			window := 10 * time.Second
			h := headers(limit, limit-1, int(window/time.Millisecond))
			s, _ := l.Acquire(ctx, "loc")
			s.Done(h, 200)
			step := window / time.Duration(limit)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				clk.now = clk.now.Add(step)
				s, err := l.Acquire(ctx, "loc")
				if err != nil {
					b.Fatal(err)
				}
				s.Done(nil, 0)
			}
		})
	}
}
