package ghl_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
)

// thief records every request it receives, with its headers and body.
type thief struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen []string
}

func newThief(t *testing.T) *thief {
	th := &thief{}
	th.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		th.mu.Lock()
		th.seen = append(th.seen, fmt.Sprintf("%s %s %v %s", r.Method, r.URL, r.Header, b))
		th.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"contact":{"id":"stolen00000000000001"}}`))
	}))
	t.Cleanup(th.srv.Close)
	return th
}

func (th *thief) requests() []string {
	th.mu.Lock()
	defer th.mu.Unlock()
	return append([]string(nil), th.seen...)
}

// redirector answers every request with status and a Location to target.
func redirector(status int, target string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Location", target)
		w.WriteHeader(status)
	})
}

// TestRedirectsAreNeverFollowed: HighLevel's API does not redirect. A base
// URL that answers 3xx to another host, to the same host over plain http,
// or to itself gets a *RedirectError naming the status and the target
// host; the target receives nothing (no token, no body), whichever
// http.Client sends, and a caller's client is left as it was.
func TestRedirectsAreNeverFollowed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	th := newThief(t)
	plainSameHost := th.srv.URL // plain http, the same host name (127.0.0.1) as the TLS servers below
	otherHost := strings.Replace(th.srv.URL, "127.0.0.1", "localhost", 1)
	for _, status := range []int{301, 302, 303, 307, 308} {
		for _, tc := range []struct {
			name, target string
			srv          *httptest.Server
		}{
			{"to another host", otherHost, httptest.NewServer(redirector(status, otherHost+"/steal?token=x"))},
			{"TLS to plain http on the same host", plainSameHost, httptest.NewTLSServer(redirector(status, plainSameHost+"/steal?token=x"))},
		} {
			t.Run(fmt.Sprintf("%d %s", status, tc.name), func(t *testing.T) {
				defer tc.srv.Close()
				userClient := tc.srv.Client() // a caller's own http.Client, CheckRedirect unset
				clients := map[string][]ghl.Option{"caller's http.Client": {ghl.WithHTTPClient(userClient)}}
				if tc.srv.TLS == nil {
					clients["default http.Client"] = nil
				}
				for which, extra := range clients {
					c, err := ghl.NewClient(append([]ghl.Option{ghl.WithBaseURL(tc.srv.URL), ghl.WithToken(testToken),
						ghl.WithLocation(testLocation), ghl.WithRetryPolicy(fast)}, extra...)...)
					require.NoError(t, err)
					_, err = c.Contacts.Get(ctx, contactID)
					checkRedirectError(t, err, status, tc.target, which)
					_, err = c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("secret-body@example.com")})
					checkRedirectError(t, err, status, tc.target, which)
					assert.NotErrorIs(t, err, ghl.ErrMaybeProcessed, "a redirect is an answer, not an unknown outcome")
				}
				assert.Empty(t, th.requests(), "the redirect target received requests")
				assert.Nil(t, userClient.CheckRedirect, "the caller's client was changed")
			})
		}
	}
}

func checkRedirectError(t *testing.T, err error, status int, target, which string) {
	t.Helper()
	var re *ghl.RedirectError
	require.ErrorAs(t, err, &re, which)
	assert.ErrorIs(t, err, ghl.ErrRedirected, which)
	assert.Equal(t, status, re.StatusCode, which)
	assert.Equal(t, target, re.Target, which)
	assert.Contains(t, err.Error(), fmt.Sprint(status), which)
	assert.NotContains(t, err.Error(), testToken, which)
	assert.NotContains(t, err.Error(), "/steal", which)
	var ae *ghl.APIError
	assert.True(t, errors.As(err, &ae), "a redirect is an *APIError too")
}

// TestTruncatedBodyRetried: a 2xx answer cut off while its body streams is a
// failed attempt. Idempotent calls are sent again; a create is not, and says
// that it may have been carried out.
func TestTruncatedBodyRetried(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("get", func(t *testing.T) {
		rec := newRecorder(t, answer{status: 200, body: okContact[:30], cut: true}, answer{status: 200, body: okContact})
		var resp ghl.Response
		got, err := rec.client().Contacts.Get(ctx, contactID, ghl.WithResponse(&resp))
		require.NoError(t, err)
		assert.Equal(t, contactID, got.ID)
		assert.Equal(t, 2, resp.Attempts)
		assert.Len(t, rec.requests(), 2)
	})
	for name, call := range map[string]func(*ghl.Client) error{
		"update": func(c *ghl.Client) error {
			_, err := c.Contacts.Update(ctx, contactID, ghl.UpdateContactRequest{FirstName: ghl.Ptr("Ann")})
			return err
		},
		"search": func(c *ghl.Client) error { _, err := c.Contacts.Search(ctx, ghl.SearchRequest{}); return err },
		"delete": func(c *ghl.Client) error { return c.Contacts.Delete(ctx, contactID) },
	} {
		t.Run(name, func(t *testing.T) {
			rec := newRecorder(t, answer{status: 200, body: `{"succeded":true,"contact":{"id":"x"`, cut: true},
				answer{status: 200, body: `{"succeded":true,"contact":{"id":"x"},"contacts":[],"total":0}`})
			require.NoError(t, call(rec.client()))
			assert.Len(t, rec.requests(), 2)
		})
	}
	t.Run("create", func(t *testing.T) {
		rec := newRecorder(t, answer{status: 201, body: okContact[:30], cut: true}, answer{status: 201, body: okContact})
		_, err := rec.client().Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("a@b.co")})
		require.Error(t, err)
		assert.Len(t, rec.requests(), 1, "a create is never resent once it may have been carried out")
		assert.ErrorIs(t, err, ghl.ErrMaybeProcessed)
		assert.ErrorIs(t, err, ghl.ErrBadAnswer)
	})
	t.Run("get runs out of retries", func(t *testing.T) {
		rec := newRecorder(t, answer{status: 200, body: okContact[:30], cut: true})
		_, err := rec.client().Contacts.Get(ctx, contactID)
		var ae *ghl.AnswerError
		require.ErrorAs(t, err, &ae)
		assert.Contains(t, ae.Reason, "cut off")
		assert.Len(t, rec.requests(), 4)
	})
}

// TestEmptyBodyIsError: an operation declared to answer with a body never
// reports success on an empty or null one, and a create never reports
// success without an ID.
func TestEmptyBodyIsError(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, body := range []string{"", "null", "  \n"} {
		rec := newRecorder(t, answer{status: 200, body: body})
		c := rec.client()
		_, err := c.Contacts.Get(ctx, contactID)
		var ae *ghl.AnswerError
		require.ErrorAs(t, err, &ae, "get, body %q", body)
		assert.Equal(t, 200, ae.StatusCode)
		assert.Equal(t, "GET", ae.Method)
		assert.Equal(t, "/contacts/"+contactID, ae.Path)
		assert.NotErrorIs(t, err, ghl.ErrMaybeProcessed)

		_, err = c.Tasks.Get(ctx, contactID, "task00000000000000001")
		assert.ErrorIs(t, err, ghl.ErrBadAnswer, "task, body %q", body)
		_, err = c.Notes.Get(ctx, contactID, "note00000000000000001")
		assert.ErrorIs(t, err, ghl.ErrBadAnswer, "note, body %q", body)
		_, err = c.Contacts.Update(ctx, contactID, ghl.UpdateContactRequest{FirstName: ghl.Ptr("A")})
		assert.ErrorIs(t, err, ghl.ErrBadAnswer, "update, body %q", body)
		err = c.Contacts.Delete(ctx, contactID)
		assert.ErrorIs(t, err, ghl.ErrBadAnswer, "delete, body %q", body)

		_, err = c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("a@b.co")})
		assert.ErrorIs(t, err, ghl.ErrBadAnswer, "create, body %q", body)
		assert.ErrorIs(t, err, ghl.ErrMaybeProcessed, "create, body %q: the 2xx says it was carried out", body)
	}
	for _, body := range []string{`{}`, `{"contact":null}`, `{"contact":{"email":"a@b.co"}}`} {
		rec := newRecorder(t, answer{status: 201, body: body})
		_, err := rec.client().Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("a@b.co")})
		assert.ErrorIs(t, err, ghl.ErrMaybeProcessed, "create answered %s", body)
		_, err = rec.client().Contacts.Upsert(ctx, ghl.UpsertContactRequest{CreateContactRequest: ghl.CreateContactRequest{Email: ghl.Ptr("a@b.co")}})
		assert.ErrorIs(t, err, ghl.ErrBadAnswer, "upsert answered %s", body)
	}
}

// TestUnknownOutcomeIsTyped: a create whose outcome is unknown is told apart
// from one that was provably not sent.
func TestUnknownOutcomeIsTyped(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	create := func(c *ghl.Client) error {
		_, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("a@b.co")})
		return err
	}
	for name, a := range map[string]answer{
		"dropped": {drop: true}, "502": {status: 502, body: "bad gateway"}, "504": {status: 504, body: "{}"},
		"500": {status: 500, body: `{"message":"boom"}`},
	} {
		rec := newRecorder(t, a)
		before := time.Now()
		err := create(rec.client())
		var ue *ghl.UnknownOutcomeError
		require.ErrorAs(t, err, &ue, name)
		assert.ErrorIs(t, err, ghl.ErrMaybeProcessed, name)
		assert.Equal(t, "POST", ue.Method)
		assert.Equal(t, "/contacts/", ue.Path)
		assert.Equal(t, 1, ue.Attempts)
		assert.False(t, ue.SentAt.Before(before), name)
		assert.Len(t, rec.requests(), 1, name)
	}
	// Refused before anything was sent: not "maybe".
	rec := newRecorder(t)
	c := rec.client()
	rec.srv.Close()
	err := create(c)
	require.Error(t, err)
	assert.NotErrorIs(t, err, ghl.ErrMaybeProcessed)
	// A plain client error is definite.
	rec = newRecorder(t, answer{status: 422, body: `{"message":["email must be an email"]}`})
	err = create(rec.client())
	assert.NotErrorIs(t, err, ghl.ErrMaybeProcessed)
}

// TestUpsertWaitsBeforeResendAfterUnknownOutcome: an upsert resent after an
// attempt with no answer waits the settle time first, and says it did.
func TestUpsertWaitsBeforeResendAfterUnknownOutcome(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	upsert := ghl.UpsertContactRequest{CreateContactRequest: ghl.CreateContactRequest{Email: ghl.Ptr("a@b.co")}}
	const settle = 300 * time.Millisecond
	for name, first := range map[string]answer{"dropped": {drop: true}, "502": {status: 502}, "cut": {status: 200, body: okContact[:20], cut: true}} {
		rec := newRecorder(t, first, answer{status: 200, body: `{"new":false,` + okContact[1:]})
		c := rec.client(ghl.WithRetryPolicy(ghl.RetryPolicy{MinWait: time.Millisecond, MaxWait: 10 * time.Millisecond, SettleWait: settle}))
		start := time.Now()
		res, err := c.Contacts.Upsert(ctx, upsert)
		require.NoError(t, err, name)
		assert.GreaterOrEqual(t, time.Since(start), settle, "%s: the resend waited the settle time", name)
		assert.True(t, res.AfterUnknownOutcome, name)
		assert.Len(t, rec.requests(), 2, name)
	}
	// A 429 proves nothing was done: no settle wait, no flag.
	rec := newRecorder(t, answer{status: 429, header: map[string]string{"Retry-After": "0"}}, answer{status: 200, body: okContact})
	res, err := rec.client().Contacts.Upsert(ctx, upsert)
	require.NoError(t, err)
	assert.False(t, res.AfterUnknownOutcome)
	// Out of retries after unknown outcomes: the error says it may have happened.
	rec = newRecorder(t, answer{status: 504})
	_, err = rec.client(ghl.WithRetryPolicy(ghl.RetryPolicy{MaxRetries: 1, MinWait: time.Millisecond, SettleWait: time.Millisecond})).Contacts.Upsert(ctx, upsert)
	assert.ErrorIs(t, err, ghl.ErrMaybeProcessed)
}

// TestDeleteNotFoundAfterUnknownOutcomeSucceeds: a delete whose first attempt
// got no answer and whose retry finds nothing has succeeded.
func TestDeleteNotFoundAfterUnknownOutcomeSucceeds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rec := newRecorder(t, answer{drop: true}, answer{status: 404, body: `{"message":"Contact not found"}`})
	require.NoError(t, rec.client().Contacts.Delete(ctx, contactID))
	assert.Len(t, rec.requests(), 2)
	// Without an earlier unknown outcome, a 404 is a 404.
	rec = newRecorder(t, answer{status: 404, body: `{"message":"Contact not found"}`})
	assert.ErrorIs(t, rec.client().Contacts.Delete(ctx, contactID), ghl.ErrNotFound)
}

// TestReservedSegmentsAreNotIDs: an "ID" that is a fixed segment of a
// sibling route is refused before anything is sent.
func TestReservedSegmentsAreNotIDs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rec := newRecorder(t)
	c := rec.client()
	for _, id := range []string{"removeAll", "search", "upsert", "bulk", "business", "REMOVEALL"} {
		err := c.Contacts.RemoveFromCampaign(ctx, contactID, id)
		assert.ErrorIs(t, err, ghl.ErrInvalidInput, id)
		_, err = c.Contacts.Get(ctx, id)
		assert.ErrorIs(t, err, ghl.ErrInvalidInput, id)
		assert.ErrorIs(t, c.Contacts.Delete(ctx, id), ghl.ErrInvalidInput, id)
	}
	assert.Empty(t, rec.requests())
}

// TestAttemptTimeout: a slow attempt is abandoned after the per-attempt
// timeout and retried, within a context that covers the whole call.
func TestAttemptTimeout(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	release := make(chan struct{})
	defer close(release)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // so that the server notices the client leaving
		if calls.Add(1) == 1 {
			select { // the first attempt hangs until the client gives up on it
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(okContact))
	}))
	defer srv.Close()
	c, err := ghl.NewClient(ghl.WithBaseURL(srv.URL), ghl.WithToken(testToken), ghl.WithLocation(testLocation), ghl.WithoutRateLimiter(),
		ghl.WithRetryPolicy(ghl.RetryPolicy{MinWait: time.Millisecond, MaxWait: 10 * time.Millisecond}))
	require.NoError(t, err)
	// The attempt timeout is generous (a busy machine must not time out the
	// second attempt too); only the hang can make it expire.
	const attempt = time.Second
	var resp ghl.Response
	got, err := c.Contacts.Get(context.Background(), contactID, ghl.WithAttemptTimeout(attempt), ghl.WithResponse(&resp))
	require.NoError(t, err, "the hung attempt was abandoned")
	assert.Equal(t, contactID, got.ID)
	assert.Equal(t, 2, resp.Attempts)

	// A create that times out is not resent: its outcome is unknown.
	calls.Store(0)
	_, err = c.Contacts.Create(context.Background(), ghl.CreateContactRequest{Email: ghl.Ptr("a@b.co")},
		ghl.WithAttemptTimeout(attempt), ghl.WithResponse(&resp))
	assert.ErrorIs(t, err, ghl.ErrMaybeProcessed)
	assert.Equal(t, 1, resp.Attempts)
	assert.Equal(t, int32(1), calls.Load())
}

// orderLimiter records when a request was granted its rate slot.
type orderLimiter struct{ events *[]string }

func (l orderLimiter) Acquire(ctx context.Context, _ string) (ghl.RateHold, error) {
	*l.events = append(*l.events, "slot granted")
	return noopHold{}, nil
}

type noopHold struct{}

func (noopHold) Done(http.Header, int) {}

// orderTokens records when a token was asked for.
type orderTokens struct{ events *[]string }

func (s orderTokens) AccessToken(context.Context) (string, error) {
	*s.events = append(*s.events, "token taken")
	return testToken, nil
}

// TestTokenFetchedAfterTheRateWait: a request waits for its rate slot
// before it takes its token, so a long wait never sends a token that
// expired meanwhile.
func TestTokenFetchedAfterTheRateWait(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, answer{status: 200, body: okContact})
	var events []string // one call at a time: no lock needed
	c, err := ghl.NewClient(ghl.WithBaseURL(rec.srv.URL), ghl.WithTokenSource(orderTokens{&events}), ghl.WithRateLimiter(orderLimiter{&events}))
	require.NoError(t, err)
	_, err = c.Contacts.Get(context.Background(), contactID)
	require.NoError(t, err)
	assert.Equal(t, []string{"slot granted", "token taken"}, events)
}

// TestBadIDsSendNothing: every invalid ID form is refused before a request
// is sent, with an error that names the parameter.
func TestBadIDsSendNothing(t *testing.T) {
	t.Parallel()
	bad := map[string]string{
		"empty": "", "slash": "abc/def", "query": "abc?x=1", "fragment": "abc#x", "dotdot": "..",
		"dotdot inside": "a..b", "space": "abc def", "newline": "abc\n", "nul": "abc\x00", "tab": "a\tb",
		"percent": "abc%2F", "backslash": `a\b`, "non-ascii": "abcé",
	}
	calls := map[string]func(*ghl.Client, string) error{
		"Contacts.Get contactId": func(c *ghl.Client, id string) error {
			_, err := c.Contacts.Get(context.Background(), id)
			return err
		},
		"Contacts.Delete contactId": func(c *ghl.Client, id string) error { return c.Contacts.Delete(context.Background(), id) },
		"Tasks.Get taskId": func(c *ghl.Client, id string) error {
			_, err := c.Tasks.Get(context.Background(), contactID, id)
			return err
		},
		"Notes.Delete noteId": func(c *ghl.Client, id string) error { return c.Notes.Delete(context.Background(), contactID, id) },
		"Contacts.AddToWorkflow workflowId": func(c *ghl.Client, id string) error {
			return c.Contacts.AddToWorkflow(context.Background(), contactID, id, timeZero)
		},
		"Contacts.ListByBusiness businessId": func(c *ghl.Client, id string) error {
			_, err := c.Contacts.ListByBusiness(context.Background(), id, ghl.BusinessListOptions{})
			return err
		},
		"ghl.WithLocation locationId": func(_ *ghl.Client, id string) error {
			_, err := ghl.NewClient(ghl.WithToken("t"), ghl.WithLocation(id))
			return err
		},
		"Contacts.BulkAddTags contacts": func(c *ghl.Client, id string) error {
			_, err := c.Contacts.BulkAddTags(context.Background(), ghl.BulkTagsRequest{ContactIDs: []string{contactID, id}, Tags: []string{"t"}})
			return err
		},
	}
	rec := newRecorder(t)
	c := rec.client()
	for cname, call := range calls {
		for bname, id := range bad {
			err := call(c, id)
			require.ErrorIs(t, err, ghl.ErrInvalidInput, "%s with %s ID", cname, bname)
			param := cname[strings.LastIndexByte(cname, ' ')+1:]
			assert.Contains(t, err.Error(), param, "%s with %s ID names the parameter", cname, bname)
		}
	}
	assert.Empty(t, rec.requests(), "no request was sent")
}

var timeZero time.Time

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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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

// benchServer answers GET /contacts/{id} with the spec's example contact and,
// as HighLevel does, with X-RateLimit-* headers: a burst budget of 1,000,000
// per second counted in fixed one-second windows, and a daily budget, neither
// of which a benchmark run spends. The SDK's limiter reads them and keeps
// its books on every call, so the benchmark measures the whole path.
func benchServer(b *testing.B) *httptest.Server {
	payload := []byte(`{"contact":` + contactJSON + `}`)
	const burst, daily = 1_000_000, 200_000_000
	var (
		mu          sync.Mutex
		windowStart time.Time
		inWindow    int
		today       int
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if now := time.Now(); now.Sub(windowStart) >= time.Second {
			windowStart, inWindow = now, 0
		}
		inWindow++
		today++
		remaining, dailyRemaining := burst-inWindow, daily-today
		mu.Unlock()
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("X-RateLimit-Max", strconv.Itoa(burst))
		h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
		h.Set("X-RateLimit-Interval-Milliseconds", "1000")
		h.Set("X-RateLimit-Limit-Daily", strconv.Itoa(daily))
		h.Set("X-RateLimit-Daily-Remaining", strconv.Itoa(dailyRemaining))
		_, _ = w.Write(payload)
	}))
	b.Cleanup(srv.Close)
	return srv
}

func benchHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 32
	return &http.Client{Transport: t}
}

// BenchmarkGetContact is Contacts.Get through the SDK's whole request path.
func BenchmarkGetContact(b *testing.B) {
	srv := benchServer(b)
	c, err := ghl.NewClient(ghl.WithToken(testToken), ghl.WithBaseURL(srv.URL), ghl.WithHTTPClient(benchHTTPClient()))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ct, err := c.Contacts.Get(ctx, contactID)
		if err != nil || ct.ID != contactID {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetContactRaw is the same call written by hand with net/http and
// encoding/json, into the same type: the baseline for BenchmarkGetContact.
func BenchmarkGetContactRaw(b *testing.B) {
	srv := benchServer(b)
	hc := benchHTTPClient()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/contacts/"+contactID, nil)
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+testToken)
		req.Header.Set("Version", "2021-07-28")
		req.Header.Set("Accept", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var out struct {
			Contact ghl.Contact `json:"contact"`
		}
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || out.Contact.ID != contactID {
			b.Fatal(err)
		}
	}
}
