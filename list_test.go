package ghl_test

import (
	"context"
	"encoding/json"
	"fmt"
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

// TestIteratorsRestartOnEveryRange: ranging the same sequence twice reads
// the collection twice from its start, for all three iterators.
func TestIteratorsRestartOnEveryRange(t *testing.T) {
	t.Parallel()
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

// listServer serves the deprecated GET /contacts/ with a meta block.
func TestListAllFollowsMeta(t *testing.T) {
	t.Parallel()
	const total = 250
	var reqs atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqs.Add(1)
		start := 0
		if id := r.URL.Query().Get("startAfterId"); id != "" {
			_, _ = fmt.Sscanf(id, "c%d", &start)
			start++
			assert.Equal(t, fmt.Sprint(1000+start-1), r.URL.Query().Get("startAfter"))
		}
		end := min(start+100, total)
		var cs []map[string]any
		for i := start; i < end; i++ {
			cs = append(cs, map[string]any{"id": fmt.Sprintf("c%019d", i)})
		}
		meta := map[string]any{"total": total}
		if end > start {
			meta["startAfterId"] = fmt.Sprintf("c%019d", end-1)
			meta["startAfter"] = 1000 + end - 1
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"contacts": cs, "meta": meta})
	}))
	defer srv.Close()
	c, err := ghl.NewClient(ghl.WithToken(testToken), ghl.WithLocation(testLocation), ghl.WithBaseURL(srv.URL))
	require.NoError(t, err)
	n := 0
	for ct, err := range c.Contacts.ListAll(context.Background(), ghl.ListOptions{}) {
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("c%019d", n), ct.ID)
		n++
	}
	assert.Equal(t, total, n)
	assert.Equal(t, int32(3), reqs.Load())
}

func TestListByBusinessAllSkips(t *testing.T) {
	t.Parallel()
	const total = 230
	var reqs atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqs.Add(1)
		var skip, limit int
		_, _ = fmt.Sscan(r.URL.Query().Get("skip"), &skip)
		_, _ = fmt.Sscan(r.URL.Query().Get("limit"), &limit)
		cs := []map[string]any{}
		for i := skip; i < min(skip+limit, total); i++ {
			cs = append(cs, map[string]any{"id": fmt.Sprint(i)})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"contacts": cs, "count": total})
	}))
	defer srv.Close()
	c, err := ghl.NewClient(ghl.WithToken(testToken), ghl.WithLocation(testLocation), ghl.WithBaseURL(srv.URL))
	require.NoError(t, err)
	n := 0
	for ct, err := range c.Contacts.ListByBusinessAll(context.Background(), "641c094001436dbc2081e642", ghl.BusinessListOptions{}) {
		require.NoError(t, err)
		require.Equal(t, fmt.Sprint(n), ct.ID)
		n++
	}
	assert.Equal(t, total, n)
	assert.Equal(t, int32(3), reqs.Load())
}
