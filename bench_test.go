package ghl_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ghlkit/ghl"
)

// benchServer answers GET /contacts/{id} with the spec's example contact.
func benchServer(b *testing.B) *httptest.Server {
	payload := []byte(`{"contact":` + contactJSON + `}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
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
