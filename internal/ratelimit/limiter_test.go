package ratelimit

import (
	"context"
	"net/http"
	"strconv"
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
	assert.Equal(t, time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), de.Reset, "next UTC midnight when no reset header")
	assert.Zero(t, clk.sleeps, "no sleeping for hours")
	assert.Equal(t, 0, l.Snapshot("loc").DailyRemaining)

	clk.now = de.Reset.Add(time.Second)
	_, err = l.Acquire(ctx, "loc")
	assert.NoError(t, err, "the budget is back after the reset")

	l2, _ := newFake()
	s, _ = l2.Acquire(ctx, "loc")
	h.Set("X-Ratelimit-Daily-Remaining", "0")
	h.Set("X-Ratelimit-Daily-Reset", "1795392000")
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
