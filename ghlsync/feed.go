package ghlsync

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"maps"
	"time"

	"github.com/ghlkit/ghl"
)

// Feed reads the contacts of a location that changed since a checkpoint, by
// polling POST /contacts/search: contacts with dateUpdated at or after the
// checkpoint's time less Overlap, sorted by dateUpdated (ties by ID), paged
// with searchAfter cursors (so more than 10,000 contacts on one instant are
// reached).
//
// Guarantees, each tested against ghltest: a change is delivered once per
// (contact, dateUpdated), however many contacts share a millisecond, and
// none is missed when writes land while the feed is read or when the search
// index shows a write up to Overlap late. What HighLevel's API makes
// impossible to guarantee: a contact updated twice between two polls is
// delivered once, in its latest state (the API keeps no history); a write
// that the index shows later than Overlap after its dateUpdated is missed
// until the contact changes again (reconcile to catch it); deletions are not
// in the feed (use ContactDelete webhooks and reconciliation).
type Feed struct {
	Client     *ghl.Client
	LocationID string // default: the client's location
	// Overlap is how far before the checkpoint each poll reads again, to
	// catch writes the index showed late (default 60 s; it must exceed the
	// index's lag, which HighLevel describes as "a few seconds").
	Overlap time.Duration
	// PageLimit is the search page size (default 500, the API's largest).
	PageLimit int
	// Tasks and Notes fetch each changed contact's tasks and notes with it
	// (one request each per contact).
	Tasks, Notes bool
}

// Change is one changed contact.
type Change struct {
	Contact ghl.Contact
	Tasks   []ghl.Task // with Feed.Tasks
	Notes   []ghl.Note // with Feed.Notes

	run *feedRun
	n   int // changes delivered in this run up to and including this one
}

// Checkpoint returns the feed's position just after this change, to save
// and pass to a later Changes call. It is opaque bytes; building it costs
// time in proportion to the contacts changed within Overlap, so save it
// after a batch rather than after every change when many change at once.
func (c Change) Checkpoint() []byte {
	cp := c.run.base.clone()
	for _, d := range c.run.delivered[:c.n] {
		cp.add(d, c.run.overlap)
	}
	return cp.encode()
}

// feedRun is the state one Changes call shares with its changes.
type feedRun struct {
	base      checkpoint
	delivered []seen
	overlap   time.Duration
}

type seen struct {
	id   string
	ms   int64
	hash uint64
}

// checkpoint is a feed's position: the latest dateUpdated delivered, and
// every contact delivered at or after that time less the overlap, with the
// dateUpdated it was delivered at and a hash of its content (dateUpdated
// has millisecond precision: a second write in the millisecond of the state
// delivered shows only in the content).
type checkpoint struct {
	V    int               `json:"v"`
	TS   int64             `json:"ts"`             // epoch ms of the latest dateUpdated delivered; 0: from the start
	Seen map[string]int64  `json:"seen"`           // contact ID → dateUpdated (epoch ms) delivered
	Hash map[string]uint64 `json:"hash,omitempty"` // contact ID → content hash delivered (absent in older checkpoints)
}

func (cp checkpoint) clone() checkpoint {
	cp.Seen, cp.Hash = maps.Clone(cp.Seen), maps.Clone(cp.Hash)
	if cp.Seen == nil {
		cp.Seen = map[string]int64{}
	}
	if cp.Hash == nil {
		cp.Hash = map[string]uint64{}
	}
	return cp
}

// add records a delivery, and forgets deliveries older than the overlap.
func (cp *checkpoint) add(d seen, overlap time.Duration) {
	cp.Seen[d.id], cp.Hash[d.id] = d.ms, d.hash
	if d.ms > cp.TS {
		cp.TS = d.ms
		floor := cp.TS - overlap.Milliseconds()
		maps.DeleteFunc(cp.Seen, func(_ string, v int64) bool { return v < floor })
		maps.DeleteFunc(cp.Hash, func(id string, _ uint64) bool { _, ok := cp.Seen[id]; return !ok })
	}
}

// delivered says whether the state of a contact at version ms with content
// hash was delivered already: a later version was, or this one with the
// same content.
func (cp checkpoint) delivered(id string, ms int64, hash uint64) bool {
	got, ok := cp.Seen[id]
	if !ok || got < ms {
		return false
	}
	if got > ms {
		return true
	}
	h, ok := cp.Hash[id]
	return ok && h == hash
}

func (cp checkpoint) encode() []byte {
	cp.V = 1
	b, _ := json.Marshal(cp)
	return b
}

func parseCheckpoint(b []byte) (checkpoint, error) {
	cp := checkpoint{Seen: map[string]int64{}, Hash: map[string]uint64{}}
	if len(b) == 0 {
		return cp, nil
	}
	if err := json.Unmarshal(b, &cp); err != nil || cp.V != 1 {
		return cp, &ghl.InputError{Field: "checkpoint", Reason: "is not a checkpoint of this feed"}
	}
	return cp.clone(), nil
}

// version is the instant a contact's state dates from: dateUpdated, or
// dateAdded for a contact never updated.
func version(c *ghl.Contact) int64 {
	if !c.DateUpdated.IsZero() {
		return c.DateUpdated.UnixMilli()
	}
	return c.DateAdded.UnixMilli()
}

// Changes returns the contacts changed since the checkpoint from (nil: every
// contact), oldest change first, each with the checkpoint after it. One call
// is one poll: it ends when the search does; call again, with the last
// checkpoint, to poll again. An idle poll costs one request while fewer
// than PageLimit contacts changed within Overlap.
func (f *Feed) Changes(ctx context.Context, from []byte) iter.Seq2[Change, error] {
	return func(yield func(Change, error) bool) {
		cp, err := parseCheckpoint(from)
		if err != nil {
			yield(Change{}, err)
			return
		}
		overlap := f.Overlap
		if overlap <= 0 {
			overlap = 60 * time.Second
		}
		run := &feedRun{base: cp, overlap: overlap}
		req := ghl.SearchRequest{LocationID: f.LocationID, PageLimit: f.PageLimit,
			Sort: []ghl.Sort{{Field: "dateUpdated", Direction: "asc"}}}
		if cp.TS > 0 {
			floor := time.UnixMilli(cp.TS).Add(-overlap).UTC().Format("2006-01-02T15:04:05.000Z")
			req.Filters = []ghl.Filter{ghl.InRange("dateUpdated", ghl.Range{GTE: floor})}
		}
		// Deliveries of this run, so that a contact seen twice in one scan
		// at the same version (a page boundary moved under a write) is not
		// repeated.
		delivered := checkpoint{Seen: map[string]int64{}, Hash: map[string]uint64{}}
		for c, err := range f.Client.Contacts.SearchAll(ctx, req) {
			if err != nil {
				yield(Change{}, err)
				return
			}
			v, h := version(&c), contentHash(&c)
			if cp.delivered(c.ID, v, h) || delivered.delivered(c.ID, v, h) {
				continue // delivered by an earlier poll, or earlier in this one
			}
			ch := Change{Contact: c, run: run}
			if err := f.associations(ctx, &ch); err != nil {
				yield(Change{}, err)
				return
			}
			delivered.Seen[c.ID], delivered.Hash[c.ID] = v, h
			run.delivered = append(run.delivered, seen{c.ID, v, h})
			ch.n = len(run.delivered)
			if !yield(ch, nil) {
				return
			}
		}
	}
}

// associations fetches a changed contact's tasks and notes on request.
func (f *Feed) associations(ctx context.Context, ch *Change) error {
	var err error
	if f.Tasks {
		if ch.Tasks, err = f.Client.Tasks.List(ctx, ch.Contact.ID); err != nil {
			return fmt.Errorf("ghlsync: tasks of %s: %w", ch.Contact.ID, err)
		}
	}
	if f.Notes {
		if ch.Notes, err = f.Client.Notes.List(ctx, ch.Contact.ID); err != nil {
			return fmt.Errorf("ghlsync: notes of %s: %w", ch.Contact.ID, err)
		}
	}
	return nil
}
