package ghl_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/webhook"
)

// TestRequestCounter: a counter on the context counts every request its
// calls send, retries included, and nothing of calls made without it or
// refused before sending.
func TestRequestCounter(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, answer{status: 503, body: `{}`}, answer{status: 200, body: okContact})
	c := rec.client()
	var n ghl.RequestCounter
	ctx := ghl.ContextWithRequestCounter(context.Background(), &n)
	_, err := c.Contacts.Get(ctx, contactID)
	require.NoError(t, err)
	assert.EqualValues(t, 2, n.Count(), "a 503 and its retry")
	_, err = c.Contacts.Get(ctx, "a/b")
	require.Error(t, err)
	assert.EqualValues(t, 2, n.Count(), "refused before sending: nothing sent")
	_, err = c.Contacts.Get(context.Background(), contactID)
	require.NoError(t, err)
	assert.EqualValues(t, 2, n.Count(), "a call without the counter")
}

// TestRetryPolicyZeroFieldsAreDefaults: RetryPolicy{MaxRetries: 5} keeps the
// default waits, so a 429 with Retry-After: 1 is waited out and retried.
func TestRetryPolicyZeroFieldsAreDefaults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rec := newRecorder(t, answer{status: 429, header: map[string]string{"Retry-After": "1"}, body: `{}`}, answer{status: 200, body: okContact})
	c := rec.client(ghl.WithRetryPolicy(ghl.RetryPolicy{MaxRetries: 5}), ghl.WithoutRateLimiter())
	start := time.Now()
	_, err := c.Contacts.Get(ctx, contactID)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), 900*time.Millisecond, "Retry-After honoured")
	assert.Len(t, rec.requests(), 2)

	// A 503 waits at least half the default MinWait (equal jitter) before the retry.
	rec = newRecorder(t, answer{status: 503, body: `{}`}, answer{status: 200, body: okContact})
	c = rec.client(ghl.WithRetryPolicy(ghl.RetryPolicy{MaxRetries: 5}), ghl.WithoutRateLimiter())
	start = time.Now()
	_, err = c.Contacts.Get(ctx, contactID)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), ghl.DefaultRetryPolicy().MinWait/2)

	// NoRetries sends once.
	rec = newRecorder(t, answer{status: 503, body: `{}`})
	_, err = rec.client(ghl.WithRetryPolicy(ghl.RetryPolicy{MaxRetries: ghl.NoRetries})).Contacts.Get(ctx, contactID)
	require.Error(t, err)
	assert.Len(t, rec.requests(), 1)

	// The default is a fresh value each time: changing one changes nothing else.
	p := ghl.DefaultRetryPolicy()
	p.MaxRetries = 99
	assert.Equal(t, 3, ghl.DefaultRetryPolicy().MaxRetries)
}

// closeCounter is a caller's transport that counts CloseIdleConnections.
type closeCounter struct {
	http.RoundTripper
	closes atomic.Int32
}

func (c *closeCounter) CloseIdleConnections() { c.closes.Add(1) }

// TestSharedHTTPClientKeepsItsPool: a failed call never closes the idle
// connections of the caller's own http.Client.
func TestSharedHTTPClientKeepsItsPool(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rec := newRecorder(t, answer{status: 200, body: okContact}, answer{drop: true})
	cc := &closeCounter{RoundTripper: http.DefaultTransport.(*http.Transport).Clone()}
	shared := &http.Client{Transport: cc, Timeout: 5 * time.Second}
	c := rec.client(ghl.WithHTTPClient(shared))
	_, err := c.Contacts.Get(ctx, contactID)
	require.NoError(t, err)
	_, err = c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("a@b.co")})
	require.Error(t, err)
	_, err = c.Contacts.Get(ctx, contactID) // runs out of retries
	require.Error(t, err)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, _ = c.Contacts.Get(cctx, contactID)
	assert.Zero(t, cc.closes.Load(), "the caller's idle connections were closed")
}

// TestInsecureHTTPIsExplicit: plain http off loopback needs WithInsecureHTTP.
func TestInsecureHTTPIsExplicit(t *testing.T) {
	_, err := ghl.NewClient(ghl.WithToken("t"), ghl.WithBaseURL("http://ghlfake:8080"))
	assert.ErrorIs(t, err, ghl.ErrInvalidInput)
	_, err = ghl.NewClient(ghl.WithInsecureHTTP(), ghl.WithToken("t"), ghl.WithBaseURL("http://ghlfake:8080"))
	assert.NoError(t, err, "the option works in any order")
	_, err = ghl.NewClient(ghl.WithToken("t"), ghl.WithBaseURL("http://ghlfake:8080"), ghl.WithInsecureHTTP())
	assert.NoError(t, err)
}

func TestNewClientOptions(t *testing.T) {
	cases := map[string][]ghl.Option{
		"no token":            nil,
		"empty token":         {ghl.WithToken(" ")},
		"malformed base":      {ghl.WithToken("t"), ghl.WithBaseURL("://nope")},
		"relative base":       {ghl.WithToken("t"), ghl.WithBaseURL("/v2")},
		"plain http remote":   {ghl.WithToken("t"), ghl.WithBaseURL("http://services.leadconnectorhq.com")},
		"base with query":     {ghl.WithToken("t"), ghl.WithBaseURL("https://x.example/?a=1")},
		"bad location":        {ghl.WithToken("t"), ghl.WithLocation("a/b")},
		"nil http client":     {ghl.WithToken("t"), ghl.WithHTTPClient(nil)},
		"negative wait":       {ghl.WithToken("t"), ghl.WithRetryPolicy(ghl.RetryPolicy{MinWait: -1})},
		"token and source":    {ghl.WithToken("t"), ghl.WithTokenSource(staticSource("x"))},
		"multi-line agent":    {ghl.WithToken("t"), ghl.WithUserAgent("a\r\nb")},
		"whitespace in token": {ghl.WithToken("a b")},
	}
	for name, opts := range cases {
		_, err := ghl.NewClient(opts...)
		assert.Error(t, err, name)
	}
	for _, ok := range []string{"https://services.leadconnectorhq.com", "http://127.0.0.1:8080/base/", "http://localhost:1", "http://[::1]:9/x"} {
		_, err := ghl.NewClient(ghl.WithToken("t"), ghl.WithBaseURL(ok))
		assert.NoError(t, err, ok)
	}
}

type staticSource string

func (s staticSource) AccessToken(context.Context) (string, error) { return string(s), nil }

func TestTokenSourceIsAskedPerCall(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, answer{status: 200, body: `{"contact":{"id":"x"}}`})
	c, err := ghl.NewClient(ghl.WithBaseURL(rec.srv.URL), ghl.WithTokenSource(staticSource("dyn-token")))
	require.NoError(t, err)
	_, err = c.Contacts.Get(context.Background(), contactID)
	require.NoError(t, err)
	assert.Equal(t, "Bearer dyn-token", rec.requests()[0].Header.Get("Authorization"))
}

func TestClientNeverPrintsToken(t *testing.T) {
	c, err := ghl.NewClient(ghl.WithToken(testToken))
	require.NoError(t, err)
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c)} {
		assert.NotContains(t, s, testToken)
		assert.NotContains(t, s, "SECRET")
	}
}

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
