package ghl_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/webhook"
)

// TestNoGoroutinesOutliveTheirWork: bulk runs with progress, refreshes whose
// caller gave up, and ghltest's webhook deliveries leave no goroutine
// behind once they are done and the servers are closed.
func TestNoGoroutinesOutliveTheirWork(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	signer, err := webhook.NewTestSigner()
	require.NoError(t, err)
	v, err := signer.TestVerifier()
	require.NoError(t, err)
	receiver := httptest.NewServer(webhook.NewHandler(v, webhook.NewMux().Handle))

	e := newOAuthEnv(t)
	e.srv.DeliverWebhooks(receiver.URL, signer)
	src := e.install(t, ghl.NewMemoryStore())
	c := e.client(t, src)

	r := c.Contacts.BulkUpsert(context.Background(), upserts("leak", 40), ghl.BulkOptions{
		Concurrency: 4, ProgressInterval: time.Millisecond, Progress: func(ghl.BulkProgress) {}})
	require.Zero(t, r.Failed)

	e.clock.Advance(2 * time.Hour)
	e.srv.Inject(ghltest.Fault{Path: "/oauth/token", Latency: 100 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	_, err = src.AccessToken(ctx) // gives up; the refresh goes on
	cancel()
	require.Error(t, err)
	_, err = src.AccessToken(context.Background()) // joins it and waits for the end
	require.NoError(t, err)

	wait, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	require.NoError(t, e.srv.WaitWebhooks(wait))
	e.srv.Close()
	receiver.Close()
}
