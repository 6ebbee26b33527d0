package ghl

import (
	"net/http"
	"strconv"
	"time"
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
		rl.DailyReset = parseReset(v)
	}
	return rl
}

// parseReset reads a reset given as epoch seconds, epoch milliseconds or an
// RFC 3339 / HTTP date.
func parseReset(v string) time.Time {
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

func headerInt(h http.Header, key string) int {
	v := h.Get(key)
	if v == "" {
		return -1
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return -1
	}
	return n
}
