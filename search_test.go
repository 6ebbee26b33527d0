package ghl_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
)

// searchServer serves total contacts through POST /contacts/search. With
// cursors, every hit carries searchAfter [index]; paging by number is capped
// at 10,000 results as the API caps it.
type searchServer struct {
	total    int
	cursors  bool
	repeat   bool // always answer the first page
	requests atomic.Int32
}

func (s *searchServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	var req struct {
		PageLimit   int   `json:"pageLimit"`
		Page        int   `json:"page"`
		SearchAfter []int `json:"searchAfter"`
	}
	_ = json.NewDecoder(r.Body).Decode(&req)
	start := 0
	switch {
	case s.repeat:
	case len(req.SearchAfter) == 1:
		start = req.SearchAfter[0] + 1
	case req.Page > 0:
		start = (req.Page - 1) * req.PageLimit
		if req.Page*req.PageLimit > 10000 {
			http.Error(w, `{"statusCode":422,"message":["page limit exceeded"]}`, http.StatusUnprocessableEntity)
			return
		}
	}
	end := min(start+req.PageLimit, s.total)
	type hit struct {
		ID          string `json:"id"`
		SearchAfter []int  `json:"searchAfter,omitempty"`
	}
	hits := []hit{}
	for i := start; i < end; i++ {
		h := hit{ID: fmt.Sprintf("c%019d", i)}
		if s.cursors {
			h.SearchAfter = []int{i}
		}
		hits = append(hits, h)
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"contacts": hits, "total": s.total})
}

func searchClient(t *testing.T, s *searchServer) *ghl.Client {
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c, err := ghl.NewClient(ghl.WithToken(testToken), ghl.WithLocation(testLocation), ghl.WithBaseURL(srv.URL))
	require.NoError(t, err)
	return c
}

func TestSearchAllPastTenThousand(t *testing.T) {
	t.Parallel()
	s := &searchServer{total: 12_345, cursors: true}
	c := searchClient(t, s)
	req := ghl.SearchRequest{Sort: []ghl.Sort{{Field: "dateAdded", Direction: "asc"}}}
	n := 0
	for ct, err := range c.Contacts.SearchAll(context.Background(), req) {
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("c%019d", n), ct.ID, "in order, none skipped or repeated")
		n++
	}
	assert.Equal(t, 12_345, n)
	assert.Equal(t, int32(25), s.requests.Load(), "pages of 500")
	assert.Zero(t, req.PageLimit, "caller's request untouched")
	assert.Nil(t, req.SearchAfter)
}

func TestSearchAllByPageNumbers(t *testing.T) {
	t.Parallel()
	s := &searchServer{total: 1200}
	c := searchClient(t, s)
	n := 0
	for _, err := range c.Contacts.SearchAll(context.Background(), ghl.SearchRequest{PageLimit: 100}) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 1200, n)
	assert.Equal(t, int32(12), s.requests.Load(), "the exactly-full last page ends the loop via total")
}

func TestSearchAllWindowWithoutCursors(t *testing.T) {
	t.Parallel()
	s := &searchServer{total: 10_500}
	c := searchClient(t, s)
	n := 0
	var last error
	for _, err := range c.Contacts.SearchAll(context.Background(), ghl.SearchRequest{}) {
		if err != nil {
			last = err
			break
		}
		n++
	}
	assert.Equal(t, 10_000, n)
	assert.ErrorIs(t, last, ghl.ErrSearchWindow)
	assert.Equal(t, int32(20), s.requests.Load(), "no request past the window")
}

func TestSearchAllBreakSendsNoMore(t *testing.T) {
	t.Parallel()
	s := &searchServer{total: 5000, cursors: true}
	c := searchClient(t, s)
	n := 0
	for _, err := range c.Contacts.SearchAll(context.Background(), ghl.SearchRequest{PageLimit: 100}) {
		require.NoError(t, err)
		n++
		if n == 150 {
			break
		}
	}
	assert.Equal(t, int32(2), s.requests.Load())
}

func TestSearchAllRepeatedCursorStops(t *testing.T) {
	t.Parallel()
	s := &searchServer{total: 5000, cursors: true, repeat: true}
	c := searchClient(t, s)
	n := 0
	var last error
	for _, err := range c.Contacts.SearchAll(context.Background(), ghl.SearchRequest{PageLimit: 100}) {
		if err != nil {
			last = err
			continue
		}
		n++
	}
	assert.ErrorIs(t, last, ghl.ErrRepeatedCursor)
	assert.Equal(t, int32(2), s.requests.Load())
	assert.Equal(t, 200, n, "the repeated page is yielded once before the cursor repeats")
}

func TestSearchAllStopsOnError(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, answer{status: 401, body: `{"message":"Invalid token"}`})
	var errs []error
	for _, err := range rec.client().Contacts.SearchAll(context.Background(), ghl.SearchRequest{}) {
		errs = append(errs, err)
	}
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], ghl.ErrUnauthorized)
}
