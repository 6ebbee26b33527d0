package acceptance

import (
	"context"
	"sync"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghlsync"
	"github.com/ghlkit/ghl/webhook"
)

// live is what every app that follows HighLevel shares: webhooks feed a
// Stream, the Stream polls when they go quiet, and while they are quiet the
// app also re-reads the tasks and notes of the people it holds (a task or
// note change may leave the contact's dateUpdated as it was, so polling
// contacts alone cannot see it).
type live struct {
	stream *ghlsync.Stream
	quiet  time.Duration

	mu        sync.Mutex
	lastHook  time.Time
	lastSweep time.Time
}

func newLive(c *ghl.Client, quiet time.Duration) *live {
	if quiet <= 0 {
		quiet = time.Minute
	}
	return &live{stream: &ghlsync.Stream{Feed: &ghlsync.Feed{Client: c}, Quiet: quiet}, quiet: quiet}
}

// handle takes a verified webhook delivery.
func (l *live) handle(ctx context.Context, ev webhook.Event) error {
	l.mu.Lock()
	l.lastHook = time.Now()
	l.mu.Unlock()
	return l.stream.Handle(ctx, ev)
}

// next returns the changes since the last call, and whether the app should
// re-read every person's tasks and notes now (webhooks quiet, at most once
// per quiet period).
func (l *live) next(ctx context.Context) ([]ghlsync.Event, bool, error) {
	evs, err := l.stream.Next(ctx)
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	sweep := now.Sub(l.lastHook) >= l.quiet && now.Sub(l.lastSweep) >= l.quiet
	if sweep {
		l.lastSweep = now
	}
	return evs, sweep, err
}
