package ghltest

import (
	"sync"
	"time"
)

// Clock is a settable clock for tests. Pass its Now to every component that
// takes a clock (WithClock here, ghl.WithSourceClock, ghl.WithRegistryClock,
// webhook.WithClock, the sync package's clocks) and move time with Advance
// instead of sleeping, so that a test decides what has expired and passes
// however busy the machine is. It is safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock that reads start until it is moved.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}
