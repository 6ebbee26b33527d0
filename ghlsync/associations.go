package ghlsync

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/ghlkit/ghl"
)

// Task is the app's side of a contact's task, for SyncTasks.
type Task struct {
	LocalID   string // the app's ID; "" for a task new from HighLevel until the app saves it
	RemoteID  string // HighLevel's ID, once linked (set by SyncTasks)
	Title     string
	Body      string
	DueDate   time.Time
	Completed bool
	UpdatedAt time.Time // when the app last changed it (last-write-wins compares it)
}

// Note is the app's side of a contact's note, for SyncNotes.
type Note struct {
	LocalID   string
	RemoteID  string
	Body      string
	UpdatedAt time.Time
}

// AssocResult says what a task or note sync did.
type AssocResult[T any] struct {
	// Items is the app's list after the sync: changed items updated, items
	// new in HighLevel added (with the LocalID the Syncer's NewItemID gave
	// them), every item with its RemoteID. When the sync stopped on an
	// error, the items it did not reach follow as they were given.
	Items []T
	// Created counts items created in HighLevel, Pushed items updated there,
	// Pulled items created or updated in the app.
	Created, Pushed, Pulled int
	// RemoteDeleted lists the LocalIDs whose HighLevel item is gone; they
	// stay in Items, for the app to decide.
	RemoteDeleted []string
	// Conflicts lists the fields both sides changed, and how each was decided.
	Conflicts []Conflict
	// Changes lists what the sync changed, item by item, on which side.
	Changes []FieldChange

	commit []func(context.Context) error
}

// Commit records the sync's bookkeeping for what the app received (the
// links of items new from HighLevel, the bases of items pulled into the
// app) once the app has saved Items. Until then a crash loses nothing: the
// next sync brings the same items again. Call it after every save, also
// after an error (a partial result has its own).
func (r *AssocResult[T]) Commit(ctx context.Context) error {
	if r == nil {
		return nil
	}
	for len(r.commit) > 0 {
		if err := r.commit[0](ctx); err != nil {
			return err
		}
		r.commit = r.commit[1:]
	}
	return nil
}

// newItemID names an item new in HighLevel for the app.
func (s *Syncer) newItemID(kind Kind, remoteID string) string {
	if s.NewItemID != nil {
		return s.NewItemID(kind, remoteID)
	}
	return "ghl-" + remoteID
}

// SyncTasks keeps one contact's tasks (contactID is HighLevel's) the same
// in the app and in HighLevel: a task linked in the State is merged field by field against the state both held
// at the last sync (title, body, due date, completion, so completing a task
// on either side completes it on both); an app task not yet linked is
// created in HighLevel and linked, so a re-run updates it instead of
// creating it again; a HighLevel task the app does not have is added to the
// app's list. A create whose outcome is unknown is resolved by listing the
// contact's tasks and adopting the one with the same title and due date.
func (s *Syncer) SyncTasks(ctx context.Context, contactID string, local []Task) (*AssocResult[Task], error) {
	c := s.Client
	return syncAssoc(ctx, s, local, assoc[Task, ghl.Task]{
		kind:     KindTask,
		localRec: taskRecord,
		localIDs: func(t *Task) (*string, *string) { return &t.LocalID, &t.RemoteID },
		remoteID: func(t ghl.Task) string { return t.ID },
		remoteRec: func(t ghl.Task) Record {
			return taskRecord(&Task{Title: t.Title, Body: t.Body, DueDate: t.DueDate.Time, Completed: t.Completed})
		},
		apply: func(t *Task, r Record, at time.Time) {
			t.Title, t.Body, t.Completed = r.Get("title"), r.Get("body"), r.Get("completed") == "true"
			t.DueDate, _ = time.Parse(time.RFC3339, r.Get("dueDate"))
			t.UpdatedAt = at
		},
		list: func(ctx context.Context) ([]ghl.Task, error) { return c.Tasks.List(ctx, contactID) },
		create: func(ctx context.Context, t *Task) (ghl.Task, error) {
			got, err := c.Tasks.Create(ctx, contactID, ghl.CreateTaskRequest{Title: t.Title, Body: t.Body, DueDate: t.DueDate, Completed: t.Completed})
			if err != nil {
				return ghl.Task{}, err
			}
			return *got, nil
		},
		update: func(ctx context.Context, id string, to Record) error {
			var t Task
			t.Title, t.Body, t.Completed = to.Get("title"), to.Get("body"), to.Get("completed") == "true"
			req := ghl.UpdateTaskRequest{Title: &t.Title, Body: &t.Body, Completed: &t.Completed}
			if due, err := time.Parse(time.RFC3339, to.Get("dueDate")); err == nil {
				req.DueDate = &due
			}
			_, err := c.Tasks.Update(ctx, contactID, id, req)
			return err
		},
	})
}

func taskRecord(t *Task) Record {
	r := Record{Fields: map[string]string{}, UpdatedAt: t.UpdatedAt}
	r.set("title", t.Title)
	r.set("body", t.Body)
	if !t.DueDate.IsZero() {
		// Whole seconds: what the SDK sends and HighLevel keeps.
		r.set("dueDate", t.DueDate.UTC().Truncate(time.Second).Format(time.RFC3339))
	}
	r.set("completed", strconv.FormatBool(t.Completed))
	return r
}

func noteRecord(n *Note) Record {
	return Record{Fields: map[string]string{}, UpdatedAt: n.UpdatedAt}.Set("body", n.Body)
}

// SyncNotes keeps one contact's notes the same in the app and in HighLevel,
// as SyncTasks does tasks (the body is the one field).
func (s *Syncer) SyncNotes(ctx context.Context, contactID string, local []Note) (*AssocResult[Note], error) {
	c := s.Client
	return syncAssoc(ctx, s, local, assoc[Note, ghl.Note]{
		kind:      KindNote,
		localRec:  noteRecord,
		localIDs:  func(n *Note) (*string, *string) { return &n.LocalID, &n.RemoteID },
		remoteID:  func(n ghl.Note) string { return n.ID },
		remoteRec: func(n ghl.Note) Record { return Record{}.Set("body", n.Body) },
		apply: func(n *Note, r Record, at time.Time) {
			n.Body, n.UpdatedAt = r.Get("body"), at
		},
		list: func(ctx context.Context) ([]ghl.Note, error) { return c.Notes.List(ctx, contactID) },
		create: func(ctx context.Context, n *Note) (ghl.Note, error) {
			got, err := c.Notes.Create(ctx, contactID, ghl.CreateNoteRequest{Body: n.Body})
			if err != nil {
				return ghl.Note{}, err
			}
			return *got, nil
		},
		update: func(ctx context.Context, id string, to Record) error {
			body := to.Get("body")
			_, err := c.Notes.Update(ctx, contactID, id, ghl.UpdateNoteRequest{Body: &body})
			return err
		},
	})
}

// assoc describes one kind of associated record to syncAssoc.
type assoc[L, R any] struct {
	kind      Kind
	localRec  func(*L) Record
	localIDs  func(*L) (localID, remoteID *string)
	remoteID  func(R) string
	remoteRec func(R) Record
	apply     func(l *L, r Record, at time.Time)
	list      func(context.Context) ([]R, error)
	create    func(context.Context, *L) (R, error)
	update    func(ctx context.Context, id string, to Record) error
}

// syncAssoc is the one two-way loop behind SyncTasks and SyncNotes. On an
// error it returns what it did so far with the items it did not reach, so
// the caller never loses a pulled change; its bookkeeping for items the app
// must save waits for Commit.
func syncAssoc[L, R any](ctx context.Context, s *Syncer, local []L, a assoc[L, R]) (*AssocResult[L], error) {
	st := s.State
	res := &AssocResult[L]{}
	for i := range local {
		lid, _ := a.localIDs(&local[i])
		if *lid == "" {
			return &AssocResult[L]{Items: local}, &ghl.InputError{Field: string(a.kind) + "s[" + strconv.Itoa(i) + "].LocalID", Reason: "must not be empty"}
		}
	}
	remote, err := a.list(ctx)
	if err != nil {
		return &AssocResult[L]{Items: local}, err
	}
	byID := make(map[string]R, len(remote))
	for _, r := range remote {
		byID[a.remoteID(r)] = r
	}
	linked := map[string]bool{}
	for _, r := range remote { // items linked to any app item, listed or not
		if _, ok, err := st.LocalID(ctx, a.kind, a.remoteID(r)); err != nil {
			return &AssocResult[L]{Items: local}, err
		} else if ok {
			linked[a.remoteID(r)] = true
		}
	}
	now := time.Now()
	stop := func(i int, err error) (*AssocResult[L], error) {
		res.Items = append(res.Items, local[i:]...)
		return res, err
	}
	for i := range local {
		item := local[i]
		lid, rid := a.localIDs(&item)
		if id, ok, err := st.RemoteID(ctx, a.kind, *lid); err != nil {
			return stop(i, err)
		} else if ok {
			*rid = id
		} else if *rid != "" {
			// The app saved an item this sync gave it, and the link was not
			// committed: the app holds it, so link it now.
			if err := st.Link(ctx, a.kind, *lid, *rid); err != nil {
				return stop(i, err)
			}
		}
		if *rid == "" { // new in the app: create it in HighLevel
			created, err := a.findOrCreate(ctx, &item, remote, linked)
			if err != nil {
				return stop(i, fmt.Errorf("ghlsync: create %s %s: %w", a.kind, *lid, err))
			}
			*rid = a.remoteID(created)
			// Linked at once: the app's item exists already, and a crash
			// before the link is found again by findOrCreate, not recreated.
			if err := link(ctx, st, a.kind, *lid, *rid, a.localRec(&item)); err != nil {
				return stop(i, err)
			}
			linked[*rid] = true
			res.Created++
			res.Changes = append(res.Changes, FieldChange{Side: Remote, Item: *lid, New: a.label(&item)})
			res.Items = append(res.Items, item)
			continue
		}
		linked[*rid] = true
		r, ok := byID[*rid]
		if !ok {
			res.RemoteDeleted = append(res.RemoteDeleted, *lid)
			res.Items = append(res.Items, item)
			continue
		}
		base, _, err := st.Base(ctx, a.kind, *rid)
		if err != nil {
			return stop(i, err)
		}
		before, theirs := a.localRec(&item), a.remoteRec(r)
		m := Merge(base, before, theirs, s.Merge)
		res.Conflicts = append(res.Conflicts, m.Conflicts...)
		if len(m.ToRemote) > 0 {
			if err := a.update(ctx, *rid, m.Merged); err != nil {
				return stop(i, fmt.Errorf("ghlsync: update %s %s: %w", a.kind, *rid, err))
			}
			res.Pushed++
			res.Changes = append(res.Changes, itemChanges(Remote, *lid, theirs, m.Merged, m.ToRemote)...)
		}
		if len(m.ToLocal) > 0 {
			a.apply(&item, m.Merged, now)
			res.Pulled++
			res.Changes = append(res.Changes, itemChanges(Local, *lid, before, m.Merged, m.ToLocal)...)
		}
		if !base.Equal(m.Merged) {
			merged := m.Merged
			remoteID := *rid
			save := func(ctx context.Context) error { return st.SaveBase(ctx, a.kind, remoteID, merged) }
			if len(m.ToLocal) > 0 {
				res.commit = append(res.commit, save) // after the app saved the pulled change
			} else if err := save(ctx); err != nil {
				return stop(i, err)
			}
		}
		res.Items = append(res.Items, item)
	}
	for _, r := range remote { // new in HighLevel: add to the app
		id := a.remoteID(r)
		if linked[id] {
			// Linked to an app item the app no longer lists: it was deleted
			// in the app; leave HighLevel's alone rather than resurrect it.
			continue
		}
		var item L
		lid, rid := a.localIDs(&item)
		*lid, *rid = s.newItemID(a.kind, id), id
		rec := a.remoteRec(r)
		a.apply(&item, rec, now)
		localID := *lid
		res.commit = append(res.commit, func(ctx context.Context) error { return link(ctx, st, a.kind, localID, id, rec) })
		res.Pulled++
		res.Changes = append(res.Changes, FieldChange{Side: Local, Item: localID, New: a.label(&item)})
		res.Items = append(res.Items, item)
	}
	return res, nil
}

// label names an item in a history: a task's title, a note's body.
func (a assoc[L, R]) label(item *L) string {
	r := a.localRec(item)
	if t := r.Get("title"); t != "" {
		return t
	}
	return r.Get("body")
}

// itemChanges lists the fields of an item that go from from to to on side.
func itemChanges(side Side, item string, from, to Record, fields []string) []FieldChange {
	out := make([]FieldChange, 0, len(fields))
	for _, f := range fields {
		out = append(out, FieldChange{Side: side, Item: item, Field: f, Old: from.Get(f), New: to.Get(f)})
	}
	return out
}

// findOrCreate creates an app item in HighLevel, unless an unlinked item
// there already holds the same values (the create of an earlier run whose
// link or answer was lost): that one is adopted. A create whose outcome is
// unknown is resolved the same way.
func (a assoc[L, R]) findOrCreate(ctx context.Context, item *L, remote []R, linked map[string]bool) (R, error) {
	want := a.localRec(item)
	if found := matching(a, remote, want, linked); len(found) >= 1 {
		return found[0], nil
	}
	created, err := a.create(ctx, item)
	if errors.Is(err, ghl.ErrMaybeProcessed) {
		return adopt(ctx, a, item, linked)
	}
	return created, err
}

// matching returns the unlinked remote items that hold want's values.
func matching[L, R any](a assoc[L, R], remote []R, want Record, linked map[string]bool) []R {
	var found []R
	for _, r := range remote {
		if !linked[a.remoteID(r)] && a.remoteRec(r).Equal(want) {
			found = append(found, r)
		}
	}
	return found
}

// link records a new pair and its base.
func link(ctx context.Context, st State, kind Kind, localID, remoteID string, base Record) error {
	if err := st.Link(ctx, kind, localID, remoteID); err != nil {
		return err
	}
	return st.SaveBase(ctx, kind, remoteID, base)
}

// adopt resolves a create whose outcome is unknown: the one unlinked item
// in HighLevel that holds the same values is the one the create made.
func adopt[L, R any](ctx context.Context, a assoc[L, R], item *L, linked map[string]bool) (R, error) {
	var zero R
	remote, err := a.list(ctx)
	if err != nil {
		return zero, err
	}
	found := matching(a, remote, a.localRec(item), linked)
	if len(found) != 1 {
		return zero, fmt.Errorf("ghlsync: the create's outcome is unknown and %d matching %ss were found; run the sync again", len(found), a.kind)
	}
	return found[0], nil
}
