package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ghlkit/ghl"
)

// progress draws a long run's progress on a terminal's stderr, one line
// redrawn in place: count, total, rate, time left, requests sent and the
// 429s answered. Off a terminal (piped, redirected, in CI) it draws nothing.
type progress struct {
	mu       sync.Mutex
	count    int
	start    int
	total    int
	began    time.Time
	counter  *ghl.RequestCounter
	cl       *ghl.Client
	location string
	refused  *atomic.Int64
	stop     chan struct{}
	stopped  chan struct{}
	draw     func(string)
}

// newProgress starts drawing, when stderr is a terminal; start is where a
// resumed run begins. The total comes from one search of one contact.
func (c *cli) newProgress(ctx context.Context, cl *ghl.Client, counter *ghl.RequestCounter, start int) *progress {
	p := &progress{count: start, start: start, began: time.Now(), counter: counter, cl: cl, refused: &c.refused}
	if !c.terminal {
		return p
	}
	if res, err := cl.Contacts.Search(ctx, ghl.SearchRequest{PageLimit: 1, Page: 1}); err == nil {
		p.total = res.Total
	}
	p.location = first(c.location, c.getenv("GHL_LOCATION_ID"))
	p.stop, p.stopped = make(chan struct{}), make(chan struct{})
	if c.getenv("NO_COLOR") == "" {
		p.draw = func(s string) { fmt.Fprintf(c.stderr, "\r\x1b[2K\x1b[36m%s\x1b[0m", s) }
	} else {
		p.draw = func(s string) { fmt.Fprintf(c.stderr, "\r%s", s) }
	}
	go func() {
		defer close(p.stopped)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				p.draw(p.line())
				fmt.Fprintln(c.stderr)
				return
			case <-t.C:
				p.draw(p.line())
			}
		}
	}()
	return p
}

func (p *progress) set(n int) {
	p.mu.Lock()
	p.count = n
	p.mu.Unlock()
}

// line is the progress as one line of text.
func (p *progress) line() string {
	p.mu.Lock()
	n := p.count
	p.mu.Unlock()
	elapsed := time.Since(p.began)
	rate := float64(n-p.start) / max(elapsed.Seconds(), 0.001)
	var b strings.Builder
	fmt.Fprintf(&b, "%d", n)
	if p.total > 0 {
		fmt.Fprintf(&b, "/%d contacts (%d%%)", p.total, min(100, n*100/p.total))
	} else {
		b.WriteString(" contacts")
	}
	fmt.Fprintf(&b, "  %.0f/s", rate)
	if p.total > n && rate > 0 {
		left := time.Duration(float64(p.total-n) / rate * float64(time.Second))
		fmt.Fprintf(&b, "  ETA %s", left.Round(time.Second))
	}
	st := p.cl.RateLimit(p.location)
	fmt.Fprintf(&b, "  %d requests paced at %d per %s, %d × 429", p.counter.Count(), st.Max, st.Window, p.refused.Load())
	return b.String()
}

// done stops drawing, with the final line.
func (p *progress) done() {
	if p.stop == nil {
		return
	}
	close(p.stop)
	<-p.stopped
}
