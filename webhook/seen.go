package webhook

import (
	"container/list"
	"sync"
	"time"
)

// Claim is what a SeenStore knows of a webhookId.
type Claim int

// The states of a claim.
const (
	ClaimNew        Claim = iota // first seen now: process it
	ClaimInProgress              // being processed by another request: ask HighLevel to retry later
	ClaimDone                    // processed already: acknowledge without processing again
)

// SeenStore de-duplicates deliveries by webhookId. The handler claims an ID
// before calling your code, marks it done on success, and releases it on
// failure so that HighLevel's retry is processed. Implementations must be
// safe for concurrent use; share one (e.g. on Redis) across replicas.
type SeenStore interface {
	Claim(id string, until time.Time) Claim
	Done(id string)
	Release(id string)
}

// LRU is the default SeenStore: in memory, bounded to a number of IDs, each
// kept until its replay window ends or it is the oldest when room is needed.
type LRU struct {
	mu    sync.Mutex
	max   int
	now   func() time.Time
	order *list.List // front: newest
	byID  map[string]*list.Element
}

type seenEntry struct {
	id    string
	until time.Time
	done  bool
}

// NewLRU returns an LRU holding at most max IDs (default 100,000 when max <= 0).
func NewLRU(max int) *LRU {
	if max <= 0 {
		max = 100_000
	}
	return &LRU{max: max, now: time.Now, order: list.New(), byID: map[string]*list.Element{}}
}

// Claim records id until the given time.
func (l *LRU) Claim(id string, until time.Time) Claim {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if el := l.byID[id]; el != nil {
		e := el.Value.(*seenEntry)
		if now.Before(e.until) {
			if e.done {
				return ClaimDone
			}
			return ClaimInProgress
		}
		l.remove(el)
	}
	for l.order.Len() >= l.max {
		l.remove(l.order.Back())
	}
	// Drop expired entries from the old end while we are here.
	for el := l.order.Back(); el != nil && !now.Before(el.Value.(*seenEntry).until); el = l.order.Back() {
		l.remove(el)
	}
	l.byID[id] = l.order.PushFront(&seenEntry{id: id, until: until})
	return ClaimNew
}

// Done marks a claimed id as processed.
func (l *LRU) Done(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if el := l.byID[id]; el != nil {
		el.Value.(*seenEntry).done = true
	}
}

// Release forgets a claim whose processing failed.
func (l *LRU) Release(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if el := l.byID[id]; el != nil {
		l.remove(el)
	}
}

// Len returns how many IDs are held.
func (l *LRU) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.order.Len()
}

func (l *LRU) remove(el *list.Element) {
	delete(l.byID, el.Value.(*seenEntry).id)
	l.order.Remove(el)
}
