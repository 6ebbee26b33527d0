package ghl_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
)

var timeZero time.Time

// mockClient returns a client whose HTTP goes to an httpmock transport.
func mockClient(t *testing.T, p ghl.RetryPolicy) (*ghl.Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	c, err := ghl.NewClient(ghl.WithToken(testToken), ghl.WithLocation(testLocation),
		ghl.WithHTTPClient(&http.Client{Transport: mt}), ghl.WithRetryPolicy(p))
	require.NoError(t, err)
	return c, mt
}

var fast = ghl.RetryPolicy{MaxRetries: 3, MinWait: time.Millisecond, MaxWait: 20 * time.Millisecond, SettleWait: 5 * time.Millisecond}

const base = ghl.DefaultBaseURL

var (
	refused = &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "connection refused"}}
	reset   = &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
)

func TestRetryMatrix(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	get := func(c *ghl.Client) error { _, err := c.Contacts.Get(ctx, contactID); return err }
	create := func(c *ghl.Client) error {
		_, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("a@b.co")})
		return err
	}
	createTask := func(c *ghl.Client) error {
		_, err := c.Tasks.Create(ctx, contactID, ghl.CreateTaskRequest{Title: "t", DueDate: time.Now()})
		return err
	}
	upsert := func(c *ghl.Client) error {
		_, err := c.Contacts.Upsert(ctx, ghl.UpsertContactRequest{CreateContactRequest: ghl.CreateContactRequest{Email: ghl.Ptr("a@b.co")}})
		return err
	}
	upsertAlwaysNew := func(c *ghl.Client) error {
		_, err := c.Contacts.Upsert(ctx, ghl.UpsertContactRequest{CreateContactRequest: ghl.CreateContactRequest{Email: ghl.Ptr("a@b.co")},
			CreateNewIfDuplicateAllowed: ghl.Ptr(true)})
		return err
	}
	del := func(c *ghl.Client) error { return c.Contacts.Delete(ctx, contactID) }
	search := func(c *ghl.Client) error { _, err := c.Contacts.Search(ctx, ghl.SearchRequest{}); return err }
	workflow := func(c *ghl.Client) error { return c.Contacts.AddToWorkflow(ctx, contactID, "wf", timeZero) }

	type route struct{ method, url string }
	routes := map[string]route{
		"get": {"GET", base + "/contacts/" + contactID}, "create": {"POST", base + "/contacts/"},
		"createTask": {"POST", base + "/contacts/" + contactID + "/tasks"}, "upsert": {"POST", base + "/contacts/upsert"},
		"upsertAlwaysNew": {"POST", base + "/contacts/upsert"}, "delete": {"DELETE", base + "/contacts/" + contactID},
		"search": {"POST", base + "/contacts/search"}, "workflow": {"POST", base + "/contacts/" + contactID + "/workflow/wf"},
	}
	calls := map[string]func(*ghl.Client) error{"get": get, "create": create, "createTask": createTask, "upsert": upsert,
		"upsertAlwaysNew": upsertAlwaysNew, "delete": del, "search": search, "workflow": workflow}
	idempotent := map[string]bool{"get": true, "upsert": true, "delete": true, "search": true}

	failures := map[string]httpmock.Responder{
		"500":     httpmock.NewStringResponder(500, `{"message":"boom"}`),
		"502":     httpmock.NewStringResponder(502, `bad gateway`),
		"503":     httpmock.NewStringResponder(503, `{}`),
		"504":     httpmock.NewStringResponder(504, `{}`),
		"408":     httpmock.NewStringResponder(408, `{}`),
		"429":     httpmock.NewStringResponder(429, `{"message":"Too many requests"}`),
		"reset":   httpmock.NewErrorResponder(reset),
		"refused": httpmock.NewErrorResponder(refused),
		"400":     httpmock.NewStringResponder(400, `{"message":"bad"}`),
		"401":     httpmock.NewStringResponder(401, `{"message":"no"}`),
		"422":     httpmock.NewStringResponder(422, `{"message":["no"]}`),
	}
	for name, call := range calls {
		for fname, responder := range failures {
			c, mt := mockClient(t, fast)
			r := routes[name]
			mt.RegisterResponder(r.method, r.url, responder)
			err := call(c)
			require.Error(t, err)
			var want int
			switch fname {
			case "refused":
				want = 4 // provably not processed: every call is resent
			case "429":
				want = 14 // refused by the server: resent, with 10 retries of their own
			case "500", "502", "503", "504", "408", "reset":
				if idempotent[name] {
					want = 4
				} else {
					want = 1 // may have been processed: never resent
				}
			default:
				want = 1 // a client error is final
			}
			assert.Equal(t, want, mt.GetTotalCallCount(), "%s on %s", name, fname)
			// A write whose attempt may have been carried out says so.
			maybe := (fname == "500" || fname == "502" || fname == "504" || fname == "reset") &&
				(!idempotent[name] || name == "upsert")
			assert.Equal(t, maybe, errors.Is(err, ghl.ErrMaybeProcessed), "%s on %s: %v", name, fname, err)
		}
	}
}

func TestRetryThenSuccess(t *testing.T) {
	c, mt := mockClient(t, fast)
	mt.RegisterResponder("GET", base+"/contacts/"+contactID, httpmock.ResponderFromMultipleResponses([]*http.Response{
		httpmock.NewStringResponse(503, `{}`),
		httpmock.NewStringResponse(502, `oops`),
		httpmock.NewStringResponse(200, `{"contact":{"id":"`+contactID+`"}}`),
	}))
	var resp ghl.Response
	got, err := c.Contacts.Get(context.Background(), contactID, ghl.WithResponse(&resp))
	require.NoError(t, err)
	assert.Equal(t, contactID, got.ID)
	assert.Equal(t, 3, resp.Attempts)
}

func TestLastAnswerKeptWhenRetriesRunOut(t *testing.T) {
	c, mt := mockClient(t, fast)
	mt.RegisterResponder("GET", base+"/contacts/"+contactID,
		httpmock.NewStringResponder(503, `{"statusCode":503,"message":"down for maintenance","traceId":"t-9"}`))
	_, err := c.Contacts.Get(context.Background(), contactID)
	var ae *ghl.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 503, ae.StatusCode)
	assert.Equal(t, []string{"down for maintenance"}, ae.Messages)
	assert.Equal(t, "t-9", ae.TraceID)
	assert.Equal(t, 4, mt.GetTotalCallCount())
}

func TestPerCallRetries(t *testing.T) {
	c, mt := mockClient(t, fast)
	mt.RegisterResponder("GET", base+"/contacts/"+contactID, httpmock.NewStringResponder(500, `{}`))
	_, err := c.Contacts.Get(context.Background(), contactID, ghl.WithMaxRetries(0))
	require.Error(t, err)
	assert.Equal(t, 1, mt.GetTotalCallCount())
}

func TestRetryAfterHonoured(t *testing.T) {
	t.Parallel()
	for _, date := range []bool{false, true} {
		ra := "1"
		if date {
			// HTTP dates have whole seconds: 3s ahead is at least 2s away.
			ra = time.Now().Add(3 * time.Second).UTC().Format(http.TimeFormat)
		}
		c, mt := mockClient(t, ghl.RetryPolicy{MaxRetries: 1, MinWait: time.Millisecond, MaxWait: 5 * time.Second})
		first := httpmock.NewStringResponse(429, `{}`)
		first.Header.Set("Retry-After", ra)
		mt.RegisterResponder("GET", base+"/contacts/"+contactID, httpmock.ResponderFromMultipleResponses([]*http.Response{
			first, httpmock.NewStringResponse(200, `{"contact":{}}`)}))
		start := time.Now()
		_, err := c.Contacts.Get(context.Background(), contactID)
		require.NoError(t, err)
		// A lower bound only: the wait must not be shorter than asked.
		assert.GreaterOrEqual(t, time.Since(start), 500*time.Millisecond, "Retry-After %s", ra)
	}
}

func TestRetryAfterBeyondMaxWaitGivesUpAtOnce(t *testing.T) {
	c, mt := mockClient(t, ghl.RetryPolicy{MaxRetries: 3, MinWait: time.Millisecond, MaxWait: time.Second})
	r := httpmock.NewStringResponse(429, `{"message":"slow down"}`)
	r.Header.Set("Retry-After", "120")
	mt.RegisterResponder("GET", base+"/contacts/"+contactID, httpmock.ResponderFromResponse(r))
	_, err := c.Contacts.Get(context.Background(), contactID)
	var rl *ghl.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, 120*time.Second, rl.RetryAfter)
	assert.Equal(t, 1, mt.GetTotalCallCount(), "no second 429 collected")
}

func TestWindowWaitWhenBudgetSpent(t *testing.T) {
	t.Parallel()
	c, mt := mockClient(t, ghl.RetryPolicy{MaxRetries: 1, MinWait: time.Millisecond, MaxWait: 5 * time.Second})
	first := httpmock.NewStringResponse(429, `{}`)
	first.Header.Set("X-RateLimit-Remaining", "0")
	first.Header.Set("X-RateLimit-Interval-Milliseconds", "400")
	mt.RegisterResponder("GET", base+"/contacts/"+contactID, httpmock.ResponderFromMultipleResponses([]*http.Response{
		first, httpmock.NewStringResponse(200, `{"contact":{}}`)}))
	start := time.Now()
	_, err := c.Contacts.Get(context.Background(), contactID)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), 400*time.Millisecond)
}

func TestCancelStopsTheWait(t *testing.T) {
	c, mt := mockClient(t, ghl.RetryPolicy{MaxRetries: 5, MinWait: time.Minute, MaxWait: time.Hour})
	mt.RegisterResponder("GET", base+"/contacts/"+contactID, httpmock.NewStringResponder(503, `{"message":"busy"}`))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Contacts.Get(ctx, contactID)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 30*time.Second, "did not wait out the backoff")
	var ae *ghl.APIError
	require.ErrorAs(t, err, &ae, "the last answer is kept")
	assert.Equal(t, 503, ae.StatusCode)
	assert.Equal(t, 1, mt.GetTotalCallCount())
}

// TestCreateNotDuplicatedAfterTimeout: the first attempt reaches a server
// that creates the contact but answers too late; the SDK must not send it again.
func TestCreateNotDuplicatedAfterTimeout(t *testing.T) {
	t.Parallel()
	var created atomic.Int32
	srv := newSlowServer(t, func() { created.Add(1) })
	c, err := ghl.NewClient(ghl.WithToken(testToken), ghl.WithLocation(testLocation), ghl.WithBaseURL(srv),
		ghl.WithHTTPClient(&http.Client{Timeout: 100 * time.Millisecond}), ghl.WithRetryPolicy(fast))
	require.NoError(t, err)
	var resp ghl.Response
	_, err = c.Contacts.Create(context.Background(), ghl.CreateContactRequest{Email: ghl.Ptr("a@b.co")}, ghl.WithResponse(&resp))
	require.Error(t, err)
	var ne net.Error
	require.True(t, errors.As(err, &ne) && ne.Timeout(), "a timeout: %v", err)
	assert.ErrorIs(t, err, ghl.ErrMaybeProcessed)
	assert.Equal(t, 1, resp.Attempts, "sent once")
	assert.LessOrEqual(t, created.Load(), int32(1), "the server saw it at most once")

	// A GET that times out the same way is retried (the server may see
	// fewer of the attempts when the machine is busy: some time out before
	// they reach it).
	_, err = c.Contacts.Get(context.Background(), contactID, ghl.WithResponse(&resp))
	require.Error(t, err)
	assert.Equal(t, 1+fast.MaxRetries, resp.Attempts)
}

func TestCreateResentWhenConnectionRefused(t *testing.T) {
	c, mt := mockClient(t, fast)
	calls := 0
	mt.RegisterResponder("POST", base+"/contacts/", func(r *http.Request) (*http.Response, error) {
		calls++
		if calls == 1 {
			return nil, refused
		}
		return httpmock.NewStringResponse(201, `{"contact":{"id":"new00000000000000001"}}`), nil
	})
	got, err := c.Contacts.Create(context.Background(), ghl.CreateContactRequest{Email: ghl.Ptr("a@b.co")})
	require.NoError(t, err)
	assert.Equal(t, "new00000000000000001", got.ID)
	assert.Equal(t, 2, calls)
}
