package ghlsync_test

import (
	"bytes"
	"context"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghlsync"
	"github.com/ghlkit/ghl/ghltest"
)

func local(id string, kv ...string) ghlsync.LocalRecord {
	return ghlsync.LocalRecord{ID: id, Record: rec(0, kv...)}
}

func TestReconcileFindsEveryKindOfDifference(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := newServer(t, ghltest.WithAllowDuplicates(true))
	c := fastClient(t, srv)
	mk := func(email, city string) string {
		ct, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr(email), City: ghl.Ptr(city)})
		require.NoError(t, err)
		return ct.ID
	}
	a, b, z := mk("a@x.co", "Paris"), mk("b@x.co", "Paris"), mk("z@x.co", "Rome")
	g1, g2 := mk("g@x.co", "Oslo"), mk("g@x.co", "Oslo")

	locals := []ghlsync.LocalRecord{
		local("L1", "email", "A@x.co", "city", "Paris"),
		local("L2", "email", "b@x.co", "city", "Lyon"),
		local("L3", "email", "c@x.co"),
		local("L4", "email", "a@x.co"),
		local("L5", "email", "e@x.co", "phone", "+14155550100"),
		local("L6", "email", "f@x.co", "phone", "+14155550100"),
		local("L7", "email", "g@x.co", "city", "Oslo"),
	}
	var rows []ghlsync.Row
	sum, err := ghlsync.Reconcile(ctx, c, locals, ghlsync.ReconcileOptions{}, ghlsync.Collect(&rows))
	require.NoError(t, err)
	byKind := map[ghlsync.RowKind][]ghlsync.Row{}
	for _, r := range rows {
		byKind[r.Kind] = append(byKind[r.Kind], r)
	}
	require.Len(t, byKind[ghlsync.Differs], 1)
	assert.Equal(t, []string{"city"}, byKind[ghlsync.Differs][0].Fields)
	assert.Equal(t, []string{b}, byKind[ghlsync.Differs][0].ContactIDs)
	require.Len(t, byKind[ghlsync.MissingLocal], 1)
	assert.Equal(t, []string{z}, byKind[ghlsync.MissingLocal][0].ContactIDs)
	var missing []string
	for _, r := range byKind[ghlsync.MissingRemote] {
		missing = append(missing, r.LocalIDs...)
	}
	slices.Sort(missing)
	assert.Equal(t, []string{"L3", "L5", "L6"}, missing)
	assert.Len(t, byKind[ghlsync.DuplicateLocal], 2, "L4 shares L1's email; L5 and L6 share a phone")
	require.Len(t, byKind[ghlsync.DuplicateRemote], 1)
	assert.ElementsMatch(t, []string{g1, g2}, byKind[ghlsync.DuplicateRemote][0].ContactIDs)
	assert.Equal(t, 7, sum.Local)
	assert.Equal(t, 5, sum.Remote)
	assert.Equal(t, 3, sum.Matched)
	_ = a

	var buf bytes.Buffer
	w := ghlsync.NewCSVWriter(&buf)
	_, err = ghlsync.Reconcile(ctx, c, locals, ghlsync.ReconcileOptions{}, w.Write)
	require.NoError(t, err)
	require.NoError(t, w.Flush())
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	assert.Equal(t, "kind,key,local_ids,contact_ids,fields", lines[0])
	assert.Len(t, lines, len(rows)+1)
	assert.Contains(t, buf.String(), "differs,b@x.co,L2,"+b+",city")
}

// TestReconcileFailedReadReportsNothingMissing: a read that fails part-way
// never reports a contact as missing in HighLevel.
func TestReconcileFailedReadReportsNothingMissing(t *testing.T) {
	srv := newServer(t)
	c := fastClient(t, srv)
	ids := srv.Seed(ghltest.DefaultLocationID, 300)
	var locals []ghlsync.LocalRecord
	for _, id := range ids {
		ct, _ := srv.Contact(ghltest.DefaultLocationID, id)
		locals = append(locals, ghlsync.LocalRecord{ID: "L-" + id, Record: ghlsync.Record{Fields: map[string]string{"email": ct.EmailLowerCase}}})
	}
	srv.Inject(ghltest.Fault{Method: "POST", Path: "/contacts/search", Status: 400, Body: `{"message":"boom"}`})
	var rows []ghlsync.Row
	_, err := ghlsync.Reconcile(context.Background(), c, locals, ghlsync.ReconcileOptions{PageLimit: 100}, ghlsync.Collect(&rows))
	require.Error(t, err)
	for _, r := range rows {
		assert.NotEqual(t, ghlsync.MissingRemote, r.Kind)
	}
}

// BenchmarkReconcile100k reconciles 100,000 local records against 100,000
// contacts in ghltest, reporting contacts per second, the requests used (at
// least 200 pages of 500) and the peak heap.
func BenchmarkReconcile100k(b *testing.B) {
	srv := ghltest.NewServer(ghltest.WithRateLimit(1_000_000, time.Second))
	defer srv.Close()
	c, err := srv.Client()
	if err != nil {
		b.Fatal(err)
	}
	ids := srv.Seed(ghltest.DefaultLocationID, 100_000)
	locals := make([]ghlsync.LocalRecord, len(ids))
	for i, id := range ids {
		ct, _ := srv.Contact(ghltest.DefaultLocationID, id)
		r := ghlsync.FromContact(ct)
		if i%100 == 0 {
			r = r.Set(ghlsync.FieldCity, "Elsewhere")
		}
		locals[i] = ghlsync.LocalRecord{ID: "L" + id, Record: r}
	}
	// Warm ghltest's per-contact encoding cache, so the heap measured below
	// is the reconciliation's (and one search page's), not the fake's cache.
	for _, err := range c.Contacts.SearchAll(context.Background(), ghl.SearchRequest{}) {
		if err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	baseHeap := ms.HeapInuse
	var peak uint64
	done := make(chan struct{})
	go func() { // sample the heap while the benchmark runs
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				peak = max(peak, m.HeapInuse)
			}
		}
	}()
	ctx := context.Background()
	requests := 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		before := srv.RequestCount("POST", "/contacts/search")
		differs := 0
		sum, err := ghlsync.Reconcile(ctx, c, locals, ghlsync.ReconcileOptions{}, func(r ghlsync.Row) error {
			if r.Kind == ghlsync.Differs {
				differs++
			}
			return nil
		})
		if err != nil || sum.Matched != 100_000 || differs != 1000 {
			b.Fatalf("matched %d, differs %d, err %v", sum.Matched, differs, err)
		}
		requests += srv.RequestCount("POST", "/contacts/search") - before
	}
	b.StopTimer()
	close(done)
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(int64(ms.HeapInuse)-int64(baseHeap))/(1<<20), "retained-heap-MiB")
	b.ReportMetric(float64(100_000*b.N)/b.Elapsed().Seconds(), "contacts/s")
	b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
	// The peak includes garbage not yet collected and ghltest's own page
	// building, as the fake runs in this process.
	b.ReportMetric(float64(peak-min(peak, baseHeap))/(1<<20), "peak-heap-MiB-over-base")
}
