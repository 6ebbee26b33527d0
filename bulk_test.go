package ghl_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
)

func upserts(prefix string, n int) []ghl.UpsertContactRequest {
	reqs := make([]ghl.UpsertContactRequest, n)
	for i := range reqs {
		reqs[i] = ghl.UpsertContactRequest{CreateContactRequest: ghl.CreateContactRequest{
			FirstName: ghl.Ptr("Bulk"), Email: ghl.Ptr(fmt.Sprintf("%s-%d@example.com", prefix, i))}}
	}
	return reqs
}

var patient = ghl.RetryPolicy{MaxRetries: 20, MinWait: 20 * time.Millisecond, MaxWait: 2 * time.Second}

func TestBulkUpsertReportsEveryItem(t *testing.T) {
	t.Parallel()
	srv := ghltest.NewServer(ghltest.WithRateLimit(1000, time.Second))
	defer srv.Close()
	c, err := srv.Client(ghl.WithRetryPolicy(patient))
	require.NoError(t, err)
	reqs := upserts("a", 60)
	reqs[7].Email = ghl.Ptr("not-an-email")
	reqs[9].Email = ghl.Ptr("a-3@example.com") // the same person as item 3
	var mu sync.Mutex
	var reports []ghl.BulkProgress
	r := c.Contacts.BulkUpsert(context.Background(), reqs, ghl.BulkOptions{Concurrency: 4, ProgressInterval: time.Millisecond,
		Progress: func(p ghl.BulkProgress) { mu.Lock(); reports = append(reports, p); mu.Unlock() }})
	assert.Equal(t, 1, r.Failed)
	assert.Equal(t, 58, r.Created)
	assert.Equal(t, 1, r.Updated)
	assert.Zero(t, r.NotSent)
	var ie *ghl.InputError
	require.ErrorAs(t, r.Items[7].Err, &ie, "the failure keeps its typed error: refused before sending")
	assert.Equal(t, "email", ie.Field)
	assert.Equal(t, 58, srv.ContactCount(ghltest.DefaultLocationID), "item 9 updated item 3's contact")
	mu.Lock()
	last := reports[len(reports)-1]
	mu.Unlock()
	assert.Equal(t, ghl.BulkProgress{Total: 60, Done: 60, Failed: 1}, ghl.BulkProgress{Total: last.Total, Done: last.Done, Failed: last.Failed})
	assert.Positive(t, last.Rate)
}

func TestBulkStopsCleanlyOnCancel(t *testing.T) {
	t.Parallel()
	srv := ghltest.NewServer(ghltest.WithRateLimit(1000, time.Second))
	defer srv.Close()
	c, err := srv.Client()
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int32
	r := ghl.RunBulk(ctx, upserts("c", 200), func(ctx context.Context, req ghl.UpsertContactRequest) (*ghl.UpsertResult, error) {
		if calls.Add(1) == 50 {
			cancel()
		}
		return c.Contacts.Upsert(ctx, req)
	}, ghl.BulkOptions{Concurrency: 4})
	assert.Equal(t, 200, r.Succeeded+r.Failed+r.NotSent, "every item is accounted for")
	assert.Positive(t, r.NotSent)
	for _, it := range r.Items {
		if !it.Sent {
			assert.ErrorIs(t, it.Err, context.Canceled)
		}
	}
	sent := 0
	for _, it := range r.Items {
		if it.Sent {
			sent++
		}
	}
	assert.Equal(t, int(calls.Load()), sent, "Sent is true exactly for the calls made")
	assert.LessOrEqual(t, srv.ContactCount(ghltest.DefaultLocationID), sent)
}

// TestTwoClientsShareOneLocation: two clients with their own limiters import
// into one location at the same time. They learn of each other from
// X-RateLimit-Remaining; the few 429s left are retried and nothing is lost.
func TestTwoClientsShareOneLocation(t *testing.T) {
	t.Parallel()
	twoClients(t, ghl.WithRetryPolicy(patient))
}

// TestTwoClientsDefaultRetryPolicy: the same with the default retry policy,
// as most apps run: every item completes.
func TestTwoClientsDefaultRetryPolicy(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("two bulk imports")
	}
	twoClients(t)
}

func twoClients(t *testing.T, opts ...ghl.Option) {
	srv := ghltest.NewServer(ghltest.WithRateLimit(50, 250*time.Millisecond))
	defer srv.Close()
	var reports [2]*ghl.BulkUpsertReport
	var wg sync.WaitGroup
	for i := range 2 {
		c, err := srv.Client(opts...)
		require.NoError(t, err)
		wg.Add(1)
		go func() {
			defer wg.Done()
			reports[i] = c.Contacts.BulkUpsert(context.Background(), upserts(fmt.Sprintf("p%d", i), 400), ghl.BulkOptions{Concurrency: 8})
		}()
	}
	wg.Wait()
	for _, r := range reports {
		assert.Zero(t, r.Failed)
		assert.Equal(t, 400, r.Created)
	}
	assert.Equal(t, 800, srv.ContactCount(ghltest.DefaultLocationID), "nothing lost")
	n429 := srv.RateLimited()
	total := srv.RequestCount("", "")
	t.Logf("two clients, 800 upserts at 50 per 250 ms: %d requests, %d answered 429 (%.1f%%)", total, n429, 100*float64(n429)/float64(total))
	// Measured 5-6% (7.5% under -race); the bound guards against sliding back
	// to one 429 per request over the limit, not a promise of "a handful".
	assert.LessOrEqual(t, float64(n429), 0.15*float64(total), "a few 429s, all retried")
}

// TestClientsSharingALimiterCollectNo429s: clients of one process share one
// RateLimiter and never exceed the limit together.
func TestClientsSharingALimiterCollectNo429s(t *testing.T) {
	t.Parallel()
	srv := ghltest.NewServer(ghltest.WithRateLimit(50, 250*time.Millisecond))
	defer srv.Close()
	shared := ghl.NewRateLimiter()
	var wg sync.WaitGroup
	for i := range 2 {
		c, err := srv.Client(ghl.WithRetryPolicy(patient), ghl.WithRateLimiter(shared))
		require.NoError(t, err)
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := c.Contacts.BulkUpsert(context.Background(), upserts(fmt.Sprintf("s%d", i), 300), ghl.BulkOptions{Concurrency: 8})
			assert.Zero(t, r.Failed)
		}()
	}
	wg.Wait()
	assert.Equal(t, 600, srv.ContactCount(ghltest.DefaultLocationID))
	assert.Zero(t, srv.RateLimited())
}

func TestDailyLimitFailsFastWithoutSending(t *testing.T) {
	t.Parallel()
	srv := ghltest.NewServer(ghltest.WithDailyLimit(5))
	defer srv.Close()
	c, err := srv.Client()
	require.NoError(t, err)
	r := c.Contacts.BulkUpsert(context.Background(), upserts("d", 20), ghl.BulkOptions{Concurrency: 1})
	assert.Equal(t, 5, r.Created)
	assert.Equal(t, 15, r.Failed)
	var rl *ghl.RateLimitError
	require.True(t, errors.As(r.Items[19].Err, &rl))
	assert.True(t, rl.Daily)
	assert.Equal(t, 5, srv.RequestCount("", ""), "no request once the budget was known spent")
	st := c.RateLimit("")
	assert.Equal(t, 0, st.DailyRemaining)
	assert.False(t, st.DailyReset.IsZero())
}

// benchBulk upserts 2,000 contacts against ghltest limited to 100 requests
// per 200 ms (500/s), and reports the 429s collected and the share of the
// allowed rate achieved.
func benchBulk(b *testing.B, limited bool) {
	opts := []ghl.Option{ghl.WithRetryPolicy(patient)}
	if !limited {
		opts = append(opts, ghl.WithoutRateLimiter())
	}
	measureBulk(b, bulkRun{n: 2000, burst: 100, window: 200 * time.Millisecond, concurrency: 16, opts: opts})
}

// bulkRun is one bulk-upsert benchmark setting.
type bulkRun struct {
	n, burst, concurrency int
	window, latency       time.Duration
	sliding               bool
	opts                  []ghl.Option
}

// measureBulk upserts r.n contacts into a fresh ghltest per iteration and
// reports the 429s drawn and the share of the allowed rate reached.
func measureBulk(b *testing.B, r bulkRun) {
	var total429 int
	var totalElapsed time.Duration
	runs := 0
	for b.Loop() {
		b.StopTimer()
		sopts := []ghltest.Option{ghltest.WithRateLimit(r.burst, r.window)}
		if r.sliding {
			sopts = append(sopts, ghltest.WithSlidingWindow())
		}
		srv := ghltest.NewServer(sopts...)
		if r.latency > 0 {
			srv.Inject(ghltest.Fault{Path: "/contacts/upsert", Latency: r.latency, Times: 1 << 30})
		}
		c, err := srv.Client(r.opts...)
		if err != nil {
			b.Fatal(err)
		}
		reqs := upserts("bench", r.n)
		b.StartTimer()
		start := time.Now()
		rep := c.Contacts.BulkUpsert(context.Background(), reqs, ghl.BulkOptions{Concurrency: r.concurrency})
		elapsed := time.Since(start)
		b.StopTimer()
		if rep.Failed != 0 || rep.Created != r.n {
			b.Fatalf("created %d, failed %d", rep.Created, rep.Failed)
		}
		total429 += srv.RateLimited()
		totalElapsed += elapsed
		runs++
		srv.Close()
		b.StartTimer()
	}
	allowed := float64(r.burst) / r.window.Seconds()
	b.ReportMetric(float64(total429)/float64(runs), "429s")
	b.ReportMetric(float64(r.n*runs)/totalElapsed.Seconds()/allowed*100, "pct_of_limit")
}

// BenchmarkBulkUpsertAtLimit: the bulk helper under the proactive limiter.
func BenchmarkBulkUpsertAtLimit(b *testing.B) { benchBulk(b, true) }

// BenchmarkBulkUpsertNaive: the same work with the limiter off, relying on
// retrying 429s alone.
func BenchmarkBulkUpsertNaive(b *testing.B) { benchBulk(b, false) }

// TestBulkRateIsAMovingWindow: the ETA is unknown until one window has
// passed (the moving rate itself: TestRateMeterForgetsTheBurst).
func TestBulkRateIsAMovingWindow(t *testing.T) {
	t.Parallel()
	var reports []ghl.BulkProgress
	var mu sync.Mutex
	inputs := make([]int, 40)
	ghl.RunBulk(context.Background(), inputs, func(ctx context.Context, i int) (int, error) {
		return 0, nil
	}, ghl.BulkOptions{Concurrency: 1, RateWindow: time.Hour, Progress: func(p ghl.BulkProgress) {
		mu.Lock()
		reports = append(reports, p)
		mu.Unlock()
	}})
	last := reports[len(reports)-1]
	assert.Zero(t, last.ETA, "finished")
	for _, p := range reports {
		assert.Zero(t, p.ETA, "no ETA before one window has passed")
	}

}

// BenchmarkBulkUpsertSliding: 1,000 upserts against ghltest with a sliding
// window and latency added to every answer, at concurrency 8 and 32. The
// issue's setting is 50 per 1 s with 150 ms of latency; it is run here
// scaled by 1/5 in time (50 per 200 ms, 30 ms), which keeps the ratio of
// latency to window (0.15) that bounds the rate and lets CI run it in
// seconds.
func BenchmarkBulkUpsertSliding(b *testing.B) {
	for _, latency := range []time.Duration{30 * time.Millisecond, 0} {
		for _, conc := range []int{8, 32} {
			b.Run(fmt.Sprintf("latency=%s/concurrency=%d", latency, conc), func(b *testing.B) {
				measureBulk(b, bulkRun{n: 1000, burst: 50, window: 200 * time.Millisecond, latency: latency,
					sliding: true, concurrency: conc})
			})
		}
	}
}
