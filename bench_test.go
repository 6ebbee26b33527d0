package ghl_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ghlkit/ghl"
)

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
