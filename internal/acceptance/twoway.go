package acceptance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghlsync"
	"github.com/ghlkit/ghl/webhook"
)

// person is an app's copy of one contact, with its tasks and notes.
type person struct {
	rec   ghlsync.Record
	tasks []ghlsync.Task
	notes []ghlsync.Note
}

// twoWay keeps an app's people the same as their HighLevel contacts, tasks
// and notes, both ways: what the app saves is pushed (a failed push is kept
// and tried again), what changes in HighLevel comes back through webhooks,
// or polling when they stop. The field-service app and the membership
// platform are built on it.
type twoWay struct {
	client *ghl.Client
	state  ghlsync.State
	syncer *ghlsync.Syncer
	live   *live
	fields []string

	// pulled is told, under mu, of each person whose copy changed from
	// HighLevel's side (before is nil for a person new from HighLevel).
	pulled func(id string, before *person, after person, notes *ghlsync.AssocResult[ghlsync.Note])
	// adopt names the app's record for a contact new in HighLevel, and may
	// give it tasks to create; nil leaves contacts the app does not know
	// alone.
	adopt func(c ghl.Contact) (id string, tasks []ghlsync.Task)

	// sweepBatch is how many people a sweep re-reads (default 100); the
	// next sweep goes on from there.
	sweepBatch int

	mu        sync.Mutex
	sweepNext string // where the next sweep starts
	people    map[string]*person
	dirty     map[string]bool // to push: changed in the app, or a push that failed
	conflicts []ghlsync.Conflict
	version   map[string]int // bumped on every save, so a push does not overwrite a newer save
}

func newTwoWay(c *ghl.Client, st ghlsync.State, merge ghlsync.MergeOptions, fields []string, quiet time.Duration) *twoWay {
	if st == nil {
		st = ghlsync.NewMemoryState()
	}
	return &twoWay{client: c, state: st, live: newLive(c, quiet), fields: fields,
		syncer: &ghlsync.Syncer{Client: c, State: st, Merge: merge, Fields: fields},
		people: map[string]*person{}, dirty: map[string]bool{}, version: map[string]int{}}
}

// save stores the app's side of a person (edit may change rec, add tasks
// and notes) and pushes it.
func (w *twoWay) save(ctx context.Context, id string, edit func(p *person)) error {
	w.mu.Lock()
	p := w.people[id]
	if p == nil {
		p = &person{}
		w.people[id] = p
	}
	edit(p)
	p.rec.UpdatedAt = time.Now()
	w.dirty[id] = true
	w.version[id]++
	w.mu.Unlock()
	return w.push(ctx, id, nil, false, false)
}

// pump pushes what waits and pulls what changed in HighLevel; it returns
// the typed errors of what failed (tried again next time).
func (w *twoWay) pump(ctx context.Context) error {
	var errs []error
	w.mu.Lock()
	waiting := mapKeys(w.dirty)
	w.mu.Unlock()
	for _, id := range waiting {
		errs = append(errs, w.push(ctx, id, nil, false, false))
	}
	evs, sweep, err := w.live.next(ctx)
	errs = append(errs, err)
	for _, ev := range evs {
		if ev.Deleted {
			continue
		}
		id, ok, err := w.state.LocalID(ctx, ghlsync.KindContact, ev.ContactID)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !ok {
			errs = append(errs, w.adoptNew(ctx, ev))
			continue
		}
		poll := ev.Source == "poll"
		errs = append(errs, w.push(ctx, id, ev.Contact, ev.TasksChanged || poll, ev.NotesChanged || poll))
	}
	if sweep { // webhooks quiet: task and note changes only show when read
		for _, id := range w.nextSweep() {
			errs = append(errs, w.push(ctx, id, nil, true, true))
		}
	}
	return errors.Join(errs...)
}

// nextSweep returns the next batch of people to re-read.
func (w *twoWay) nextSweep() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return rotate(mapKeys(w.people), &w.sweepNext, w.sweepBatch)
}

// rotate returns up to n (default 100) of the sorted ids, starting at
// *next, and moves *next past them: sweeps in rotation cost a bounded
// share of the rate budget however many people an app holds.
func rotate(ids []string, next *string, n int) []string {
	if n <= 0 {
		n = 100
	}
	n = min(n, len(ids))
	i, _ := slices.BinarySearch(ids, *next)
	out := make([]string, 0, n)
	for k := range n {
		out = append(out, ids[(i+k)%len(ids)])
	}
	if n > 0 {
		*next = ids[(i+n)%len(ids)]
	}
	return out
}

// adoptNew takes a contact made in HighLevel into the app.
func (w *twoWay) adoptNew(ctx context.Context, ev ghlsync.Event) error {
	if w.adopt == nil || ev.Contact == nil {
		return nil
	}
	id, tasks := w.adopt(*ev.Contact)
	w.mu.Lock()
	_, mine := w.people[id]
	w.mu.Unlock()
	if mine {
		return nil // the app's own record, whose push has not linked it yet
	}
	pulled, err := w.syncer.PullNew(ctx, id, *ev.Contact)
	if err != nil {
		return err
	}
	w.mu.Lock()
	p := &person{rec: pulled.Local, tasks: tasks}
	w.people[id] = p
	w.version[id]++
	if w.pulled != nil {
		w.pulled(id, nil, *p, nil)
	}
	w.mu.Unlock()
	if err := pulled.Commit(ctx); err != nil { // the app holds the person: link it
		return err
	}
	return w.push(ctx, id, ev.Contact, true, true)
}

// push syncs one person: fields and tags, then tasks and notes when asked
// or when the app has new ones.
func (w *twoWay) push(ctx context.Context, id string, remote *ghl.Contact, tasks, notes bool) error {
	_, err := w.pushResult(ctx, id, remote, tasks, notes)
	return err
}

func (w *twoWay) pushResult(ctx context.Context, id string, remote *ghl.Contact, tasks, notes bool) (*ghlsync.ContactResult, error) {
	w.mu.Lock()
	p, ok := w.people[id]
	if !ok {
		w.mu.Unlock()
		return nil, nil
	}
	cp, ver := *p, w.version[id]
	w.mu.Unlock()
	res, err := w.syncer.SyncContact(ctx, id, cp.rec, remote)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	var ts *ghlsync.AssocResult[ghlsync.Task]
	var ns *ghlsync.AssocResult[ghlsync.Note]
	var syncErr error
	if tasks || slices.ContainsFunc(cp.tasks, func(t ghlsync.Task) bool { return t.RemoteID == "" }) {
		if ts, err = (&ghlsync.Syncer{Client: w.client, State: w.state}).SyncTasks(ctx, res.RemoteID, cp.tasks); err != nil {
			syncErr = fmt.Errorf("%s tasks: %w", id, err) // ts holds what was done: it is saved below
		}
	}
	if syncErr == nil && (notes || slices.ContainsFunc(cp.notes, func(n ghlsync.Note) bool { return n.RemoteID == "" })) {
		if ns, err = (&ghlsync.Syncer{Client: w.client, State: w.state}).SyncNotes(ctx, res.RemoteID, cp.notes); err != nil {
			syncErr = fmt.Errorf("%s notes: %w", id, err)
		}
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	w.conflicts = append(w.conflicts, res.Conflicts...)
	if w.version[id] != ver {
		return res, syncErr // saved again meanwhile: the next push takes it
	}
	after := cp
	after.rec = res.Local
	if ts != nil {
		after.tasks = ts.Items
	}
	if ns != nil {
		after.notes = ns.Items
	}
	if w.pulled != nil && (res.LocalChanged || ns != nil && ns.Pulled+len(ns.RemoteDeleted) > 0 || ts != nil && ts.Pulled > 0) {
		w.pulled(id, &cp, after, ns)
	}
	*w.people[id] = after
	if syncErr == nil {
		delete(w.dirty, id)
	}
	// The app holds the result: the sync's bookkeeping may follow.
	for _, c := range []interface{ Commit(context.Context) error }{res, ts, ns} {
		if err := c.Commit(ctx); err != nil && syncErr == nil {
			syncErr = fmt.Errorf("%s: %w", id, err)
		}
	}
	return res, syncErr
}

// handle takes a verified webhook delivery. A contact event whose snapshot
// holds what the app last synced (its own write coming back, or a change to
// fields it does not sync), and the creation of a task or note the app made,
// are dropped here, saving the reads the Stream and the app would make to
// check them.
func (w *twoWay) handle(ctx context.Context, ev webhook.Event) error {
	echo := false
	switch e := ev.(type) {
	case *webhook.ContactEvent:
		base, ok, err := w.state.Base(ctx, ghlsync.KindContact, e.ID)
		echo = e.Type != webhook.ContactDelete && err == nil && ok && w.restrict(ghlsync.FromContact(e.Contact)).Equal(base)
	case *webhook.TaskEvent: // the creation of a task the app made and linked
		_, linked, err := w.state.LocalID(ctx, ghlsync.KindTask, e.ID)
		echo = e.Type == "TaskCreate" && err == nil && linked
	case *webhook.NoteEvent:
		_, linked, err := w.state.LocalID(ctx, ghlsync.KindNote, e.ID)
		echo = e.Type == "NoteCreate" && err == nil && linked
	}
	if echo {
		ev = &webhook.UnknownEvent{} // still tells the Stream that webhooks flow
	}
	return w.live.handle(ctx, ev)
}

// restrict keeps the fields the app syncs.
func (w *twoWay) restrict(r ghlsync.Record) ghlsync.Record {
	out := ghlsync.Record{UpdatedAt: r.UpdatedAt}
	for _, f := range w.fields {
		if f == "tags" {
			out.Tags = r.Tags
		} else {
			out = out.Set(f, r.Get(f))
		}
	}
	return out
}

// get returns a copy of a person.
func (w *twoWay) get(id string) (person, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	p, ok := w.people[id]
	if !ok {
		return person{}, false
	}
	return person{rec: p.rec, tasks: slices.Clone(p.tasks), notes: slices.Clone(p.notes)}, true
}

func (w *twoWay) pending() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.dirty)
}

func (w *twoWay) conflictList() []ghlsync.Conflict {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.conflicts)
}

func (w *twoWay) contactID(ctx context.Context, id string) (string, bool) {
	rid, ok, _ := w.state.RemoteID(ctx, ghlsync.KindContact, id)
	return rid, ok
}

func mapKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
