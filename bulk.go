package ghl

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// BulkOptions controls a bulk run.
type BulkOptions struct {
	// Concurrency is how many calls may be in flight (default 8). The
	// client's rate limiter, not this number, keeps the run under
	// HighLevel's limit.
	Concurrency int
	// Progress, when set, is called every ProgressInterval (default 1 s)
	// and once more at the end, from one goroutine.
	Progress         func(BulkProgress)
	ProgressInterval time.Duration
	// RateWindow is the moving window over which BulkProgress.Rate is
	// measured (default 10 s, HighLevel's rate-limit window; Contacts.
	// BulkUpsert uses the window the client's limiter has learned). It must
	// span the limiter's waits, or a burst reads as the pace of the run.
	RateWindow time.Duration

	windowFn func() time.Duration // the limiter's window, asked at each report
}

// BulkProgress is a running count of a bulk run.
type BulkProgress struct {
	Total   int
	Done    int // finished, successfully or not
	Failed  int
	Elapsed time.Duration
	// Rate is finished items per second over the last RateWindow (over the
	// run so far while it is shorter), waits for the rate limiter included.
	Rate float64
	// ETA is the time left at Rate, rounded to a second; 0 when unknown
	// (before one full RateWindow has passed) or finished.
	ETA time.Duration
}

// BulkItem is what happened to one input of a bulk run.
type BulkItem[I, O any] struct {
	Index  int
	Input  I
	Output O     // set when Err is nil
	Err    error // the call's error, or the context's for an item never sent
	Sent   bool  // the call was started; false: the run stopped before this item
}

// BulkReport is the outcome of a bulk run, one item per input in input order.
type BulkReport[I, O any] struct {
	Items     []BulkItem[I, O]
	Succeeded int
	Failed    int // sent and failed
	NotSent   int // never started because the context ended
	Elapsed   time.Duration
}

// RunBulk calls fn for every input with bounded concurrency, going on past
// failures, and stops starting new calls when ctx ends. Run it with a
// client's methods to get the client's rate limiting and retries:
//
//	report := ghl.RunBulk(ctx, ids, func(ctx context.Context, id string) ([]string, error) {
//		return client.Tags.Add(ctx, id, []string{"webinar"})
//	}, ghl.BulkOptions{})
func RunBulk[I, O any](ctx context.Context, inputs []I, fn func(context.Context, I) (O, error), opts BulkOptions) *BulkReport[I, O] {
	conc := opts.Concurrency
	if conc <= 0 {
		conc = 8
	}
	conc = min(conc, max(len(inputs), 1))
	report := &BulkReport[I, O]{Items: make([]BulkItem[I, O], len(inputs))}
	for i, in := range inputs {
		report.Items[i] = BulkItem[I, O]{Index: i, Input: in}
	}
	var next, done, failed atomic.Int64
	start := time.Now()
	meter := &rateMeter{start: start}
	progress := func() BulkProgress {
		now := time.Now()
		p := BulkProgress{Total: len(inputs), Done: int(done.Load()), Failed: int(failed.Load()), Elapsed: now.Sub(start)}
		window := opts.RateWindow
		if opts.windowFn != nil {
			window = opts.windowFn()
		}
		if window <= 0 {
			window = 10 * time.Second
		}
		p.Rate, p.ETA = meter.measure(now, p.Total, p.Done, window)
		return p
	}
	stopProgress := startProgress(opts, progress)

	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(inputs) {
					return
				}
				it := &report.Items[i]
				it.Sent = true
				it.Output, it.Err = fn(ctx, it.Input)
				if it.Err != nil {
					failed.Add(1)
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	report.Elapsed = time.Since(start)
	for i := range report.Items {
		it := &report.Items[i]
		switch {
		case !it.Sent:
			it.Err = context.Cause(ctx)
			report.NotSent++
		case it.Err != nil:
			report.Failed++
		default:
			report.Succeeded++
		}
	}
	stopProgress()
	return report
}

// rateMeter measures a rate over a moving window from the counts it is
// shown at each progress report.
type rateMeter struct {
	start   time.Time
	samples []rateSample // oldest first, the last window's worth
}

type rateSample struct {
	at   time.Time
	done int
}

// rate returns the items per second over the last window, and whether the
// run is as long as one window (before that, the rate covers the run so far
// and may be a single burst).
func (m *rateMeter) rate(now time.Time, done int, window time.Duration) (float64, bool) {
	from := now.Add(-window)
	// Drop samples older than needed: keep the newest one at or before the
	// window's start as the baseline.
	for len(m.samples) >= 2 && !m.samples[1].at.After(from) {
		m.samples = m.samples[1:]
	}
	base := rateSample{at: m.start}
	if len(m.samples) > 0 && !m.samples[0].at.After(from) {
		base = m.samples[0]
	}
	m.samples = append(m.samples, rateSample{now, done})
	d := now.Sub(base.at).Seconds()
	if d <= 0 {
		return 0, false
	}
	return float64(done-base.done) / d, now.Sub(m.start) >= window
}

// measure returns the rate over the last window and the time left at that
// rate (0 before one window has passed, or when nothing is left).
func (m *rateMeter) measure(now time.Time, total, done int, window time.Duration) (rate float64, eta time.Duration) {
	rate, full := m.rate(now, done, window)
	if left := total - done; left > 0 && full && rate > 0 {
		eta = max(time.Duration(float64(left)/rate*float64(time.Second)).Round(time.Second), time.Second)
	}
	return rate, eta
}

// startProgress reports progress on a ticker until the returned func is
// called, which also sends the final report.
func startProgress(opts BulkOptions, snapshot func() BulkProgress) (stop func()) {
	if opts.Progress == nil {
		return func() {}
	}
	every := opts.ProgressInterval
	if every <= 0 {
		every = time.Second
	}
	quit, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				opts.Progress(snapshot())
			case <-quit:
				opts.Progress(snapshot())
				return
			}
		}
	}()
	return func() {
		close(quit)
		<-finished
	}
}

// BulkUpsertReport is the outcome of Contacts.BulkUpsert.
type BulkUpsertReport struct {
	Items   []BulkItem[UpsertContactRequest, *UpsertResult]
	Created int // new contacts
	Updated int // existing contacts matched and updated
	Failed  int // sent and failed; each item has its typed error
	NotSent int // never sent because the context ended
	Elapsed time.Duration
}

// BulkUpsert upserts many contacts at the API's rate limit: bounded
// concurrency under the client's rate limiter, per-item results, progress
// reports, and a clean stop on ctx cancel with what was and was not sent.
func (s *ContactsService) BulkUpsert(ctx context.Context, reqs []UpsertContactRequest, opts BulkOptions) *BulkUpsertReport {
	if opts.RateWindow <= 0 && s.c.limiter != nil {
		opts.windowFn = func() time.Duration { return s.c.RateLimit("").Window }
	}
	r := RunBulk(ctx, reqs, func(ctx context.Context, req UpsertContactRequest) (*UpsertResult, error) {
		return s.Upsert(ctx, req)
	}, opts)
	out := &BulkUpsertReport{Items: r.Items, Failed: r.Failed, NotSent: r.NotSent, Elapsed: r.Elapsed}
	for _, it := range r.Items {
		if it.Err == nil && it.Output != nil {
			if it.Output.Created {
				out.Created++
			} else {
				out.Updated++
			}
		}
	}
	return out
}
