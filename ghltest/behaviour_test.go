package ghltest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
)

func raw(t *testing.T, srv *ghltest.Server, method, path, token string, header map[string]string, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL()+path, strings.NewReader(body))
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

var v2 = map[string]string{"Version": "2021-07-28"}

func TestAPIRefusals(t *testing.T) {
	srv := ghltest.NewServer(ghltest.WithContacts(3), ghltest.WithLocations("OtherLocation0000001"),
		ghltest.WithToken("other-token", "OtherLocation0000001"))
	defer srv.Close()
	ids := srv.Seed("OtherLocation0000001", 1)

	status, body := raw(t, srv, "GET", "/contacts/"+ids[0], ghltest.DefaultToken, nil, "")
	assert.Equal(t, 400, status, "no Version header")
	assert.Equal(t, "version header was not found", body["message"])

	status, body = raw(t, srv, "GET", "/contacts/"+ids[0], "", v2, "")
	assert.Equal(t, 401, status)
	assert.Equal(t, "Unauthorized", body["error"])

	status, body = raw(t, srv, "GET", "/contacts/"+ids[0], ghltest.DefaultToken, v2, "")
	assert.Equal(t, 403, status, "contact of another location")
	assert.Equal(t, "Forbidden", body["error"])

	status, _ = raw(t, srv, "GET", "/contacts/"+ids[0], "other-token", v2, "")
	assert.Equal(t, 200, status, "its own token reaches it")

	status, _ = raw(t, srv, "POST", "/contacts/search", ghltest.DefaultToken, v2, `{"locationId":"OtherLocation0000001","pageLimit":1}`)
	assert.Equal(t, 403, status, "token/location mismatch")

	status, body = raw(t, srv, "POST", "/contacts/search", ghltest.DefaultToken, v2, `{"locationId":"`+ghltest.DefaultLocationID+`"}`)
	assert.Equal(t, 422, status)
	assert.IsType(t, []any{}, body["message"], "422 messages are an array")

	status, body = raw(t, srv, "POST", "/contacts/", ghltest.DefaultToken, v2, `{"locationId":"`+ghltest.DefaultLocationID+`","additionalEmails":["x@y.z"]}`)
	assert.Equal(t, 422, status)
	assert.Equal(t, []any{"property additionalEmails should not exist"}, body["message"])

	status, body = raw(t, srv, "GET", "/contacts/NoSuchContact0000001", ghltest.DefaultToken, v2, "")
	assert.Equal(t, 404, status)
	assert.Equal(t, "Contact not found", body["message"])
}

func TestDuplicateRule(t *testing.T) {
	srv := ghltest.NewServer()
	defer srv.Close()
	c, err := srv.Client()
	require.NoError(t, err)
	ctx := context.Background()
	first, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("sam@example.com")})
	require.NoError(t, err)
	_, err = c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("SAM@example.com")})
	var de *ghl.DuplicateContactError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, first.ID, de.ContactID)
	assert.Equal(t, "email", de.MatchingField)

	srv.SetAllowDuplicates(ghltest.DefaultLocationID, true)
	second, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("sam@example.com")})
	require.NoError(t, err)
	assert.NotEqual(t, first.ID, second.ID)
	up, err := c.Contacts.Upsert(ctx, ghl.UpsertContactRequest{CreateContactRequest: ghl.CreateContactRequest{Email: ghl.Ptr("sam@example.com")},
		CreateNewIfDuplicateAllowed: ghl.Ptr(true)})
	require.NoError(t, err)
	assert.True(t, up.Created)
	assert.Equal(t, 3, srv.ContactCount(ghltest.DefaultLocationID))
}

func TestSearchFilters(t *testing.T) {
	srv := ghltest.NewServer(ghltest.WithContacts(400))
	defer srv.Close()
	c, err := srv.Client()
	require.NoError(t, err)
	ctx := context.Background()
	count := func(filters ...ghl.Filter) int {
		res, err := c.Contacts.Search(ctx, ghl.SearchRequest{PageLimit: 1, Filters: filters})
		require.NoError(t, err)
		return res.Total
	}
	all := count()
	assert.Equal(t, 400, all)
	vip, notVIP := count(ghl.Eq("tags", "vip")), count(ghl.NotEq("tags", "vip"))
	assert.Positive(t, vip)
	assert.Equal(t, all, vip+notVIP)
	austin := count(ghl.Eq("city", "austin"))
	assert.Equal(t, vip+austin-count(ghl.Eq("tags", "vip"), ghl.Eq("city", "Austin")), count(ghl.Or(ghl.Eq("tags", "vip"), ghl.Eq("city", "Austin"))))
	assert.Equal(t, all, count(ghl.Exists("email")))
	assert.Zero(t, count(ghl.NotExists("email")))
	assert.Equal(t, count(ghl.Contains("email", "@example.com")), all)
	assert.Zero(t, count(ghl.NotContains("email", "@example.com")))
	mid := count(ghl.InRange("dateAdded", ghl.Range{LT: "2025-01-02T09:00:00Z"}))
	assert.Positive(t, mid)
	assert.Less(t, mid, all)
	assert.Equal(t, all-mid, count(ghl.InRange("dateAdded", ghl.Range{GTE: "2025-01-02T09:00:00Z"})))

	// Sorted descending by email, followed through cursors.
	var prev string
	n := 0
	for ct, err := range c.Contacts.SearchAll(ctx, ghl.SearchRequest{PageLimit: 37, Sort: []ghl.Sort{{Field: "email", Direction: "desc"}}}) {
		require.NoError(t, err)
		if prev != "" {
			assert.LessOrEqual(t, ct.EmailLowerCase, prev)
		}
		prev = ct.EmailLowerCase
		n++
	}
	assert.Equal(t, 400, n)
}

func TestFaults(t *testing.T) {
	srv := ghltest.NewServer()
	defer srv.Close()
	c, err := srv.Client(ghl.WithRetryPolicy(ghl.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 10 * time.Millisecond}))
	require.NoError(t, err)
	ctx := context.Background()
	mk := func(email string) error {
		_, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr(email)})
		return err
	}

	srv.Inject(ghltest.Fault{Method: "POST", Path: "/contacts/", Status: 503, Body: `{"message":"maintenance"}`})
	require.Error(t, mk("a@example.com"), "a create is not retried on 503")
	assert.Zero(t, srv.ContactCount(ghltest.DefaultLocationID))

	srv.Inject(ghltest.Fault{Method: "POST", Path: "/contacts/", DropAfter: true})
	err = mk("b@example.com")
	require.ErrorIs(t, err, ghl.ErrMaybeProcessed)
	require.NotErrorIs(t, err, ghl.ErrBadAnswer, "a dropped connection, not a cut-off 200")
	assert.Equal(t, 1, srv.ContactCount(ghltest.DefaultLocationID), "processed once, not resent after the connection dropped")

	srv.Inject(ghltest.Fault{Method: "POST", Path: "/contacts/", DropBefore: true})
	require.Error(t, mk("c@example.com"))
	assert.Equal(t, 1, srv.ContactCount(ghltest.DefaultLocationID), "dropped before processing: nothing created")

	srv.Inject(ghltest.Fault{Method: "POST", Path: "/contacts/", Status: 429, RetryAfter: "0", Times: 2})
	require.NoError(t, mk("d@example.com"), "a 429 is retried, also for a create")
	assert.Equal(t, 2, srv.ContactCount(ghltest.DefaultLocationID))

	ids := srv.Seed(ghltest.DefaultLocationID, 1)
	srv.Inject(ghltest.Fault{Method: "GET", Path: "/contacts/" + ids[0], Truncate: true})
	_, err = c.Contacts.Get(ctx, ids[0], ghl.WithMaxRetries(0))
	require.Error(t, err, "a truncated body is an error")

	srv.Inject(ghltest.Fault{Path: "/contacts/*", Latency: 50 * time.Millisecond})
	start := time.Now()
	_, err = c.Contacts.Get(ctx, ids[0])
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)

	// LatencyAfter: processed at once, answered late (here: never, for a
	// client that gives up first).
	srv.Inject(ghltest.Fault{Method: "POST", Path: "/contacts/", LatencyAfter: time.Minute})
	_, err = c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("e@example.com")}, ghl.WithAttemptTimeout(100*time.Millisecond))
	require.ErrorIs(t, err, ghl.ErrMaybeProcessed)
	assert.Equal(t, 4, srv.ContactCount(ghltest.DefaultLocationID), "created before the late answer")

	reqs := srv.Requests()
	assert.Equal(t, 7, srv.RequestCount("POST", "/contacts/"), "503, dropped after, dropped before, 429, 429, created, created late")
	assert.Equal(t, "[redacted]", reqs[len(reqs)-1].Header.Get("Authorization"))
}

// TestDropsSendNoByte: a drop fault closes the connection before a single
// byte of answer; a truncation sends the status line and part of the body.
func TestDropsSendNoByte(t *testing.T) {
	srv := ghltest.NewServer(ghltest.WithContacts(1))
	defer srv.Close()
	get := func() string {
		conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL(), "http://"))
		require.NoError(t, err)
		defer conn.Close()
		_, err = fmt.Fprintf(conn, "GET /contacts/?locationId=%s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nVersion: 2021-07-28\r\n\r\n",
			ghltest.DefaultLocationID, ghltest.DefaultToken)
		require.NoError(t, err)
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		b, _ := io.ReadAll(conn)
		return string(b)
	}
	for _, f := range []ghltest.Fault{{DropBefore: true}, {DropAfter: true}} {
		srv.Inject(f)
		assert.Empty(t, get(), "%+v", f)
	}
	srv.Inject(ghltest.Fault{Truncate: true})
	got := get()
	assert.True(t, strings.HasPrefix(got, "HTTP/1.1 200"), got)
	assert.Contains(t, got, "Content-Length")
}

func TestRateLimit(t *testing.T) {
	srv := ghltest.NewServer(ghltest.WithRateLimit(5, time.Second), ghltest.WithContacts(1))
	defer srv.Close()
	for i := range 5 {
		status, _ := raw(t, srv, "GET", "/contacts/?locationId="+ghltest.DefaultLocationID, ghltest.DefaultToken, v2, "")
		require.Equal(t, 200, status, "request %d", i)
	}
	req, _ := http.NewRequest("GET", srv.URL()+"/contacts/?locationId="+ghltest.DefaultLocationID, nil)
	req.Header.Set("Authorization", "Bearer "+ghltest.DefaultToken)
	req.Header.Set("Version", "2021-07-28")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 429, resp.StatusCode)
	assert.Equal(t, "0", resp.Header.Get("X-RateLimit-Remaining"))
	assert.Equal(t, "5", resp.Header.Get("X-RateLimit-Max"))
	assert.Equal(t, "1000", resp.Header.Get("X-RateLimit-Interval-Milliseconds"))
	assert.Equal(t, "199995", resp.Header.Get("X-RateLimit-Daily-Remaining"))
	assert.Equal(t, "200000", resp.Header.Get("X-RateLimit-Limit-Daily"))

	// The SDK waits the window out and gets through.
	c, err := srv.Client(ghl.WithRetryPolicy(ghl.RetryPolicy{MaxRetries: 3, MinWait: time.Millisecond, MaxWait: time.Second}))
	require.NoError(t, err)
	_, err = c.Contacts.List(context.Background(), ghl.ListOptions{})
	require.NoError(t, err)
	assert.Equal(t, 2, srv.RateLimited(), "the SDK met one 429 and waited out the window")

	daily := ghltest.NewServer(ghltest.WithDailyLimit(2))
	defer daily.Close()
	dc, err := daily.Client()
	require.NoError(t, err)
	for range 2 {
		_, err = dc.Contacts.List(context.Background(), ghl.ListOptions{})
		require.NoError(t, err)
	}
	_, err = dc.Contacts.List(context.Background(), ghl.ListOptions{})
	var rl *ghl.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.True(t, rl.Daily)
	assert.Equal(t, 2, daily.RequestCount("", ""), "the budget was known spent: nothing sent")

	// Without the limiter the third call is sent, refused, and not retried.
	rc, err := daily.Client(ghl.WithoutRateLimiter())
	require.NoError(t, err)
	_, err = rc.Contacts.List(context.Background(), ghl.ListOptions{})
	require.ErrorAs(t, err, &rl)
	assert.True(t, rl.Daily)
	assert.Equal(t, 3, daily.RequestCount("", ""), "a spent daily budget is not retried")
}

func TestOAuthRotation(t *testing.T) {
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	srv := ghltest.NewServer(ghltest.WithTokenLifetime(time.Hour), ghltest.WithClock(clock))
	defer srv.Close()
	form := func(v url.Values) (int, map[string]any) {
		return raw(t, srv, "POST", "/oauth/token", "", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, v.Encode())
	}
	code, err := srv.AuthorizationCode(ghltest.DefaultClientID, "https://app.example/callback", ghltest.DefaultLocationID, "contacts.readonly")
	require.NoError(t, err)
	creds := url.Values{"client_id": {ghltest.DefaultClientID}, "client_secret": {ghltest.DefaultClientSecret}}
	with := func(kv ...string) url.Values {
		v := url.Values{}
		for k, vs := range creds {
			v[k] = vs
		}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	status, tok := form(with("grant_type", "authorization_code", "code", code, "redirect_uri", "https://app.example/callback"))
	require.Equal(t, 200, status, tok)
	assert.Equal(t, "Bearer", tok["token_type"])
	assert.Equal(t, float64(3600), tok["expires_in"])
	assert.Equal(t, ghltest.DefaultLocationID, tok["locationId"])
	assert.Equal(t, "Location", tok["userType"])
	status, again := form(with("grant_type", "authorization_code", "code", code))
	assert.Equal(t, 400, status, "a code is single-use")
	assert.Equal(t, "invalid_grant", again["error"])

	access := tok["access_token"].(string)
	status, _ = raw(t, srv, "GET", "/contacts/?locationId="+ghltest.DefaultLocationID, access, v2, "")
	assert.Equal(t, 200, status)
	mu.Lock()
	now = now.Add(2 * time.Hour)
	mu.Unlock()
	status, _ = raw(t, srv, "GET", "/contacts/?locationId="+ghltest.DefaultLocationID, access, v2, "")
	assert.Equal(t, 401, status, "the access token expired")

	rt1 := tok["refresh_token"].(string)
	status, tok2 := form(with("grant_type", "refresh_token", "refresh_token", rt1))
	require.Equal(t, 200, status)
	assert.NotEqual(t, rt1, tok2["refresh_token"], "refresh tokens rotate")
	status, spent := form(with("grant_type", "refresh_token", "refresh_token", rt1))
	assert.Equal(t, 400, status)
	assert.Equal(t, "invalid_grant", spent["error"], "the old refresh token is spent")
	status, _ = form(with("grant_type", "refresh_token", "refresh_token", tok2["refresh_token"].(string)))
	assert.Equal(t, 200, status, "the new one works once")
	assert.Equal(t, 3, srv.TokenGrants("refresh_token"))

	status, bad := form(url.Values{"client_id": {ghltest.DefaultClientID}, "client_secret": {"wrong"}, "grant_type": {"refresh_token"}})
	assert.Equal(t, 401, status)
	assert.Equal(t, "invalid_client", bad["error"])
	for _, r := range srv.Requests() {
		assert.NotContains(t, string(r.Body), ghltest.DefaultClientSecret, "secrets are redacted in the request log")
		assert.NotContains(t, string(r.Body), rt1)
	}
}

func TestLocationToken(t *testing.T) {
	srv := ghltest.NewServer(ghltest.WithLocations("SecondLocation000001"))
	defer srv.Close()
	code, err := srv.AuthorizationCode(ghltest.DefaultClientID, "https://app.example/cb", ghltest.DefaultLocationID, "oauth.write contacts.readonly")
	require.NoError(t, err)
	status, agency := raw(t, srv, "POST", "/oauth/token", "", map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
		url.Values{"client_id": {ghltest.DefaultClientID}, "client_secret": {ghltest.DefaultClientSecret}, "grant_type": {"authorization_code"},
			"code": {code}, "user_type": {"Company"}}.Encode())
	require.Equal(t, 200, status)
	assert.Equal(t, "Company", agency["userType"])
	assert.Len(t, agency["approvedLocations"], 2)
	at := agency["access_token"].(string)
	status, _ = raw(t, srv, "GET", "/contacts/?locationId="+ghltest.DefaultLocationID, at, v2, "")
	assert.Equal(t, 403, status, "an agency token cannot call /contacts")
	hdr := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Version": "2021-07-28"}
	status, loc := raw(t, srv, "POST", "/oauth/locationToken", at, hdr, url.Values{"companyId": {ghltest.DefaultCompanyID}, "locationId": {"SecondLocation000001"}}.Encode())
	require.Equal(t, 200, status, loc)
	assert.Equal(t, "SecondLocation000001", loc["locationId"])
	status, _ = raw(t, srv, "GET", "/contacts/?locationId=SecondLocation000001", loc["access_token"].(string), v2, "")
	assert.Equal(t, 200, status)
}

func TestAuthorizePage(t *testing.T) {
	srv := ghltest.NewServer(ghltest.WithAuthorizePath("/v2/oauth/chooselocation"))
	defer srv.Close()
	q := url.Values{"response_type": {"code"}, "client_id": {ghltest.DefaultClientID}, "redirect_uri": {"http://127.0.0.1:9/cb"}, "scope": {"contacts.readonly"}, "state": {"xyz"}}
	resp, err := http.Get(srv.URL() + "/v2/oauth/chooselocation?" + q.Encode())
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, string(page), `id="approve"`)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	form := url.Values{"client_id": q["client_id"], "redirect_uri": q["redirect_uri"], "scope": q["scope"], "state": q["state"], "location_id": {ghltest.DefaultLocationID}}
	resp, err = noRedirect.PostForm(srv.URL()+"/v2/oauth/chooselocation", form)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 302, resp.StatusCode)
	back, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, "xyz", back.Query().Get("state"))
	assert.NotEmpty(t, back.Query().Get("code"))
}

func TestConcurrentUse(t *testing.T) {
	srv := ghltest.NewServer(ghltest.WithContacts(200), ghltest.WithRateLimit(100_000, time.Second))
	defer srv.Close()
	c, err := srv.Client()
	require.NoError(t, err)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				ct, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr(fmt.Sprintf("w%d-%d@example.com", w, i))})
				if err != nil {
					errs <- err
					return
				}
				if _, err := c.Tags.Add(ctx, ct.ID, []string{"load"}); err != nil {
					errs <- err
					return
				}
				for _, err := range c.Contacts.SearchAll(ctx, ghl.SearchRequest{PageLimit: 100}) {
					if err != nil {
						errs <- err
						return
					}
					break
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, 360, srv.ContactCount(ghltest.DefaultLocationID))
}

func TestSeedIsDeterministic(t *testing.T) {
	a, b := ghltest.NewHandler(ghltest.WithSeed(7)), ghltest.NewHandler(ghltest.WithSeed(7))
	ia, ib := a.Seed(ghltest.DefaultLocationID, 50), b.Seed(ghltest.DefaultLocationID, 50)
	require.Equal(t, ia, ib)
	ca, _ := a.Contact(ghltest.DefaultLocationID, ia[49])
	cb, _ := b.Contact(ghltest.DefaultLocationID, ib[49])
	assert.Equal(t, ca, cb)
	assert.Regexp(t, `^\+1555\d{7}$`, ca.Phone)
	assert.Contains(t, ca.Email, "@example.com")
}

// BenchmarkFakeSearch100k iterates 100,000 seeded contacts through the SDK's
// search iterator (pages of 500) against ghltest, and reports how much of
// each pass the server itself spent (server-ms/op).
func BenchmarkFakeSearch100k(b *testing.B) {
	fake := ghltest.NewHandler(ghltest.WithContacts(100_000), ghltest.WithRateLimit(1_000_000, time.Second))
	var serverNanos atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		fake.ServeHTTP(w, r)
		serverNanos.Add(int64(time.Since(start)))
	}))
	defer srv.Close()
	c, err := ghl.NewClient(ghl.WithBaseURL(srv.URL), ghl.WithToken(ghltest.DefaultToken), ghl.WithLocation(ghltest.DefaultLocationID))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	total, passes := 0, 0
	for b.Loop() {
		n := 0
		for _, err := range c.Contacts.SearchAll(ctx, ghl.SearchRequest{}) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != 100_000 {
			b.Fatalf("iterated %d contacts", n)
		}
		total += n
		passes++
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "contacts/s")
	b.ReportMetric(float64(serverNanos.Load())/1e6/float64(passes), "server-ms/op")
}

// TestSearchLag: with WithSearchLag, search sees a write only after the lag,
// while a read by ID sees it at once.
func TestSearchLag(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	srv := ghltest.NewServer(ghltest.WithSearchLag(5*time.Second), ghltest.WithClock(clock), ghltest.WithRateLimit(1000, time.Second))
	defer srv.Close()
	c, err := srv.Client()
	require.NoError(t, err)
	ctx := context.Background()
	find := func() []ghl.Contact {
		res, err := c.Contacts.Search(ctx, ghl.SearchRequest{Filters: []ghl.Filter{ghl.Eq("email", "lag@example.com")}})
		require.NoError(t, err)
		return res.Contacts
	}
	created, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("lag@example.com"), City: ghl.Ptr("Paris")})
	require.NoError(t, err)
	assert.Empty(t, find(), "a new contact is not in the index yet")
	got, err := c.Contacts.Get(ctx, created.ID)
	require.NoError(t, err)
	assert.Equal(t, "Paris", got.City, "reads by ID see it at once")
	advance(5 * time.Second)
	require.Len(t, find(), 1)

	_, err = c.Contacts.Update(ctx, created.ID, ghl.UpdateContactRequest{City: ghl.Ptr("Rome")})
	require.NoError(t, err)
	assert.Equal(t, "Paris", find()[0].City, "the index still holds the old version")
	advance(4 * time.Second)
	assert.Equal(t, "Paris", find()[0].City)
	advance(time.Second)
	assert.Equal(t, "Rome", find()[0].City)
}

// TestLocalLimiterContract: the in-process limiter passes the limiter
// contract, shared by two clients.
func TestLocalLimiterContract(t *testing.T) {
	ghltest.LimiterContract(t, func(t *testing.T) []ghl.RateLimiter {
		l := ghl.NewRateLimiter()
		return []ghl.RateLimiter{l, l}
	})
}

// TestExpireAccessTokens: an issued token expired early is refused with a
// 401; a client with a refreshing source refreshes once and goes on; static
// tokens live on.
func TestExpireAccessTokens(t *testing.T) {
	ctx := context.Background()
	srv := ghltest.NewServer()
	defer srv.Close()
	cfg := &ghl.OAuthConfig{ClientID: ghltest.DefaultClientID, ClientSecret: ghl.NewSecret(ghltest.DefaultClientSecret), BaseURL: srv.URL()}
	code, err := srv.AuthorizationCode(cfg.ClientID, "", ghltest.DefaultLocationID, "contacts.readonly")
	require.NoError(t, err)
	src, tok, err := cfg.ExchangeAndSave(ctx, code, ghl.NewMemoryStore())
	require.NoError(t, err)
	c, err := ghl.NewClient(ghl.WithBaseURL(srv.URL()), ghl.WithTokenSource(src), ghl.WithLocation(ghltest.DefaultLocationID))
	require.NoError(t, err)
	static, err := srv.Client()
	require.NoError(t, err)
	_, err = c.Contacts.List(ctx, ghl.ListOptions{Limit: 1})
	require.NoError(t, err)

	srv.ExpireAccessTokens()
	req, _ := http.NewRequest("GET", srv.URL()+"/contacts/?locationId="+ghltest.DefaultLocationID, nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken.Reveal())
	req.Header.Set("Version", ghl.APIVersion)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 401, resp.StatusCode)
	_, err = c.Contacts.List(ctx, ghl.ListOptions{Limit: 1})
	require.NoError(t, err, "refreshed after the 401")
	assert.Equal(t, 1, srv.TokenGrants("refresh_token"))
	_, err = static.Contacts.List(ctx, ghl.ListOptions{Limit: 1})
	require.NoError(t, err)
}

// TestFaultUserAgent: a fault limited to one app's User-Agent leaves other
// clients of the server alone.
func TestFaultUserAgent(t *testing.T) {
	ctx := context.Background()
	srv := ghltest.NewServer()
	defer srv.Close()
	app, err := srv.Client(ghl.WithUserAgent("my-app/1"), ghl.WithRetryPolicy(ghl.RetryPolicy{MaxRetries: ghl.NoRetries}))
	require.NoError(t, err)
	other, err := srv.Client(ghl.WithRetryPolicy(ghl.RetryPolicy{MaxRetries: ghl.NoRetries}))
	require.NoError(t, err)
	srv.Inject(ghltest.Fault{Status: 503, UserAgent: "my-app"})
	_, err = other.Contacts.List(ctx, ghl.ListOptions{Limit: 1})
	require.NoError(t, err)
	_, err = app.Contacts.List(ctx, ghl.ListOptions{Limit: 1})
	var ae *ghl.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 503, ae.StatusCode)
}
