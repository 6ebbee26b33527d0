package ghl_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
)

// countingLimiter is a user's RateLimiter: it counts acquires and dones.
type countingLimiter struct {
	inner          ghl.RateLimiter
	acquires, done atomic.Int32
	daily          bool
}

type countingHold struct {
	ghl.RateHold
	l *countingLimiter
}

func (h countingHold) Done(hd http.Header, status int) { h.l.done.Add(1); h.RateHold.Done(hd, status) }

func (l *countingLimiter) Acquire(ctx context.Context, key string) (ghl.RateHold, error) {
	l.acquires.Add(1)
	if l.daily {
		return nil, &ghl.RateLimitError{APIError: &ghl.APIError{StatusCode: 429}, Daily: true}
	}
	h, err := l.inner.Acquire(ctx, key)
	if err != nil {
		return nil, err
	}
	return countingHold{h, l}, nil
}

// TestCustomRateLimiter: a RateLimiter of the user's throttles every
// attempt, gets exactly one Done per attempt, and its daily refusal is a
// daily *RateLimitError naming the call.
func TestCustomRateLimiter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rec := newRecorder(t, answer{status: 503, body: `{}`}, answer{status: 200, body: okContact})
	lim := &countingLimiter{inner: ghl.NewRateLimiter()}
	c := rec.client(ghl.WithRateLimiter(lim))
	_, err := c.Contacts.Get(ctx, contactID)
	require.NoError(t, err)
	assert.Equal(t, int32(2), lim.acquires.Load(), "one acquire per attempt")
	assert.Equal(t, int32(2), lim.done.Load(), "one Done per attempt")

	lim.daily = true
	_, err = c.Contacts.Get(ctx, contactID)
	var rl *ghl.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.True(t, rl.Daily)
	assert.Equal(t, "GET", rl.Method)
	assert.Equal(t, "/contacts/"+contactID, rl.Path)
	assert.Len(t, rec.requests(), 2, "nothing sent once the daily budget is spent")
	_, err = ghl.NewClient(ghl.WithToken("t"), ghl.WithRateLimiter(nil))
	assert.ErrorIs(t, err, ghl.ErrInvalidInput)
}

// TestBudgetKeyedByTargetLocation: an agency client without a default
// location spends each location's own budget, not one shared "default".
func TestBudgetKeyedByTargetLocation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rec := newRecorder(t, answer{status: 200, body: `{"contacts":[],"total":0}`})
	lim := ghl.NewRateLimiter()
	c, err := ghl.NewClient(ghl.WithBaseURL(rec.srv.URL), ghl.WithToken(testToken), ghl.WithRateLimiter(lim))
	require.NoError(t, err)
	for _, loc := range []string{"LocationA00000000001", "LocationA00000000001", "LocationB00000000001"} {
		_, err := c.Contacts.Search(ctx, ghl.SearchRequest{LocationID: loc})
		require.NoError(t, err)
	}
	_, err = c.Tags.ListLocation(ctx, "LocationC00000000001")
	_ = err // the answer does not matter here; the budget does
	assert.Equal(t, 2, lim.Snapshot("LocationA00000000001").Used)
	assert.Equal(t, 1, lim.Snapshot("LocationB00000000001").Used)
	assert.Equal(t, 1, lim.Snapshot("LocationC00000000001").Used)
	require.NoError(t, c.Do(ctx, "GET", "/users/?companyId=Company0000000000001", nil, nil))
	assert.Equal(t, 1, lim.Snapshot("company:Company0000000000001").Used, "agency calls spend the company's budget")
	assert.Zero(t, lim.Snapshot("default").Used)
}
