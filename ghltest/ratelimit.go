package ghltest

import (
	"net/http"
	"strconv"
	"time"
)

// bucket is the rate-limit state of one app and location: a fixed burst
// window that starts with its first request (or, WithSlidingWindow, the
// requests of the last window), and a daily count.
type bucket struct {
	windowStart time.Time
	count       int
	day         time.Time
	daily       int
	counted     []time.Time // with a sliding window: when each counted request arrived
}

// limitState is what the answer's headers report.
type limitState struct {
	max, remaining, dailyMax, dailyRemaining int
	window                                   time.Duration
}

func (l limitState) apply(h http.Header) {
	h.Set("X-RateLimit-Limit-Daily", strconv.Itoa(l.dailyMax))
	h.Set("X-RateLimit-Daily-Remaining", strconv.Itoa(l.dailyRemaining))
	h.Set("X-RateLimit-Interval-Milliseconds", strconv.FormatInt(l.window.Milliseconds(), 10))
	h.Set("X-RateLimit-Max", strconv.Itoa(l.max))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(l.remaining))
}

// admit counts one request of tok's app and location, or refuses it with 429.
func (s *Server) admit(tok *token) (limitState, reply, bool) {
	key := tok.app + "|" + tok.location
	now := s.now()
	s.mu.Lock()
	b := s.limits[key]
	if b == nil {
		b = &bucket{}
		s.limits[key] = b
	}
	if s.cfg.sliding {
		i := 0
		for i < len(b.counted) && now.Sub(b.counted[i]) >= s.cfg.window {
			i++
		}
		b.counted = b.counted[i:]
		b.count = len(b.counted)
	} else if now.Sub(b.windowStart) >= s.cfg.window {
		b.windowStart, b.count = now, 0
	}
	if day := now.UTC().Truncate(24 * time.Hour); !day.Equal(b.day) {
		b.day, b.daily = day, 0
	}
	st := limitState{max: s.cfg.burst, dailyMax: s.cfg.daily, window: s.cfg.window}
	refused := b.count >= s.cfg.burst || b.daily >= s.cfg.daily
	if !refused {
		b.count++
		b.daily++
		if s.cfg.sliding {
			b.counted = append(b.counted, now)
		}
	}
	st.remaining, st.dailyRemaining = max(s.cfg.burst-b.count, 0), max(s.cfg.daily-b.daily, 0)
	s.mu.Unlock()
	if refused {
		rep := jsonReply(http.StatusTooManyRequests, map[string]any{
			"statusCode": http.StatusTooManyRequests, "message": "Too Many Requests", "error": "Too Many Requests"})
		st.apply(rep.header)
		return st, rep, false
	}
	return st, reply{}, true
}

// RateLimited counts the 429 answers sent so far.
func (s *Server) RateLimited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.log {
		if r.Status == http.StatusTooManyRequests {
			n++
		}
	}
	return n
}
