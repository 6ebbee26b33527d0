package transport

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestExponential(t *testing.T) {
	min, max := 100*time.Millisecond, 2*time.Second
	for attempt, want := range []time.Duration{100, 200, 400, 800, 1600, 2000, 2000} {
		want *= time.Millisecond
		if attempt >= 5 {
			want = max
		}
		assert.Equal(t, want/2, Exponential(min, max, attempt, 0), "attempt %d, no jitter", attempt)
		got := Exponential(min, max, attempt, 0.999)
		assert.True(t, got >= want/2 && got <= want, "attempt %d: %v within [%v, %v]", attempt, got, want/2, want)
	}
	assert.Equal(t, max/2, Exponential(min, max, 200, 0), "no overflow on large attempts")
	assert.Zero(t, Exponential(0, max, 3, 0.5))
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	h := func(v string) http.Header { return http.Header{"Retry-After": {v}} }
	cases := map[string]struct {
		d  time.Duration
		ok bool
	}{
		"3": {3 * time.Second, true}, "0": {0, true}, "1.5": {1500 * time.Millisecond, true},
		"-1": {0, false}, "soon": {0, false}, "": {0, false}, "NaN": {0, false},
		now.Add(90 * time.Second).Format(http.TimeFormat): {90 * time.Second, true},
		now.Add(-time.Hour).Format(http.TimeFormat):       {0, true},
	}
	for v, want := range cases {
		d, ok := RetryAfter(h(v), now)
		assert.Equal(t, want.ok, ok, v)
		assert.Equal(t, want.d, d, v)
	}
}

func TestWindowWaitAndDaily(t *testing.T) {
	spent := http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Interval-Milliseconds": {"10000"}}
	d, ok := WindowWait(spent)
	assert.True(t, ok)
	assert.Equal(t, 10*time.Second, d)
	_, ok = WindowWait(http.Header{"X-Ratelimit-Remaining": {"3"}, "X-Ratelimit-Interval-Milliseconds": {"10000"}})
	assert.False(t, ok)
	assert.True(t, DailyExhausted(http.Header{"X-Ratelimit-Daily-Remaining": {"0"}}))
	assert.False(t, DailyExhausted(http.Header{"X-Ratelimit-Daily-Remaining": {"12"}}))
	assert.False(t, DailyExhausted(http.Header{}))
}

func TestBackoffPrefersServerHints(t *testing.T) {
	r := &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {"2"}}}
	assert.Equal(t, 2*time.Second, Backoff(time.Millisecond, time.Minute, 0, r))
	assert.Equal(t, time.Second, Backoff(time.Millisecond, time.Second, 0, r), "capped at max")
	r = &http.Response{StatusCode: 429, Header: http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Interval-Milliseconds": {"700"}}}
	assert.Equal(t, 700*time.Millisecond, Backoff(time.Millisecond, time.Minute, 0, r))
	got := Backoff(100*time.Millisecond, time.Minute, 1, &http.Response{StatusCode: 500, Header: http.Header{}})
	assert.True(t, got >= 100*time.Millisecond && got <= 200*time.Millisecond, got)
}

func TestNotSent(t *testing.T) {
	assert.True(t, NotSent(&net.OpError{Op: "dial", Err: errors.New("connection refused")}))
	assert.True(t, NotSent(&net.DNSError{Err: "no such host"}))
	assert.False(t, NotSent(&net.OpError{Op: "read", Err: errors.New("connection reset")}))
	assert.False(t, NotSent(context.DeadlineExceeded))
}

func TestCheckRetryCountsAndStops(t *testing.T) {
	call := &Call{Retryable: true, MaxRetries: 2, MaxWait: time.Second}
	ctx := WithCall(context.Background(), call)
	resp := func() *http.Response {
		return &http.Response{StatusCode: 503, Header: http.Header{}, Body: http.NoBody}
	}
	for i, want := range []bool{true, true, false} {
		got, err := CheckRetry(ctx, resp(), nil)
		assert.NoError(t, err)
		assert.Equal(t, want, got, "attempt %d", i+1)
	}
	assert.Equal(t, 3, call.Attempts)
	assert.NotNil(t, call.Last, "the retried answer is kept")

	cancelled, cancel := context.WithCancel(WithCall(context.Background(), &Call{Retryable: true, MaxRetries: 5}))
	cancel()
	got, _ := CheckRetry(cancelled, nil, context.Canceled)
	assert.False(t, got, "never retry past the caller's cancellation")
}

func TestCheckID(t *testing.T) {
	for _, ok := range []string{"ocQHyuzHvysMo5N5VsXc", "641c094001436dbc2081e642", "78559bb3-b920-461e-b010-7b2a2816d2a9", "a.b", "searchable", "upserts"} {
		assert.Empty(t, CheckID(ok), ok)
	}
	for _, bad := range []string{"", ".", "..", "a/b", "a?b", "a#b", "a b", "a\x00", "a%2F", `a\b`, "ä", "removeAll", "search", "upsert", "bulk", "business"} {
		assert.NotEmpty(t, CheckID(bad), bad)
	}
}
