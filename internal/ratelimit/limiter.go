// Package ratelimit throttles requests before HighLevel has to refuse them.
//
// A Limiter keeps, per key (app and location), the requests of the current
// window. Every request holds a slot from the moment it is sent until one
// window after its answer arrived; since the server saw it at some instant in
// between, no window of the server's length ever holds more than its maximum,
// however the server aligns its windows. The limiter starts from HighLevel's
// documented limits, sends a single request until the first answer arrives,
// then learns the real limit and window from the X-RateLimit-* headers. When
// X-RateLimit-Remaining shows fewer requests left than its own count explains,
// other processes are spending the same budget, and it holds placeholder slots
// for them. A spent daily budget makes Acquire fail at once instead of
// sleeping for hours.
package ratelimit

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Documented defaults: 100 requests per 10 seconds, 200,000 a day.
const (
	DefaultMax    = 100
	DefaultWindow = 10 * time.Second
)

// pollWait is how long Acquire waits when every slot is held by a request
// still in flight (its slot frees a window after its answer).
const pollWait = 5 * time.Millisecond

// DailyError is returned by Acquire while the daily budget is known to be spent.
type DailyError struct {
	Reset time.Time // when the budget is expected back
}

// Error says until when the daily budget is spent.
func (e *DailyError) Error() string {
	return "daily rate limit spent until " + e.Reset.Format(time.RFC3339)
}

// Limiter throttles requests per key. The zero value is not usable; use New.
type Limiter struct {
	mu      sync.Mutex
	now     func() time.Time
	sleep   func(context.Context, time.Duration) error
	buckets map[string]*bucket
}

// New returns a limiter on the real clock.
func New() *Limiter { return NewWithClock(time.Now, Sleep) }

// NewWithClock returns a limiter on the given clock, for tests.
func NewWithClock(now func() time.Time, sleep func(context.Context, time.Duration) error) *Limiter {
	return &Limiter{now: now, sleep: sleep, buckets: map[string]*bucket{}}
}

// Sleep waits d, or until ctx ends, whichever is first; it returns ctx.Err() then.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// slot is one request's hold on the window.
type slot struct {
	release time.Time // zero while the request is in flight
	phantom bool      // held for another process's request
}

type bucket struct {
	max    int
	window time.Duration
	known  bool // an answer has been seen
	slots  []*slot

	// The server's own count: Remaining as last reported, and what this
	// process sent since. Others' use shows here first.
	remaining     int // -1: unknown
	remainingAt   time.Time
	sentSinceSeen int

	dailyLimit     int // -1: unknown
	dailyRemaining int // as last reported; -1: unknown
	dailySince     int // requests sent since that report
	dailyAt        time.Time
	dailyReset     time.Time
}

func (l *Limiter) bucket(key string) *bucket {
	b := l.buckets[key]
	if b == nil {
		b = &bucket{max: DefaultMax, window: DefaultWindow, remaining: -1, dailyLimit: -1, dailyRemaining: -1}
		l.buckets[key] = b
	}
	return b
}

// prune drops slots whose hold has ended.
func (b *bucket) prune(now time.Time) {
	kept := b.slots[:0]
	for _, s := range b.slots {
		if s.release.IsZero() || now.Before(s.release.Add(b.window)) {
			kept = append(kept, s)
		}
	}
	clear(b.slots[len(kept):])
	b.slots = kept
}

// reserve takes a slot if one is free, or says how long to wait.
func (b *bucket) reserve(now time.Time) (*slot, time.Duration) {
	b.prune(now)
	if !b.known {
		// One request at a time until an answer tells the real limits;
		// attempts that got no answer hold nothing.
		if b.inFlight() > 0 {
			return nil, pollWait
		}
		b.slots = b.slots[:0]
	}
	if b.remaining >= 0 && now.Sub(b.remainingAt) >= b.window {
		b.remaining = -1 // that report's window is over
	}
	serverRoom := b.remaining < 0 || b.share(b.remaining)-b.sentSinceSeen > 0
	if len(b.slots) < b.max && serverRoom {
		s := &slot{}
		b.slots = append(b.slots, s)
		b.dailySince++
		b.sentSinceSeen++
		return s, 0
	}
	if !serverRoom {
		// The server's budget, shared with other processes, is spent for
		// now: wait for an answer to report more, or the window to pass.
		return nil, min(pollWait, max(b.remainingAt.Add(b.window).Sub(now), time.Microsecond))
	}
	// Full: wait for the earliest hold to end, or briefly when a request in
	// flight may answer (and start its own hold) sooner.
	wait := time.Duration(-1)
	for _, s := range b.slots {
		if !s.release.IsZero() {
			if w := s.release.Add(b.window).Sub(now); wait < 0 || w < wait {
				wait = w
			}
		}
	}
	if b.inFlight() > 0 && (wait < 0 || wait > pollWait) {
		wait = pollWait
	}
	return nil, max(wait, time.Microsecond)
}

// share is the part of the server's remaining budget this process may
// spend: all of it alone, half when another process is seen spending too,
// so that two do not both spend the last requests of a window.
func (b *bucket) share(remaining int) int {
	for _, s := range b.slots {
		if s.phantom {
			return (remaining + 1) / 2
		}
	}
	return remaining
}

func (b *bucket) inFlight() int {
	n := 0
	for _, s := range b.slots {
		if s.release.IsZero() {
			n++
		}
	}
	return n
}

// dailySpent returns when the daily budget comes back, if it is known spent.
func (b *bucket) dailySpent(now time.Time) (time.Time, bool) {
	if b.dailyRemaining < 0 || b.dailyRemaining-b.dailySince > 0 {
		return time.Time{}, false
	}
	reset := b.dailyReset
	if reset.IsZero() {
		// HighLevel does not document the reset; assume the next UTC midnight.
		reset = b.dailyAt.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	}
	if !now.Before(reset) {
		b.dailyRemaining, b.dailyReset = -1, time.Time{}
		return time.Time{}, false
	}
	return reset, true
}

// Slot is a request's reservation; call Done when its answer (or failure) is in.
type Slot struct {
	l *Limiter
	b *bucket
	s *slot
}

// Acquire waits until key has room for one more request.
func (l *Limiter) Acquire(ctx context.Context, key string) (*Slot, error) {
	for {
		l.mu.Lock()
		b := l.bucket(key)
		now := l.now()
		if reset, spent := b.dailySpent(now); spent {
			l.mu.Unlock()
			return nil, &DailyError{Reset: reset}
		}
		s, wait := b.reserve(now)
		l.mu.Unlock()
		if s != nil {
			return &Slot{l: l, b: b, s: s}, nil
		}
		if err := l.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// Done ends the request: its slot is held one more window, and the answer's
// rate-limit headers (h may be nil after a transport error) are learned.
func (s *Slot) Done(h http.Header, status int) {
	if s == nil {
		return
	}
	l := s.l
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if s.s.release.IsZero() {
		s.s.release = now
	}
	if h == nil {
		return
	}
	b := s.b
	b.known = true
	if v, ok := HeaderInt(h, "X-Ratelimit-Max"); ok && v > 0 {
		b.max = v
	}
	if v, ok := HeaderInt(h, "X-Ratelimit-Interval-Milliseconds"); ok && v > 0 {
		b.window = time.Duration(v) * time.Millisecond
	}
	if v, ok := HeaderInt(h, "X-Ratelimit-Limit-Daily"); ok {
		b.dailyLimit = v
	}
	if v, ok := HeaderInt(h, "X-Ratelimit-Daily-Remaining"); ok {
		b.dailyRemaining, b.dailySince, b.dailyAt = v, 0, now
	}
	if v := h.Get("X-Ratelimit-Daily-Reset"); v != "" {
		b.dailyReset = ParseReset(v)
	}
	b.prune(now)
	if status == http.StatusTooManyRequests {
		if ra, ok := RetryAfter(h, now); ok {
			// Hold every slot until the server said to come back.
			b.fill(b.max-len(b.slots), now.Add(ra-b.window))
			return
		}
	}
	if rem, ok := HeaderInt(h, "X-Ratelimit-Remaining"); ok {
		// Requests in flight were sent before this report and may or may
		// not be in it: count them as spent from it, and as ours.
		b.remaining, b.remainingAt, b.sentSinceSeen = rem, now, b.inFlight()
		ours, phantoms := 0, 0
		for _, x := range b.slots {
			if x.phantom {
				phantoms++
			} else {
				ours++
			}
		}
		// What the server counted that we did not send.
		others := (b.max - rem) - ours
		b.fill(others-phantoms, now)
	}
}

// fill adds n placeholder slots released at release.
func (b *bucket) fill(n int, release time.Time) {
	for range n {
		b.slots = append(b.slots, &slot{release: release, phantom: true})
	}
}

// RetryAfter reads a Retry-After header given in seconds or as an HTTP date.
func RetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := h.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil && n >= 0 && n < 1e9 {
		return time.Duration(n * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// State is a key's rate-limit state as the limiter sees it.
type State struct {
	Max            int           // requests allowed per window
	Window         time.Duration // the window
	Used           int           // slots held now, this process's and others' seen via headers
	Learned        bool          // the limits come from an answer, not the defaults
	DailyLimit     int           // -1 if not reported
	DailyRemaining int           // -1 if not reported; counts this process's sends since the report
	DailyReset     time.Time     // zero if not known
}

// Snapshot returns key's state.
func (l *Limiter) Snapshot(key string) State {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucket(key)
	now := l.now()
	b.prune(now)
	st := State{Max: b.max, Window: b.window, Used: len(b.slots), Learned: b.known, DailyLimit: b.dailyLimit, DailyRemaining: -1}
	if b.dailyRemaining >= 0 {
		st.DailyRemaining = max(b.dailyRemaining-b.dailySince, 0)
		st.DailyReset, _ = b.dailySpent(now)
	}
	return st
}

// HeaderInt reads an integer header; ok is false when it is missing or not a number.
func HeaderInt(h http.Header, key string) (int, bool) {
	v := h.Get(key)
	if v == "" {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	return n, err == nil
}

// ParseReset reads a reset time sent as epoch seconds or milliseconds, or a date.
func ParseReset(v string) time.Time {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n > 1e12 {
			return time.UnixMilli(n)
		}
		return time.Unix(n, 0)
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t
	}
	if t, err := http.ParseTime(v); err == nil {
		return t
	}
	return time.Time{}
}
