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
//
// Waiters are served first come, first served: they queue per key, only the
// head of the queue waits for room (until the earliest hold ends, or until
// an answer comes in), and it hands the turn to the next when it is served.
// The bookkeeping costs the same whatever the limit: released holds end in
// the order they were released, so they sit in a queue whose front is the
// next to end.
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

// Bounds on what the server's headers may set, so that a wrong or hostile
// header cannot size an allocation or stall a key for long.
const (
	maxMax    = 1_000_000
	maxWindow = 24 * time.Hour
)

// probeEvery is how often one request is let through while the daily budget
// is spent and HighLevel has not said when it resets: its answer tells
// whether the budget came back.
const probeEvery = 5 * time.Minute

// idleAfter is how long a key with nothing held and nobody waiting is kept.
const idleAfter = 10 * time.Minute

// DailyError is returned by Acquire while the daily budget is known to be spent.
type DailyError struct {
	Reset time.Time // when the budget is expected back (or the next probe)
}

// Error says until when the daily budget is spent.
func (e *DailyError) Error() string {
	return "daily rate limit spent until " + e.Reset.Format(time.RFC3339)
}

// Limiter throttles requests per key. The zero value is not usable; use New.
type Limiter struct {
	now   func() time.Time
	sleep func(context.Context, time.Duration) error

	mu      sync.Mutex // guards buckets and calls
	buckets map[string]*bucket
	calls   int
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

// phantom is a group of placeholder holds for other processes' requests.
type phantom struct {
	n       int
	release time.Time
}

type bucket struct {
	mu      sync.Mutex
	max     int
	window  time.Duration
	known   bool // an answer has been seen
	lastUse time.Time

	inflight int         // requests sent, not yet answered
	released []time.Time // answered requests' release instants, oldest first
	head     int         // released[head:] are live
	phantoms []phantom
	nPhantom int

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
	lastProbe      time.Time

	waiters []*waiter // FIFO; waiters[0] is the one waiting for room
}

// waiter is one Acquire waiting its turn.
type waiter struct {
	kick chan struct{} // signalled when it becomes the head, or room may have come
}

func (w *waiter) wake() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

func (l *Limiter) bucket(key string, now time.Time) *bucket {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		b = &bucket{max: DefaultMax, window: DefaultWindow, remaining: -1, dailyLimit: -1, dailyRemaining: -1}
		l.buckets[key] = b
	}
	if l.calls++; l.calls%256 == 0 {
		l.evict(now, key)
	}
	return b
}

// evict drops keys idle for idleAfter. Callers hold l.mu.
func (l *Limiter) evict(now time.Time, keep string) {
	for k, b := range l.buckets {
		if k == keep || !b.mu.TryLock() {
			continue
		}
		b.prune(now)
		idle := b.inflight == 0 && b.live() == 0 && b.nPhantom == 0 && len(b.waiters) == 0 && now.Sub(b.lastUse) > idleAfter &&
			(b.dailyRemaining < 0 || b.dailyRemaining-b.dailySince > 0)
		b.mu.Unlock()
		if idle {
			delete(l.buckets, k)
		}
	}
}

// Keys returns how many keys the limiter holds (for tests of eviction).
func (l *Limiter) Keys() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

func (b *bucket) live() int { return len(b.released) - b.head }

// prune drops holds that have ended. Callers hold b.mu.
func (b *bucket) prune(now time.Time) {
	for b.head < len(b.released) && !now.Before(b.released[b.head].Add(b.window)) {
		b.head++
	}
	if b.head == len(b.released) {
		b.released, b.head = b.released[:0], 0
	} else if b.head > 64 && b.head*2 > len(b.released) {
		n := copy(b.released, b.released[b.head:])
		b.released, b.head = b.released[:n], 0
	}
	if len(b.phantoms) > 0 {
		kept := b.phantoms[:0]
		for _, p := range b.phantoms {
			if now.Before(p.release.Add(b.window)) {
				kept = append(kept, p)
			} else {
				b.nPhantom -= p.n
			}
		}
		b.phantoms = kept
	}
}

// reserve takes a slot if there is room, or says how long to wait (forever:
// until an answer comes in). Callers hold b.mu.
func (b *bucket) reserve(now time.Time) (bool, time.Duration) {
	b.prune(now)
	if !b.known && b.inflight > 0 {
		// One request at a time until an answer tells the real limits.
		return false, forever
	}
	if b.remaining >= 0 && now.Sub(b.remainingAt) >= b.window {
		b.remaining = -1 // that report's window is over
	}
	// The server's count gates only while other processes are seen using
	// the budget: when everything it counted is ours, our own holds, which
	// end as each request ages out, already keep within the limit, and a
	// "Remaining: 0" would otherwise stall a whole window after the answer.
	serverRoom := b.remaining < 0 || b.nPhantom == 0 || b.share(b.remaining)-b.sentSinceSeen > 0
	if b.inflight+b.live()+b.nPhantom < b.max && serverRoom {
		b.inflight++
		b.dailySince++
		b.sentSinceSeen++
		return true, 0
	}
	if !serverRoom {
		// The server's budget, shared with other processes, is spent for
		// now: wait for the report's window to pass, or an answer.
		return false, max(b.remainingAt.Add(b.window).Sub(now), time.Microsecond)
	}
	// Full: wait for the earliest hold to end, or for an answer (which
	// starts a hold, and may report more room).
	wait := forever
	if b.live() > 0 {
		wait = b.released[b.head].Add(b.window).Sub(now)
	}
	for _, p := range b.phantoms {
		wait = min(wait, p.release.Add(b.window).Sub(now))
	}
	return false, max(wait, time.Microsecond)
}

// forever stands for "until an answer comes in"; a long bound keeps a lost
// Done from stalling a key for good.
const forever = time.Minute

// share is the part of the server's remaining budget this process may
// spend: all of it alone, half when another process is seen spending too,
// so that two do not both spend the last requests of a window.
func (b *bucket) share(remaining int) int {
	if b.nPhantom > 0 {
		return (remaining + 1) / 2
	}
	return remaining
}

// dailySpent returns when to come back, if the daily budget is known spent.
// When HighLevel has not said when it resets, one request is let through
// every probeEvery, and its answer tells.
func (b *bucket) dailySpent(now time.Time) (time.Time, bool) {
	if b.dailyRemaining < 0 || b.dailyRemaining-b.dailySince > 0 {
		return time.Time{}, false
	}
	if !b.dailyReset.IsZero() {
		if now.Before(b.dailyReset) {
			return b.dailyReset, true
		}
		b.dailyRemaining, b.dailyReset = -1, time.Time{}
		return time.Time{}, false
	}
	last := b.lastProbe
	if b.dailyAt.After(last) {
		last = b.dailyAt // the answer that showed the budget spent
	}
	if next := last.Add(probeEvery); now.Before(next) {
		return next, true
	}
	b.lastProbe = now
	return time.Time{}, false
}

// grantHook, when set (by tests), is called under the key's lock at every
// grant, with the caller's context: the true order of grants.
var grantHook func(ctx context.Context)

// Slot is a request's reservation; call Done when its answer (or failure) is in.
type Slot struct {
	l *Limiter
	b *bucket
}

// Acquire waits until key has room for one more request. Waiters are
// served in the order they came.
func (l *Limiter) Acquire(ctx context.Context, key string) (Slot, error) {
	now := l.now()
	b := l.bucket(key, now)
	b.mu.Lock()
	b.lastUse = now
	if len(b.waiters) == 0 {
		if reset, spent := b.dailySpent(now); spent {
			b.mu.Unlock()
			return Slot{}, &DailyError{Reset: reset}
		}
		if ok, _ := b.reserve(now); ok {
			if grantHook != nil {
				grantHook(ctx)
			}
			b.mu.Unlock()
			return Slot{l: l, b: b}, nil
		}
	}
	w := &waiter{kick: make(chan struct{}, 1)}
	b.waiters = append(b.waiters, w)
	for {
		if b.waiters[0] == w {
			now = l.now()
			if reset, spent := b.dailySpent(now); spent {
				b.leave(w)
				b.mu.Unlock()
				return Slot{}, &DailyError{Reset: reset}
			}
			ok, wait := b.reserve(now)
			if ok {
				if grantHook != nil {
					grantHook(ctx)
				}
				b.leave(w)
				b.mu.Unlock()
				return Slot{l: l, b: b}, nil
			}
			b.mu.Unlock()
			err := l.wait(ctx, w, wait)
			b.mu.Lock()
			if err != nil {
				b.leave(w)
				b.mu.Unlock()
				return Slot{}, err
			}
			continue
		}
		b.mu.Unlock()
		select {
		case <-w.kick:
		case <-ctx.Done():
			b.mu.Lock()
			b.leave(w)
			b.mu.Unlock()
			return Slot{}, ctx.Err()
		}
		b.mu.Lock()
	}
}

// wait sleeps up to d, or until the waiter is kicked (an answer came in).
func (l *Limiter) wait(ctx context.Context, w *waiter, d time.Duration) error {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		select {
		case <-w.kick:
			cancel()
		case <-done:
		}
	}()
	err := l.sleep(sctx, d)
	close(done)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	_ = err // a kick ends the sleep early: look again
	return nil
}

// leave takes w out of the queue and wakes the new head. Callers hold b.mu.
func (b *bucket) leave(w *waiter) {
	for i, x := range b.waiters {
		if x == w {
			b.waiters = append(b.waiters[:i], b.waiters[i+1:]...)
			break
		}
	}
	if len(b.waiters) > 0 {
		b.waiters[0].wake()
	}
}

// Done ends the request: its slot is held one more window, and the answer's
// rate-limit headers (h may be nil after a transport error) are learned.
func (s Slot) Done(h http.Header, status int) {
	if s.b == nil {
		return
	}
	b := s.b
	b.mu.Lock()
	defer b.mu.Unlock()
	now := s.l.now()
	b.inflight--
	if h == nil {
		// No answer: the request may or may not have reached the server;
		// hold its slot for a window all the same.
		b.released = append(b.released, now)
		b.wakeHead()
		return
	}
	b.released = append(b.released, now)
	b.known = true
	if v, ok := HeaderInt(h, "X-Ratelimit-Max"); ok && v > 0 {
		b.max = min(v, maxMax)
	}
	if v, ok := HeaderInt(h, "X-Ratelimit-Interval-Milliseconds"); ok && v > 0 {
		b.window = min(time.Duration(v)*time.Millisecond, maxWindow)
	}
	if v, ok := HeaderInt(h, "X-Ratelimit-Limit-Daily"); ok {
		b.dailyLimit = v
	}
	if v, ok := HeaderInt(h, "X-Ratelimit-Daily-Remaining"); ok {
		b.dailyRemaining, b.dailySince, b.dailyAt = v, 0, now
	}
	if v := h.Get("X-Ratelimit-Daily-Reset"); v != "" {
		b.dailyReset = ParseResetAt(v, now)
	}
	b.prune(now)
	defer b.wakeHead()
	if status == http.StatusTooManyRequests {
		if ra, ok := RetryAfter(h, now); ok {
			// Hold every slot until the server said to come back.
			b.fill(b.max-(b.inflight+b.live()+b.nPhantom), now.Add(min(ra, maxWindow)-b.window))
			return
		}
	}
	if rem, ok := HeaderInt(h, "X-Ratelimit-Remaining"); ok {
		rem = max(min(rem, b.max), 0)
		// Requests in flight were sent before this report and may or may
		// not be in it: count them as spent from it, and as ours.
		b.remaining, b.remainingAt, b.sentSinceSeen = rem, now, b.inflight
		ours := b.inflight + b.live()
		// What the server counted that we did not send.
		others := (b.max - rem) - ours
		b.fill(others-b.nPhantom, now)
	}
}

// wakeHead lets the head waiter look again. Callers hold b.mu.
func (b *bucket) wakeHead() {
	if len(b.waiters) > 0 {
		b.waiters[0].wake()
	}
}

// fill adds n placeholder holds released at release.
func (b *bucket) fill(n int, release time.Time) {
	if n <= 0 {
		return
	}
	n = min(n, b.max)
	b.phantoms = append(b.phantoms, phantom{n: n, release: release})
	b.nPhantom += n
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
	Waiting        int           // callers queued for room
}

// Snapshot returns key's state.
func (l *Limiter) Snapshot(key string) State {
	now := l.now()
	b := l.bucket(key, now)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.prune(now)
	st := State{Max: b.max, Window: b.window, Used: b.inflight + b.live() + b.nPhantom, Learned: b.known,
		DailyLimit: b.dailyLimit, DailyRemaining: -1, Waiting: len(b.waiters)}
	if b.dailyRemaining >= 0 {
		st.DailyRemaining = max(b.dailyRemaining-b.dailySince, 0)
		if b.dailyRemaining-b.dailySince <= 0 {
			st.DailyReset = b.dailyReset
			if st.DailyReset.IsZero() {
				st.DailyReset = b.lastProbe.Add(probeEvery)
				if b.dailyAt.After(b.lastProbe) {
					st.DailyReset = b.dailyAt.Add(probeEvery)
				}
			}
		}
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

// ParseReset reads a reset time sent as epoch seconds or milliseconds, or a
// date; a small number counts milliseconds from now.
func ParseReset(v string) time.Time { return ParseResetAt(v, time.Now()) }

// ParseResetAt is ParseReset with the answer's time: HighLevel has been
// seen sending x-ratelimit-daily-reset as milliseconds until the reset
// (e.g. 2888000), which is below any epoch of this century.
func ParseResetAt(v string, now time.Time) time.Time {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		switch {
		case n < 0:
			return time.Time{}
		case n < 1e9:
			return now.Add(time.Duration(n) * time.Millisecond)
		case n > 1e12:
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
