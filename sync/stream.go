package sync

import (
	"context"
	"errors"
	"hash/fnv"
	"slices"
	gosync "sync"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/webhook"
)

// Event is one change of the Stream.
type Event struct {
	ContactID string
	// Contact is the contact's state when the event was made (read by ID
	// for a webhook, from the feed when polling); nil when Deleted.
	Contact *ghl.Contact
	// Deleted: the contact is gone (a ContactDelete webhook, confirmed by a
	// read that answered 404).
	Deleted bool
	// TasksChanged and NotesChanged: a Task* or Note* webhook named the
	// contact; sync its tasks or notes (SyncTasks, SyncNotes).
	TasksChanged, NotesChanged bool
	// Source is "webhook" or "poll".
	Source string
}

// Stream turns webhook deliveries and polling into one stream of contact
// changes, per contact in order: a webhook is taken as a hint and the
// contact is read by ID (payloads carry no dateUpdated, and deliveries
// arrive late, twice or out of order); a change is emitted only when the
// contact's dateUpdated is newer than the last one emitted for it (or equal
// with different content), so an older state never follows a newer one and
// duplicates are dropped; when no webhook has arrived for Quiet, Next also
// polls the Feed, so changes keep flowing while deliveries stop. Deletions
// come from ContactDelete webhooks confirmed by a 404 (use Sweep where only
// polling is possible).
//
// Handle and Next are safe to call from different goroutines. The order
// guard lives in memory: after a restart a change may be emitted again (the
// Syncer makes that harmless).
type Stream struct {
	Feed *Feed
	// Quiet is how long without a webhook before Next polls (default 1
	// minute; 0 polls on every Next when no webhook ever came).
	Quiet time.Duration
	// Checkpoint is the feed's position; Next advances it. Save it between
	// runs.
	Checkpoint []byte
	// Now is the clock the quiet period is measured on (nil: time.Now);
	// tests pass a settable one (ghltest.Clock) instead of waiting.
	Now func() time.Time

	mu       gosync.Mutex
	hints    map[string]*Event
	lastHook time.Time
	emitted  map[string]emittedVersion
}

// emittedVersion is what the order guard remembers of an emitted state.
type emittedVersion struct {
	ms   int64
	hash uint64
}

func (s *Stream) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Handle takes a webhook event: use it as a webhook.Mux's or
// webhook.NewHandler's function. It only records the hint, so it answers
// quickly.
func (s *Stream) Handle(_ context.Context, ev webhook.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastHook = s.now() // any delivery shows webhooks are flowing
	var id, kind string
	switch e := ev.(type) {
	case *webhook.ContactEvent:
		id, kind = e.ID, e.Type
	case *webhook.TaskEvent:
		id, kind = e.ContactID, "task"
	case *webhook.NoteEvent:
		id, kind = e.ContactID, "note"
	}
	if id == "" {
		return nil
	}
	if s.hints == nil {
		s.hints = map[string]*Event{}
	}
	h := s.hints[id]
	if h == nil {
		h = &Event{ContactID: id, Source: "webhook"}
		s.hints[id] = h
	}
	switch kind {
	case "task":
		h.TasksChanged = true
	case "note":
		h.NotesChanged = true
	case webhook.ContactDelete:
		h.Deleted = true
	}
	return nil
}

// Next returns the changes since the last call: the contacts named by
// webhooks (read now), and, when webhooks have been quiet, the feed's.
func (s *Stream) Next(ctx context.Context) ([]Event, error) {
	s.mu.Lock()
	hints := s.hints
	s.hints = nil
	quiet := s.Quiet
	if quiet <= 0 && !s.lastHook.IsZero() {
		quiet = time.Minute
	}
	poll := s.now().Sub(s.lastHook) >= quiet
	s.mu.Unlock()

	var out []Event
	ids := make([]string, 0, len(hints))
	for id := range hints {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		h := hints[id]
		c, err := s.Feed.Client.Contacts.Get(ctx, id)
		switch {
		case errors.Is(err, ghl.ErrNotFound):
			if h.Deleted {
				out = append(out, Event{ContactID: id, Deleted: true, Source: "webhook"})
				s.forget(id)
			}
			continue
		case err != nil:
			s.requeue(hints, ids)
			return out, err
		}
		ev := Event{ContactID: id, Contact: c, TasksChanged: h.TasksChanged, NotesChanged: h.NotesChanged, Source: "webhook"}
		if s.fresh(c) || ev.TasksChanged || ev.NotesChanged {
			out = append(out, ev)
		}
	}
	if poll {
		var last Change
		n := 0
		for ch, err := range s.Feed.Changes(ctx, s.Checkpoint) {
			if err != nil {
				return out, err
			}
			last, n = ch, n+1
			c := ch.Contact
			if s.fresh(&c) {
				out = append(out, Event{ContactID: c.ID, Contact: &c, Source: "poll"})
			}
		}
		if n > 0 {
			s.Checkpoint = last.Checkpoint()
		}
	}
	return out, nil
}

// fresh applies the order guard: true when c is newer than what was last
// emitted for it, or as new with other content; it then records c.
func (s *Stream) fresh(c *ghl.Contact) bool {
	v := emittedVersion{ms: c.DateUpdated.UnixMilli(), hash: contentHash(c)}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.emitted == nil {
		s.emitted = map[string]emittedVersion{}
	}
	if old, ok := s.emitted[c.ID]; ok && (v.ms < old.ms || v.ms == old.ms && v.hash == old.hash) {
		return false
	}
	s.emitted[c.ID] = v
	return true
}

func (s *Stream) forget(id string) {
	s.mu.Lock()
	delete(s.emitted, id)
	s.mu.Unlock()
}

// requeue puts back hints not handled because a read failed.
func (s *Stream) requeue(hints map[string]*Event, ids []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hints == nil {
		s.hints = map[string]*Event{}
	}
	for _, id := range ids {
		if _, ok := s.hints[id]; !ok {
			s.hints[id] = hints[id]
		}
	}
}

// contentHash hashes the synced content of a contact.
func contentHash(c *ghl.Contact) uint64 {
	r := FromContact(*c)
	h := fnv.New64a()
	for _, k := range fieldNames(r) {
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write([]byte(r.Fields[k]))
		h.Write([]byte{0})
	}
	for _, t := range r.Tags {
		h.Write([]byte(t))
		h.Write([]byte{1})
	}
	return h.Sum64()
}
