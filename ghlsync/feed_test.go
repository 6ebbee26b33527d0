package ghlsync_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghlsync"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/internal/testenv"
)

// freezer is a clock that runs with real time but can stand still, so
// that many writes share one millisecond.
type freezer struct {
	mu     gosync.Mutex
	frozen bool
	at     time.Time
	offset time.Duration
}

func (f *freezer) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.frozen {
		return f.at
	}
	return time.Now().Add(f.offset)
}

func (f *freezer) Freeze() {
	now := f.Now()
	f.mu.Lock()
	f.frozen, f.at = true, now
	f.mu.Unlock()
}

// Thaw restarts the clock just after the frozen instant.
func (f *freezer) Thaw() {
	f.mu.Lock()
	f.offset = time.Until(f.at.Add(time.Millisecond))
	f.frozen = false
	f.mu.Unlock()
}

// Skip moves the clock d ahead at once: the search index's lag passes
// without waiting for it.
func (f *freezer) Skip(d time.Duration) {
	f.mu.Lock()
	f.offset += d
	f.at = f.at.Add(d)
	f.mu.Unlock()
}

// tieAll gives every contact in ids one dateUpdated, with bulk tag updates
// under a frozen clock.
func tieAll(t *testing.T, c *ghl.Client, clock *freezer, ids []string) time.Time {
	clock.Freeze()
	defer clock.Thaw()
	for i := 0; i < len(ids); i += 100 {
		_, err := c.Contacts.BulkAddTags(context.Background(), ghl.BulkTagsRequest{ContactIDs: ids[i:min(i+100, len(ids))], Tags: []string{"tied"}})
		require.NoError(t, err)
	}
	return clock.Now()
}

// delivery is one change as a test saw it.
type delivery struct {
	id string
	ms int64
}

func poll(t *testing.T, f *ghlsync.Feed, cp []byte) ([]delivery, []byte) {
	t.Helper()
	var got []delivery
	var last ghlsync.Change
	for ch, err := range f.Changes(context.Background(), cp) {
		require.NoError(t, err)
		got = append(got, delivery{ch.Contact.ID, ch.Contact.DateUpdated.UnixMilli()})
		last = ch
	}
	if len(got) == 0 {
		return nil, cp
	}
	return got, last.Checkpoint()
}

// TestFeedMissesAndRepeatsNothing: 2,000 contacts (10,000 in the long run), 500 (1,000) of them on one
// dateUpdated millisecond, writers updating contacts while the feed is
// read, and a search index that lags writes: polled until quiet, every
// contact's final state is delivered, and no (contact, dateUpdated) twice.
func TestFeedMissesAndRepeatsNothing(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("10,000 contacts")
	}
	total, ties := 2000, 500 // 10,000 and 1,000 in the long run (GHL_TEST_LONG=1)
	if testenv.Long() {
		total, ties = 10_000, 1000
	}
	clock := &freezer{}
	const lag = 300 * time.Millisecond
	srv := ghltest.NewServer(ghltest.WithClock(clock.Now), ghltest.WithSearchLag(lag), ghltest.WithRateLimit(1_000_000, time.Second))
	defer srv.Close()
	c := fastClient(t, srv)
	ids := srv.Seed(ghltest.DefaultLocationID, total)
	tieAll(t, c, clock, ids[:ties])
	clock.Skip(lag)

	feed := &ghlsync.Feed{Client: c, Overlap: 5 * time.Second}
	counts := map[delivery]int{}
	var writes atomic.Int32
	stop := make(chan struct{})
	var wg gosync.WaitGroup
	wg.Add(1)
	go func() { // writers: bounded, while the feed is read
		defer wg.Done()
		rng := rand.New(rand.NewPCG(3, 4))
		for i := 0; i < 400; i++ {
			select {
			case <-stop:
				return
			default:
			}
			id := ids[rng.IntN(len(ids))]
			if _, err := c.Contacts.Update(context.Background(), id, ghl.UpdateContactRequest{City: ghl.Ptr(fmt.Sprint("City ", i))}); err == nil {
				writes.Add(1)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	// Poll while the writers write, then until three polls in a row, each
	// one lag apart after the last write, bring nothing. The bound counts
	// polls, not seconds: a busy machine slows the writers and the polls
	// alike.
	var cp []byte
	quiet := 0
	for polls := 0; quiet < 3; polls++ {
		if polls == 100_000 {
			close(stop)
			wg.Wait()
			t.Fatalf("the feed still delivered after %d polls (%d writes)", polls, writes.Load())
		}
		got, next := poll(t, feed, cp)
		for _, d := range got {
			counts[d]++
		}
		cp = next
		switch {
		case len(got) > 0 || writes.Load() < 400:
			quiet = 0
		default:
			quiet++
			clock.Skip(lag)
		}
	}
	close(stop)
	wg.Wait()
	require.Equal(t, int32(400), writes.Load())

	for d, n := range counts {
		assert.Equal(t, 1, n, "%v delivered %d times", d, n)
	}
	missed := 0
	for _, id := range ids {
		ct, ok := srv.Contact(ghltest.DefaultLocationID, id)
		require.True(t, ok)
		if counts[delivery{id, ct.DateUpdated.UnixMilli()}] != 1 {
			missed++
		}
	}
	assert.Zero(t, missed, "contacts whose final state was never delivered")
}

// TestFeedTiesPastTheSearchWindow: 12,000 contacts on one dateUpdated, more
// than the 10,000 that page numbers reach, are each delivered once and the
// poll ends; a second poll delivers nothing and costs one request per page
// of the overlap window.
func TestFeedTiesPastTheSearchWindow(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("12,000 contacts")
	}
	clock := &freezer{}
	srv := ghltest.NewServer(ghltest.WithClock(clock.Now), ghltest.WithRateLimit(1_000_000, time.Second))
	defer srv.Close()
	c := fastClient(t, srv)
	ids := srv.Seed(ghltest.DefaultLocationID, 12_000)
	tied := tieAll(t, c, clock, ids)

	feed := &ghlsync.Feed{Client: c, Overlap: time.Second}
	got, cp := poll(t, feed, nil)
	require.Len(t, got, 12_000)
	seen := map[string]bool{}
	for _, d := range got {
		assert.False(t, seen[d.id], "delivered twice: %s", d.id)
		seen[d.id] = true
		assert.Equal(t, tied.UnixMilli(), d.ms)
	}
	again, _ := poll(t, feed, cp)
	assert.Empty(t, again)
}

// TestFeedResumesMidStream: a checkpoint taken after some changes resumes
// with the rest and repeats none; an idle poll costs one request.
func TestFeedResumesMidStream(t *testing.T) {
	srv := newServer(t)
	c := fastClient(t, srv)
	srv.Seed(ghltest.DefaultLocationID, 1200)
	feed := &ghlsync.Feed{Client: c, PageLimit: 100}
	var first []string
	var cp []byte
	for ch, err := range feed.Changes(context.Background(), nil) {
		require.NoError(t, err)
		first = append(first, ch.Contact.ID)
		if len(first) == 450 {
			cp = ch.Checkpoint()
			break
		}
	}
	rest, cp2 := poll(t, feed, cp)
	assert.Len(t, rest, 750)
	all := map[string]bool{}
	for _, id := range first {
		all[id] = true
	}
	for _, d := range rest {
		assert.False(t, all[d.id], "repeated after resuming: %s", d.id)
		all[d.id] = true
	}
	assert.Len(t, all, 1200)

	before := srv.RequestCount("POST", "/contacts/search")
	idle, _ := poll(t, feed, cp2)
	assert.Empty(t, idle)
	assert.Equal(t, 1, srv.RequestCount("POST", "/contacts/search")-before, "an idle poll costs one request")

}

// BenchmarkChangeFeed reads 1,000 changes from scratch and then polls once
// with nothing new, reporting the search requests each costs.
func BenchmarkChangeFeed(b *testing.B) {
	srv := ghltest.NewServer(ghltest.WithRateLimit(1_000_000, time.Second))
	defer srv.Close()
	c, err := srv.Client()
	if err != nil {
		b.Fatal(err)
	}
	srv.Seed(ghltest.DefaultLocationID, 1000)
	feed := &ghlsync.Feed{Client: c}
	ctx := context.Background()
	var changeReqs, idleReqs int
	b.ReportAllocs()
	for b.Loop() {
		before := srv.RequestCount("POST", "/contacts/search")
		var last ghlsync.Change
		n := 0
		for ch, err := range feed.Changes(ctx, nil) {
			if err != nil {
				b.Fatal(err)
			}
			last, n = ch, n+1
		}
		if n != 1000 {
			b.Fatalf("%d changes", n)
		}
		mid := srv.RequestCount("POST", "/contacts/search")
		for _, err := range feed.Changes(ctx, last.Checkpoint()) {
			if err != nil {
				b.Fatal(err)
			}
			b.Fatal("an idle poll delivered a change")
		}
		changeReqs += mid - before
		idleReqs += srv.RequestCount("POST", "/contacts/search") - mid
	}
	b.ReportMetric(float64(changeReqs)/float64(b.N), "requests/1000-changes")
	b.ReportMetric(float64(idleReqs)/float64(b.N), "requests/idle-poll")
}

// TestFeedSecondWriteInTheSameMillisecond: dateUpdated has millisecond
// precision, so a write in the millisecond of the state the feed delivered
// shows only in the content; it is delivered, and the same state again is
// not.
func TestFeedSecondWriteInTheSameMillisecond(t *testing.T) {
	ctx := context.Background()
	clk := ghltest.NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)) // stands still: every write in one millisecond
	srv := newServer(t, ghltest.WithClock(clk.Now))
	c := fastClient(t, srv)
	ct, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("same@example.com")})
	require.NoError(t, err)
	feed := &ghlsync.Feed{Client: c}
	got, cp := poll(t, feed, nil)
	require.Len(t, got, 1)

	_, err = c.Contacts.Update(ctx, ct.ID, ghl.UpdateContactRequest{City: ghl.Ptr("Bergen")})
	require.NoError(t, err)
	got, cp = poll(t, feed, cp)
	require.Len(t, got, 1, "the write in the same millisecond")
	after, ok := srv.Contact(ghltest.DefaultLocationID, ct.ID)
	require.True(t, ok)
	require.Equal(t, ct.DateAdded.UnixMilli(), after.DateUpdated.UnixMilli(), "the clock stood still")

	got, _ = poll(t, feed, cp)
	assert.Empty(t, got, "the same state is not delivered twice")
}
