package ghl_test

import (
	"context"
	"io"
	"iter"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
)

var okContact = `{"contact":{"id":"` + contactID + `","email":"a@b.co"}}`

// TestTruncatedBodyRetried: a 2xx answer cut off while its body streams is a
// failed attempt. Idempotent calls are sent again; a create is not, and says
// that it may have been carried out.
func TestTruncatedBodyRetried(t *testing.T) {
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
	ctx := context.Background()
	rec := newRecorder(t, answer{drop: true}, answer{status: 404, body: `{"message":"Contact not found"}`})
	require.NoError(t, rec.client().Contacts.Delete(ctx, contactID))
	assert.Len(t, rec.requests(), 2)
	// Without an earlier unknown outcome, a 404 is a 404.
	rec = newRecorder(t, answer{status: 404, body: `{"message":"Contact not found"}`})
	assert.ErrorIs(t, rec.client().Contacts.Delete(ctx, contactID), ghl.ErrNotFound)
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

// TestIteratorsRestartOnEveryRange: ranging the same sequence twice reads
// the collection twice from its start, for all three iterators.
func TestIteratorsRestartOnEveryRange(t *testing.T) {
	ctx := context.Background()
	srv := ghltest.NewServer(ghltest.WithContacts(250), ghltest.WithRateLimit(1_000_000, time.Second))
	defer srv.Close()
	c, err := srv.Client()
	require.NoError(t, err)
	ids := make([]string, 0, 250)
	for ct, err := range c.Contacts.SearchAll(ctx, ghl.SearchRequest{PageLimit: 50}) {
		require.NoError(t, err)
		ids = append(ids, ct.ID)
	}
	_, err = c.Contacts.BulkAddToBusiness(ctx, "biz00000000000000001", ghl.BulkBusinessRequest{ContactIDs: ids})
	require.NoError(t, err)

	seqs := map[string]iter.Seq2[ghl.Contact, error]{
		"ListAll":           c.Contacts.ListAll(ctx, ghl.ListOptions{Limit: 20}),
		"ListByBusinessAll": c.Contacts.ListByBusinessAll(ctx, "biz00000000000000001", ghl.BusinessListOptions{Limit: 20}),
		"SearchAll":         c.Contacts.SearchAll(ctx, ghl.SearchRequest{PageLimit: 20}),
	}
	for name, seq := range seqs {
		var first []string
		for ct, err := range seq {
			require.NoError(t, err, name)
			first = append(first, ct.ID)
			if len(first) == 101 {
				break
			}
		}
		var again []string
		for ct, err := range seq {
			require.NoError(t, err, name)
			again = append(again, ct.ID)
		}
		require.Len(t, again, 250, name)
		assert.Equal(t, first, again[:101], "%s: the second range starts at the beginning", name)
	}
}

// TestReservedSegmentsAreNotIDs: an "ID" that is a fixed segment of a
// sibling route is refused before anything is sent.
func TestReservedSegmentsAreNotIDs(t *testing.T) {
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

// TestDoCallsUnwrappedEndpoints: Client.Do goes through the one request
// path: token, Version per call, retries by class, typed errors.
func TestDoCallsUnwrappedEndpoints(t *testing.T) {
	ctx := context.Background()
	rec := newRecorder(t, answer{status: 503, body: `{}`}, answer{status: 200, body: `{"tags":[{"id":"t1","name":"vip"}]}`})
	c := rec.client()
	var out struct {
		Tags []struct{ ID, Name string }
	}
	var resp ghl.Response
	err := c.Do(ctx, "GET", "/locations/"+testLocation+"/tags?limit=5", nil, &out, ghl.WithVersion("2021-04-15"),
		ghl.WithHeader("X-Request-Id", "r-1"), ghl.WithHeader("Authorization", "Bearer stolen"), ghl.WithResponse(&resp))
	require.NoError(t, err)
	assert.Equal(t, "vip", out.Tags[0].Name)
	assert.Equal(t, 2, resp.Attempts, "GET is retried")
	r := rec.requests()[1]
	assert.Equal(t, basePath+"/locations/"+testLocation+"/tags", r.Path)
	assert.Equal(t, "limit=5", r.RawQuery)
	assert.Equal(t, "2021-04-15", r.Header.Get("Version"))
	assert.Equal(t, "r-1", r.Header.Get("X-Request-Id"))
	assert.Equal(t, "Bearer "+testToken, r.Header.Get("Authorization"), "WithHeader cannot replace the token")

	// POST is a create unless told otherwise: not resent after a 502.
	rec = newRecorder(t, answer{status: 502, body: `bad gateway`}, answer{status: 201, body: `{"tag":{"id":"t2"}}`})
	c = rec.client()
	err = c.Do(ctx, "POST", "/locations/"+testLocation+"/tags", map[string]string{"name": "new"}, nil)
	assert.ErrorIs(t, err, ghl.ErrMaybeProcessed)
	assert.Len(t, rec.requests(), 1)
	assert.JSONEq(t, `{"name":"new"}`, string(rec.requests()[0].Body))
	err = c.Do(ctx, "POST", "/locations/"+testLocation+"/tags", map[string]string{"name": "new"}, nil, ghl.WithRetryClass(ghl.RetrySafe))
	require.NoError(t, err)

	// Refused before sending.
	rec = newRecorder(t)
	c = rec.client()
	for _, bad := range []struct{ method, path string }{
		{"GET", "https://evil.example/steal"}, {"GET", "//evil.example/x"}, {"GET", "locations"},
		{"GET", "/locations/../oauth/token"}, {"GET", "/x#frag"}, {"TRACE", "/x"},
	} {
		assert.ErrorIs(t, c.Do(ctx, bad.method, bad.path, nil, nil), ghl.ErrInvalidInput, "%s %s", bad.method, bad.path)
	}
	assert.ErrorIs(t, c.Do(ctx, "GET", "/x", map[string]int{"a": 1}, nil), ghl.ErrInvalidInput)
	assert.Empty(t, rec.requests())
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

// TestClearFieldsOnTheWire: Clear sends null for a field, which empties it;
// a field HighLevel will not take null for, or one both set and cleared, is
// refused before sending.
func TestClearFieldsOnTheWire(t *testing.T) {
	ctx := context.Background()
	rec := newRecorder(t, answer{status: 200, body: `{"succeded":true,"contact":{"id":"` + contactID + `"}}`})
	c := rec.client()
	_, err := c.Contacts.Update(ctx, contactID, ghl.UpdateContactRequest{FirstName: ghl.Ptr("Ada"), Clear: []string{"email", "city"}})
	require.NoError(t, err)
	assert.JSONEq(t, `{"firstName":"Ada","email":null,"city":null}`, string(rec.requests()[0].Body))

	_, err = c.Contacts.Update(ctx, contactID, ghl.UpdateContactRequest{Clear: []string{"companyName"}})
	assert.ErrorIs(t, err, ghl.ErrInvalidInput)
	_, err = c.Contacts.Update(ctx, contactID, ghl.UpdateContactRequest{City: ghl.Ptr("x"), Clear: []string{"city"}})
	assert.ErrorIs(t, err, ghl.ErrInvalidInput)
	assert.Len(t, rec.requests(), 1, "refused calls send nothing")

	srv := ghltest.NewServer()
	defer srv.Close()
	gc, _ := srv.Client()
	ct, err := gc.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("clear@example.com"), Phone: ghl.Ptr("+14155550100"), City: ghl.Ptr("Paris")})
	require.NoError(t, err)
	_, err = gc.Contacts.Update(ctx, ct.ID, ghl.UpdateContactRequest{Clear: []string{"city", "email"}})
	require.NoError(t, err)
	got, err := gc.Contacts.Get(ctx, ct.ID)
	require.NoError(t, err)
	assert.Empty(t, got.City)
	assert.Empty(t, got.Email)
	assert.Equal(t, "+14155550100", got.Phone)
}

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
	rec := newRecorder(t, answer{status: 200, body: okContact})
	var events []string // one call at a time: no lock needed
	c, err := ghl.NewClient(ghl.WithBaseURL(rec.srv.URL), ghl.WithTokenSource(orderTokens{&events}), ghl.WithRateLimiter(orderLimiter{&events}))
	require.NoError(t, err)
	_, err = c.Contacts.Get(context.Background(), contactID)
	require.NoError(t, err)
	assert.Equal(t, []string{"slot granted", "token taken"}, events)
}
