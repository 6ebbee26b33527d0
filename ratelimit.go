package ghl

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/ghlkit/ghl/internal/ratelimit"
)

// RateLimit is the rate-limit state HighLevel reports on every answer in its
// X-RateLimit-* headers. A field the answer did not carry is -1 (counts) or
// zero (durations and times).
type RateLimit struct {
	Max            int           // X-RateLimit-Max: requests allowed per burst window
	Remaining      int           // X-RateLimit-Remaining: left in the current window
	Window         time.Duration // X-RateLimit-Interval-Milliseconds
	DailyLimit     int           // X-RateLimit-Limit-Daily
	DailyRemaining int           // X-RateLimit-Daily-Remaining
	DailyReset     time.Time     // x-ratelimit-daily-reset, when sent
}

func parseRateLimit(h http.Header) RateLimit {
	rl := RateLimit{
		Max:            headerInt(h, "X-Ratelimit-Max"),
		Remaining:      headerInt(h, "X-Ratelimit-Remaining"),
		DailyLimit:     headerInt(h, "X-Ratelimit-Limit-Daily"),
		DailyRemaining: headerInt(h, "X-Ratelimit-Daily-Remaining"),
	}
	if ms := headerInt(h, "X-Ratelimit-Interval-Milliseconds"); ms > 0 {
		rl.Window = time.Duration(ms) * time.Millisecond
	}
	if v := h.Get("X-Ratelimit-Daily-Reset"); v != "" {
		rl.DailyReset = ratelimit.ParseReset(v)
	}
	return rl
}

// headerInt reads an integer header, -1 when missing or not a number.
func headerInt(h http.Header, key string) int {
	if n, ok := ratelimit.HeaderInt(h, key); ok {
		return n
	}
	return -1
}

// RateLimiter throttles requests before HighLevel refuses them. The SDK's
// request path calls Acquire before every attempt and the hold's Done with
// the attempt's answer. Implement it to share a budget across machines
// (package redisstore does, on Redis); ghltest.LimiterContract checks an
// implementation.
//
// The contract:
//   - Acquire(ctx, key) waits until the key (a location, or a company for
//     agency calls) has room for one more request, and returns its hold. It
//     returns ctx.Err() when ctx ends first, and a *RateLimitError with Daily
//     set when the key's daily budget is known to be spent: nothing may be
//     sent then. Waiters should be served in the order they came.
//   - A hold counts against the key's budget from Acquire until one window
//     after Done: the server counted the request at some instant in between,
//     so no server window holds more than the limit, however it aligns its
//     windows.
//   - Done(h, status) reports the answer: h is nil after a transport error
//     (the hold still lasts a window), else the answer's X-RateLimit-*
//     headers, from which the limit, the window, other processes' use
//     (Remaining) and the daily budget are learned. Done is called exactly
//     once per hold, from any goroutine.
//   - Before any answer, the documented 100 per 10 s applies; a limiter
//     shared by several processes must hold for all of them together.
type RateLimiter interface {
	Acquire(ctx context.Context, key string) (RateHold, error)
}

// RateHold is one request's place in a RateLimiter's budget.
type RateHold interface {
	Done(h http.Header, status int)
}

// LocalRateLimiter is the in-process RateLimiter: never more in any window
// than the server allows, learned from its X-RateLimit-* headers (starting
// from the documented 100 per 10 s), shared with other processes as their
// use shows in X-RateLimit-Remaining, waiters served first come first
// served, and failing fast with a daily *RateLimitError once the daily
// budget is known to be spent.
//
// Every client has its own unless WithRateLimiter shares one (clients of
// one app and location in one process should share) or WithoutRateLimiter
// turns it off. Limits are kept per location, the one each request targets
// (its locationId, or the client's WithLocation for requests by contact ID).
type LocalRateLimiter struct{ l *ratelimit.Limiter }

// NewRateLimiter returns an in-process limiter to share between clients.
func NewRateLimiter() *LocalRateLimiter { return &LocalRateLimiter{l: ratelimit.New()} }

// Acquire waits for room under key; see RateLimiter.
func (r *LocalRateLimiter) Acquire(ctx context.Context, key string) (RateHold, error) {
	s, err := r.l.Acquire(ctx, key)
	if err != nil {
		var de *ratelimit.DailyError
		if errors.As(err, &de) {
			return nil, dailyError("", "", de.Reset)
		}
		return nil, err
	}
	return s, nil
}

// Snapshot returns the limiter's view of key.
func (r *LocalRateLimiter) Snapshot(key string) RateLimitState {
	st := r.l.Snapshot(key)
	return RateLimitState{Max: st.Max, Window: st.Window, Used: st.Used, Learned: st.Learned,
		DailyLimit: st.DailyLimit, DailyRemaining: st.DailyRemaining, DailyReset: st.DailyReset}
}

// WithRateLimiter makes the client throttle through l, shared with the other
// clients that use it.
func WithRateLimiter(l RateLimiter) Option {
	return func(s *settings) error {
		if l == nil || isNilPointer(l) {
			return invalid("rate limiter", "must not be nil; use WithoutRateLimiter to turn throttling off")
		}
		s.limiter, s.noLimiter = l, false
		return nil
	}
}

// WithoutRateLimiter turns proactive throttling off: 429 answers are still
// retried after the wait the server asks for.
func WithoutRateLimiter() Option {
	return func(s *settings) error {
		s.limiter, s.noLimiter = nil, true
		return nil
	}
}

// RateLimitState is the limiter's view of one location, for dashboards.
type RateLimitState struct {
	Max            int           // requests allowed per window
	Window         time.Duration // the burst window
	Used           int           // requests counted in the current window, including other processes' seen in headers
	Learned        bool          // Max and Window come from HighLevel's headers, not the defaults
	DailyLimit     int           // -1 when not reported
	DailyRemaining int           // -1 when not reported
	DailyReset     time.Time     // set while the daily budget is spent
}

// RateLimit returns the limiter's state for a location ("" for the client's
// own). The zero state is returned when throttling is off.
func (c *Client) RateLimit(locationID string) RateLimitState {
	if c.limiter == nil {
		return RateLimitState{}
	}
	if locationID == "" {
		locationID = c.limitKey
	}
	if sn, ok := c.limiter.(interface{ Snapshot(string) RateLimitState }); ok {
		return sn.Snapshot(locationID)
	}
	return RateLimitState{}
}

// isNilPointer reports a typed nil pointer inside an interface.
func isNilPointer(l RateLimiter) bool {
	if p, ok := l.(*LocalRateLimiter); ok {
		return p == nil
	}
	return false
}

// dailyError is the error of a call refused because the daily budget is
// spent.
func dailyError(method, path string, reset time.Time) *RateLimitError {
	return &RateLimitError{APIError: &APIError{StatusCode: http.StatusTooManyRequests, Method: method, Path: path,
		Messages: []string{"the daily rate limit is spent; not sent"}}, Daily: true, RetryAfter: time.Until(reset),
		RateLimit: RateLimit{Max: -1, Remaining: -1, DailyLimit: -1, DailyRemaining: 0, DailyReset: reset}}
}
