package ghlsync_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghlsync"
	"github.com/ghlkit/ghl/ghltest"
)

func TestSweepConfirmsEveryDeletion(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t, ghltest.WithSearchLag(time.Hour))
	c := fastClient(t, srv)
	ids := srv.Seed(ghltest.DefaultLocationID, 200) // seeded contacts are indexed at once
	for _, id := range ids[:4] {
		require.NoError(t, c.Contacts.Delete(ctx, id))
	}
	// A contact created just now is known to the app but not yet in the
	// lagging index: missing from the read, found by the direct read.
	fresh, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("new@example.com")})
	require.NoError(t, err)
	known := append(append([]string{}, ids...), fresh.ID)

	deleted, err := ghlsync.Sweep(ctx, c, known, ghlsync.SweepOptions{PageLimit: 50})
	require.NoError(t, err)
	assert.ElementsMatch(t, ids[:4], deleted)
}

func TestFailedSweepDeletesNothing(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	c := fastClient(t, srv)
	ids := srv.Seed(ghltest.DefaultLocationID, 200)
	require.NoError(t, c.Contacts.Delete(ctx, ids[0]))

	// The read fails on its third page, after two good ones.
	var pages atomic.Int32
	failing, err := srv.Client(ghl.WithRetryPolicy(ghl.RetryPolicy{MaxRetries: ghl.NoRetries}), ghl.WithHTTPClient(&http.Client{
		Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
			if r.URL.Path == "/contacts/search" && pages.Add(1) == 3 {
				return nil, errors.New("connection reset")
			}
			return http.DefaultTransport.RoundTrip(r)
		})}))
	require.NoError(t, err)
	deleted, err := ghlsync.Sweep(ctx, failing, ids, ghlsync.SweepOptions{PageLimit: 50})
	require.Error(t, err)
	assert.Empty(t, deleted)
	assert.Equal(t, int32(3), pages.Load())

	// Interrupted: the caller's context ends mid-read.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	deleted, err = ghlsync.Sweep(cctx, c, ids, ghlsync.SweepOptions{PageLimit: 50})
	require.Error(t, err)
	assert.Empty(t, deleted)
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestSweepBreakerOnMassDisappearance(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	c := fastClient(t, srv)
	ids := srv.Seed(ghltest.DefaultLocationID, 100)
	for _, id := range ids[:10] {
		require.NoError(t, c.Contacts.Delete(ctx, id))
	}
	deleted, err := ghlsync.Sweep(ctx, c, ids, ghlsync.SweepOptions{})
	assert.ErrorIs(t, err, ghlsync.ErrTooManyMissing)
	assert.Empty(t, deleted)
	deleted, err = ghlsync.Sweep(ctx, c, ids, ghlsync.SweepOptions{MaxMissing: 0.2})
	require.NoError(t, err)
	assert.Len(t, deleted, 10)
}
