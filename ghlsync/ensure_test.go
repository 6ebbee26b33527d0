package ghlsync_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghlsync"
	"github.com/ghlkit/ghl/ghltest"
)

func fastClient(t *testing.T, srv *ghltest.Server) *ghl.Client {
	t.Helper()
	c, err := srv.Client(ghl.WithRetryPolicy(ghl.RetryPolicy{MaxRetries: 5, MinWait: time.Millisecond, MaxWait: 20 * time.Millisecond,
		SettleWait: time.Millisecond}))
	require.NoError(t, err)
	return c
}

func newServer(t *testing.T, opts ...ghltest.Option) *ghltest.Server {
	srv := ghltest.NewServer(append([]ghltest.Option{ghltest.WithRateLimit(1_000_000, time.Second)}, opts...)...)
	t.Cleanup(srv.Close)
	return srv
}

var fastProbes = ghlsync.EnsureOptions{Probes: []time.Duration{0, 10 * time.Millisecond, 50 * time.Millisecond}}

func writes(srv *ghltest.Server) int {
	return srv.RequestCount("POST", "/contacts/") + srv.RequestCount("PUT", "/contacts/*") + srv.RequestCount("POST", "/contacts/upsert")
}

// TestEnsureCreatesUpdatesAndLeavesAlone: unknown → created; known and the
// same → unchanged with no write; known and different → only the
// differing fields written.
func TestEnsureCreatesUpdatesAndLeavesAlone(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	c := fastClient(t, srv)
	req := ghl.CreateContactRequest{FirstName: ghl.Ptr("Ada"), Email: ghl.Ptr("Ada@Example.com"), City: ghl.Ptr("London"), Tags: []string{"member"}}

	res, err := ghlsync.Ensure(ctx, c, req, fastProbes)
	require.NoError(t, err)
	assert.Equal(t, ghlsync.Created, res.Action)
	assert.Empty(t, res.Dropped)
	id := res.Contact.ID

	before := writes(srv)
	res, err = ghlsync.Ensure(ctx, c, req, fastProbes)
	require.NoError(t, err)
	assert.Equal(t, ghlsync.Unchanged, res.Action)
	assert.Equal(t, id, res.Contact.ID)
	assert.Equal(t, before, writes(srv), "nothing differs: no write")

	req.City = ghl.Ptr("Cambridge")
	req.Tags = []string{"vip"}
	res, err = ghlsync.Ensure(ctx, c, req, fastProbes)
	require.NoError(t, err)
	assert.Equal(t, ghlsync.Updated, res.Action)
	assert.Equal(t, "Cambridge", res.Contact.City)
	assert.ElementsMatch(t, []string{"member", "vip"}, res.Contact.Tags, "requested tags are added to the contact's own")
	puts := srv.Requests()
	var body map[string]any
	for _, r := range puts {
		if r.Method == "PUT" {
			require.NoError(t, json.Unmarshal(r.Body, &body))
		}
	}
	assert.Equal(t, map[string]any{"city": "Cambridge", "tags": []any{"member", "vip"}}, body, "only what differs is sent")
	assert.Equal(t, 1, srv.ContactCount(ghltest.DefaultLocationID))
}

// TestEnsureExactlyOneContactUnderFaults: a dropped connection after the
// create was processed, a 503, 429 bursts and a 422 that created anyway:
// one contact per key, every time.
func TestEnsureExactlyOneContactUnderFaults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	faults := map[string][]ghltest.Fault{
		"dropped after processing": {{Method: "POST", Path: "/contacts/", DropAfter: true}},
		"503 on create":            {{Method: "POST", Path: "/contacts/", Status: 503, Body: `{"message":"unavailable"}`}},
		"429 burst":                {{Path: "/contacts/*", Status: 429, RetryAfter: "0", Times: 3}},
		"cut-off answer":           {{Method: "POST", Path: "/contacts/", Truncate: true}},
	}
	for name, fs := range faults {
		t.Run(name, func(t *testing.T) {
			srv := newServer(t)
			c := fastClient(t, srv)
			for _, f := range fs {
				srv.Inject(f)
			}
			req := ghl.CreateContactRequest{FirstName: ghl.Ptr("Lin"), Email: ghl.Ptr("lin@example.com")}
			for attempt := 0; attempt < 3; attempt++ { // the app retries Ensure until it succeeds
				res, err := ghlsync.Ensure(ctx, c, req, fastProbes)
				if err == nil {
					assert.Contains(t, []ghlsync.Action{ghlsync.Created, ghlsync.Unchanged}, res.Action)
					break
				}
			}
			assert.Equal(t, 1, srv.ContactCount(ghltest.DefaultLocationID), "exactly one contact")
			res, err := ghlsync.Ensure(ctx, c, req, fastProbes)
			require.NoError(t, err)
			assert.Equal(t, ghlsync.Unchanged, res.Action)
		})
	}
}

// TestEnsureRecoversFromUnknownOutcome: the create's answer is lost; the
// lookup finds the contact it made, and nothing is created twice.
func TestEnsureRecoversFromUnknownOutcome(t *testing.T) {
	srv := newServer(t)
	c := fastClient(t, srv)
	srv.Inject(ghltest.Fault{Method: "POST", Path: "/contacts/", DropAfter: true})
	res, err := ghlsync.Ensure(context.Background(), c, ghl.CreateContactRequest{Email: ghl.Ptr("zoe@example.com")}, fastProbes)
	require.NoError(t, err)
	assert.Equal(t, ghlsync.Created, res.Action)
	assert.Equal(t, "unknown outcome", res.Recovered)
	assert.Equal(t, 1, srv.RequestCount("POST", "/contacts/"), "the create was not sent again")
	assert.Equal(t, 1, srv.ContactCount(ghltest.DefaultLocationID))
}

// TestEnsureAdoptsTheDuplicate: the location refuses a duplicate on another
// field (the phone) and names the contact, which is updated instead.
func TestEnsureAdoptsTheDuplicate(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	c := fastClient(t, srv)
	first, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Phone: ghl.Ptr("+14155550100"), FirstName: ghl.Ptr("Sam")})
	require.NoError(t, err)
	res, err := ghlsync.Ensure(ctx, c, ghl.CreateContactRequest{Email: ghl.Ptr("sam@example.com"), Phone: ghl.Ptr("+14155550100"),
		City: ghl.Ptr("Oslo")}, fastProbes)
	require.NoError(t, err)
	assert.Equal(t, "duplicate", res.Recovered)
	assert.Equal(t, ghlsync.Updated, res.Action)
	assert.Equal(t, first.ID, res.Contact.ID)
	assert.Equal(t, "Oslo", res.Contact.City)
	assert.Equal(t, 1, srv.ContactCount(ghltest.DefaultLocationID))
}

// TestEnsureByExternalID: the app's own ID in a custom field is the key.
func TestEnsureByExternalID(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	c := fastClient(t, srv)
	opts := ghlsync.EnsureOptions{By: ghlsync.ByExternalID, ExternalField: "cfAppId0000000000001", Probes: fastProbes.Probes}
	req := ghl.CreateContactRequest{FirstName: ghl.Ptr("Kim"), CustomFields: []ghl.CustomFieldInput{{ID: "cfAppId0000000000001", Value: "app-42"}}}
	res, err := ghlsync.Ensure(ctx, c, req, opts)
	require.NoError(t, err)
	assert.Equal(t, ghlsync.Created, res.Action)
	req.FirstName = ghl.Ptr("Kimberly")
	res, err = ghlsync.Ensure(ctx, c, req, opts)
	require.NoError(t, err)
	assert.Equal(t, ghlsync.Updated, res.Action)
	assert.Equal(t, "Kimberly", res.Contact.FirstName)
	assert.Equal(t, 1, srv.ContactCount(ghltest.DefaultLocationID))

	_, err = ghlsync.Ensure(ctx, c, ghl.CreateContactRequest{FirstName: ghl.Ptr("No key")}, opts)
	assert.ErrorIs(t, err, ghl.ErrInvalidInput, "a request without its key is refused")
	_, err = ghlsync.Ensure(ctx, c, req, ghlsync.EnsureOptions{By: ghlsync.ByExternalID})
	assert.ErrorIs(t, err, ghl.ErrInvalidInput)
}

// TestEnsureReportsDroppedFields: a field the answer does not reflect is
// reported, not silently lost.
func TestEnsureReportsDroppedFields(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/contacts/search/duplicate":
			_, _ = w.Write([]byte(`{"contact":null}`))
		case r.Method == "POST" && r.URL.Path == "/contacts/":
			w.WriteHeader(201)
			_, _ = w.Write([]byte(`{"contact":{"id":"c0000000000000000001","email":"pat@example.com","firstName":"Pat"}}`))
		default:
			w.WriteHeader(404)
		}
	}))
	defer api.Close()
	c, err := ghl.NewClient(ghl.WithBaseURL(api.URL), ghl.WithToken("t"), ghl.WithLocation("loc00000000000000001"), ghl.WithoutRateLimiter())
	require.NoError(t, err)
	res, err := ghlsync.Ensure(context.Background(), c, ghl.CreateContactRequest{Email: ghl.Ptr("pat@example.com"),
		FirstName: ghl.Ptr("Pat"), Phone: ghl.Ptr("+14155550111")}, fastProbes)
	require.NoError(t, err)
	assert.Equal(t, []string{"phone"}, res.Dropped)
}
