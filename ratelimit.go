package ghl

import (
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

// RateLimiter throttles requests before HighLevel refuses them: never more
// in any window than the server allows, learned from its X-RateLimit-*
// headers (starting from the documented 100 per 10 s), shared with other
// processes as their use shows in X-RateLimit-Remaining, and failing fast
// with a daily *RateLimitError once the daily budget is known to be spent.
//
// Every client has its own unless WithRateLimiter shares one (clients of
// one app and location in one process should share) or WithoutRateLimiter
// turns it off. Limits are kept per location: the client's WithLocation.
type RateLimiter struct{ l *ratelimit.Limiter }

// NewRateLimiter returns a limiter to share between clients.
func NewRateLimiter() *RateLimiter { return &RateLimiter{l: ratelimit.New()} }

// WithRateLimiter makes the client throttle through l, shared with the other
// clients that use it.
func WithRateLimiter(l *RateLimiter) Option {
	return func(s *settings) error {
		if l == nil {
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
	st := c.limiter.l.Snapshot(locationID)
	return RateLimitState{Max: st.Max, Window: st.Window, Used: st.Used, Learned: st.Learned,
		DailyLimit: st.DailyLimit, DailyRemaining: st.DailyRemaining, DailyReset: st.DailyReset}
}
