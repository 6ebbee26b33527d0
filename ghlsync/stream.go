package ghlsync

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
	// for a contact webhook, from the feed when polling); nil when Deleted,
	// and when only Task* or Note* webhooks named the contact (it is not
	// read for them: SyncContact reads it when it must).
	Contact *ghl.Contact
	// Deleted: the contact is gone (a ContactDelete webhook, confirmed by a
	// read that answered 404).
	Deleted bool
	// TasksChanged and NotesChanged: a Task* or Note* webhook named the
	// contact; sync its tasks or notes (SyncTasks, SyncNotes).
	TasksChanged, NotesChanged bool
	// Source is "webhook" or "poll".
	Source string

	contact bool         // a hint: a contact webhook named it, so it is read
	payload *ghl.Contact // the last contact webhook's payload
}

// Stream turns webhook deliveries and polling into one stream of contact
// changes, per contact in order: a webhook is taken as a hint and the
// contact is read by ID (payloads carry no dateUpdated, and deliveries
// arrive late, twice or out of order); a change is emitted only when the
// contact's dateUpdated is newer than the last one emitted for it (or equal
// with different content), so an older state never follows a newer one and
// duplicates are dropped; when no webhook has arrived for Quiet, Next also
// polls the Feed, so changes keep flowing while deliveries stop (and
// every PollEvery even while they flow, for a delivery that was lost). Deletions
// come from ContactDelete webhooks confirmed by a 404 (use Sweep where only
// polling is possible).
//
// Next returns either events or an error, never both: a call that fails
// part-way marks nothing as emitted, keeps the webhook hints for the next
// call and leaves Checkpoint where it was, so no change is lost to an
// error. A task delivery without a contactId (HighLevel sends these) is
// resolved through the location's task search, by its title, and flags the
// contact it finds.
//
// Handle and Next are safe to call from different goroutines. The order
// guard lives in memory: after a restart a change may be emitted again (the
// Syncer makes that harmless: it never merges a state older than the one it
// recorded).
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
	// Echo, when set, is asked about a contact webhook's payload: true
	// means it holds nothing the sync does not know (its own write coming
	// back), and the contact is not read. A payload that lacks a field
	// must not count as known.
	Echo func(payload ghl.Contact) bool
	// PollEvery is how often Next polls the feed even while webhooks flow,
	// to catch a delivery HighLevel lost (default 15 minutes; negative:
	// only when quiet). The first Next always polls: hints received before
	// a restart are gone.
	PollEvery time.Duration

	mu       gosync.Mutex
	hints    map[string]*Event
	orphans  map[string]orphanTask // task ID → a task delivery that named no contact
	lastHook time.Time
	lastPoll time.Time
	emitted  map[string]emittedVersion
}

// orphanTask is a task delivery without a contactId, to resolve.
type orphanTask struct {
	title string
	tries int
}

// maxOrphanTries bounds the Next calls that look for an orphan task's
// contact (the search index may lag the delivery).
const maxOrphanTries = 20

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
	h, ok := HintOf(ev)
	s.addHint(h, ok)
	return nil
}

// HintOf is the hint a webhook delivery gives the sync: ok is false for a
// delivery it has no use for.
func HintOf(ev webhook.Event) (h Hint, ok bool) {
	switch e := ev.(type) {
	case *webhook.ContactEvent:
		if e.Type == webhook.ContactDelete {
			return Hint{Kind: "delete", ContactID: e.ID}, e.ID != ""
		}
		c := e.Contact
		return Hint{Kind: "contact", ContactID: e.ID, Payload: &c}, e.ID != ""
	case *webhook.TaskEvent:
		return Hint{Kind: "task", ContactID: e.ContactID, TaskID: e.ID, TaskTitle: e.Title}, e.ContactID != "" || e.ID != ""
	case *webhook.NoteEvent:
		return Hint{Kind: "note", ContactID: e.ContactID}, e.ContactID != ""
	}
	return Hint{}, false
}

// addHint records a hint (and, useful or not, that webhooks flow).
func (s *Stream) addHint(hint Hint, useful bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastHook = s.now() // any delivery shows webhooks are flowing
	if !useful {
		return
	}
	id := hint.ContactID
	if id == "" { // a task delivery without its contact: found by its title
		if s.orphans == nil {
			s.orphans = map[string]orphanTask{}
		}
		s.orphans[hint.TaskID] = orphanTask{title: hint.TaskTitle}
		return
	}
	if s.hints == nil {
		s.hints = map[string]*Event{}
	}
	h := s.hints[id]
	if h == nil {
		h = &Event{ContactID: id, Source: "webhook"}
		s.hints[id] = h
	}
	switch hint.Kind {
	case "task":
		h.TasksChanged = true
	case "note":
		h.NotesChanged = true
	case "delete":
		h.Deleted = true
	default:
		h.contact, h.payload = true, hint.Payload
	}
}

// Next returns the changes since the last call, one event per contact: the
// contacts named by webhooks (read now), and, when webhooks have been
// quiet, the feed's. It returns events or an error, never both (see
// Stream).
func (s *Stream) Next(ctx context.Context) ([]Event, error) {
	s.mu.Lock()
	hints, orphans := s.hints, s.orphans
	s.hints, s.orphans = nil, nil
	quiet := s.Quiet
	if quiet <= 0 && !s.lastHook.IsZero() {
		quiet = time.Minute
	}
	every := s.PollEvery
	if every == 0 {
		every = 15 * time.Minute
	}
	now := s.now()
	poll := now.Sub(s.lastHook) >= quiet || s.lastPoll.IsZero() || every > 0 && now.Sub(s.lastPoll) >= every
	s.mu.Unlock()
	if hints == nil {
		hints = map[string]*Event{}
	}
	fail := func(err error) ([]Event, error) {
		s.putBack(hints, orphans)
		return nil, err
	}

	// Task deliveries without a contact: find it by the task's title.
	for taskID, o := range orphans {
		contactID, err := s.orphanContact(ctx, taskID, o.title)
		if err != nil {
			return fail(err)
		}
		if contactID == "" {
			continue // not in the index yet: kept (putBack) for the next call
		}
		delete(orphans, taskID)
		h := hints[contactID]
		if h == nil {
			h = &Event{ContactID: contactID, Source: "webhook"}
			hints[contactID] = h
		}
		h.TasksChanged = true
	}

	guard := map[string]*emittedVersion{} // this call's changes to the order guard; nil forgets
	var out []Event
	ids := make([]string, 0, len(hints))
	for id := range hints {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		h := hints[id]
		echo := h.contact && !h.Deleted && h.payload != nil && s.Echo != nil && s.Echo(*h.payload)
		if !h.contact && !h.Deleted || echo {
			// Only its tasks or notes changed, or the sync's own write came
			// back: flag the contact, unread.
			if h.TasksChanged || h.NotesChanged {
				out = append(out, Event{ContactID: id, TasksChanged: h.TasksChanged, NotesChanged: h.NotesChanged, Source: "webhook"})
			}
			continue
		}
		c, err := s.Feed.Client.Contacts.Get(ctx, id)
		switch {
		case errors.Is(err, ghl.ErrNotFound):
			if h.Deleted {
				out = append(out, Event{ContactID: id, Deleted: true, Source: "webhook"})
				guard[id] = nil
			}
			continue
		case err != nil:
			return fail(err)
		}
		ev := Event{ContactID: id, Contact: c, TasksChanged: h.TasksChanged, NotesChanged: h.NotesChanged, Source: "webhook"}
		if s.fresh(c, guard) || ev.TasksChanged || ev.NotesChanged {
			out = append(out, ev)
		}
	}
	cp := s.Checkpoint
	if poll {
		var last Change
		n := 0
		for ch, err := range s.Feed.Changes(ctx, cp) {
			if err != nil {
				return fail(err)
			}
			last, n = ch, n+1
			c := ch.Contact
			if !s.fresh(&c, guard) {
				continue
			}
			if i := slices.IndexFunc(out, func(e Event) bool { return e.ContactID == c.ID }); i >= 0 {
				// One event per contact: a webhook's, which may carry no
				// contact (a task or note hint), takes the feed's newer one.
				out[i].Contact = &c
				continue
			}
			out = append(out, Event{ContactID: c.ID, Contact: &c, Source: "poll"})
		}
		if n > 0 {
			cp = last.Checkpoint()
		}
	}
	// Nothing failed: commit the order guard and the position, and keep the
	// orphan tasks still unresolved.
	s.mu.Lock()
	if s.emitted == nil {
		s.emitted = map[string]emittedVersion{}
	}
	for id, v := range guard {
		if v == nil {
			delete(s.emitted, id)
		} else {
			s.emitted[id] = *v
		}
	}
	s.Checkpoint = cp
	if poll {
		s.lastPoll = now
	}
	s.mu.Unlock()
	s.putBack(nil, orphans)
	return out, nil
}

// quiet says no webhook came for the quiet period (or none ever came).
func (s *Stream) quiet() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.Quiet
	if q <= 0 {
		q = time.Minute
	}
	return s.lastHook.IsZero() || s.now().Sub(s.lastHook) >= q
}

// orphanContact looks a task up across the location by its title: its
// contact, or "" when the search does not show it (yet).
func (s *Stream) orphanContact(ctx context.Context, taskID, title string) (string, error) {
	if title == "" {
		return "", nil
	}
	tasks, err := s.Feed.Client.Tasks.Search(ctx, ghl.TaskSearchRequest{LocationID: s.Feed.LocationID, Query: title, Limit: 100})
	if err != nil {
		return "", err
	}
	for _, t := range tasks {
		if t.ID == taskID {
			return t.ContactID, nil
		}
	}
	return "", nil
}

// fresh applies the order guard: true when c is newer than what was last
// emitted for it (counting this call's emissions in guard), or as new with
// other content; it then records c in guard.
func (s *Stream) fresh(c *ghl.Contact, guard map[string]*emittedVersion) bool {
	v := emittedVersion{ms: c.DateUpdated.UnixMilli(), hash: contentHash(c)}
	old, ok := guard[c.ID]
	if !ok {
		s.mu.Lock()
		prev, had := s.emitted[c.ID]
		s.mu.Unlock()
		if had {
			old = &prev
		}
	}
	if old != nil && (v.ms < old.ms || v.ms == old.ms && v.hash == old.hash) {
		return false
	}
	guard[c.ID] = &v
	return true
}

// putBack returns hints and orphan tasks to the stream for the next call,
// behind any that came meanwhile.
func (s *Stream) putBack(hints map[string]*Event, orphans map[string]orphanTask) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, h := range hints {
		if s.hints == nil {
			s.hints = map[string]*Event{}
		}
		if cur, ok := s.hints[id]; ok {
			cur.TasksChanged = cur.TasksChanged || h.TasksChanged
			cur.NotesChanged = cur.NotesChanged || h.NotesChanged
			cur.Deleted = cur.Deleted || h.Deleted
			cur.contact = cur.contact || h.contact
			if cur.payload == nil {
				cur.payload = h.payload
			}
		} else {
			s.hints[id] = h
		}
	}
	for id, o := range orphans {
		if o.tries++; o.tries >= maxOrphanTries {
			continue // the search never showed it: a task sweep finds it
		}
		if s.orphans == nil {
			s.orphans = map[string]orphanTask{}
		}
		if _, ok := s.orphans[id]; !ok {
			s.orphans[id] = o
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
