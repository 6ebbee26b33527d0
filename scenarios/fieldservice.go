package scenarios

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ghlkit/ghl"
	ghlsync "github.com/ghlkit/ghl/sync"
	"github.com/ghlkit/ghl/webhook"
)

// Customer is a field-service app's customer.
type Customer struct {
	ID                  string
	FirstName, LastName string
	Email, Phone        string
	Address, City       string
	Tags                []string // kept in step with HighLevel's, both ways
	UpdatedAt           time.Time
}

// Activity is one entry of a customer's history: what changed in HighLevel.
type Activity struct {
	At   time.Time
	What string // "tag added", "tag removed", "note added", "note edited", "note removed"
	Text string
}

// DashboardRow is one line of the app's dashboard.
type DashboardRow struct {
	ContactID, Name, Email, Phone string
	// LastActivity is HighLevel's lastActivity, or the contact's last update
	// when HighLevel has recorded no activity.
	LastActivity time.Time
}

// FieldService pushes a field-service app's customers to HighLevel and
// takes back what people change there: create when unknown and update when
// known (never a duplicate), a follow-up task for each new customer, a note
// when the address or phone changes; tags and notes changed in HighLevel
// come back through webhooks (polling when they stop) into the customer and
// its history. Conflicts on a field are settled by Merge.
type FieldService struct {
	Client *ghl.Client
	State  ghlsync.State        // links and base records; nil means in memory
	Merge  ghlsync.MergeOptions // the conflict policy (last write wins by default)
	Quiet  time.Duration        // how long without webhooks before polling (default 1 minute)

	once      sync.Once
	syncer    *ghlsync.Syncer
	live      *live
	mu        sync.Mutex
	customers map[string]*Customer
	tasks     map[string][]ghlsync.Task
	notes     map[string][]ghlsync.Note
	history   map[string][]Activity
	dirty     map[string]bool // to push: changed in the app, or a push that failed
	conflicts []ghlsync.Conflict
	seq       int
}

var keyFields = []string{ghlsync.FieldAddress1, ghlsync.FieldCity, ghlsync.FieldPhone}

func (f *FieldService) init() {
	f.once.Do(func() {
		if f.State == nil {
			f.State = ghlsync.NewMemoryState()
		}
		f.syncer = &ghlsync.Syncer{Client: f.Client, State: f.State, Merge: f.Merge,
			Fields: []string{ghlsync.FieldFirstName, ghlsync.FieldLastName, ghlsync.FieldEmail, ghlsync.FieldPhone,
				ghlsync.FieldAddress1, ghlsync.FieldCity, "tags"}}
		f.live = newLive(f.Client, f.Quiet)
		f.customers, f.tasks, f.notes = map[string]*Customer{}, map[string][]ghlsync.Task{}, map[string][]ghlsync.Note{}
		f.history, f.dirty = map[string][]Activity{}, map[string]bool{}
	})
}

// Save stores a customer created or changed in the app and pushes it. A
// push that fails is kept and tried again by Pump; its error is returned.
func (f *FieldService) Save(ctx context.Context, c Customer) error {
	f.init()
	f.mu.Lock()
	now := time.Now()
	c.UpdatedAt = now
	prev := f.customers[c.ID]
	if prev == nil {
		f.tasks[c.ID] = []ghlsync.Task{{LocalID: c.ID + "/follow-up", Title: "Follow up with " + c.FirstName + " " + c.LastName,
			DueDate: now.Add(48 * time.Hour).Truncate(time.Second), UpdatedAt: now}}
	} else {
		if c.Tags == nil {
			c.Tags = prev.Tags
		}
		old, cur := customerRecord(*prev), customerRecord(c)
		for _, k := range keyFields {
			if old.Get(k) != cur.Get(k) {
				f.seq++
				f.notes[c.ID] = append(f.notes[c.ID], ghlsync.Note{LocalID: fmt.Sprintf("%s/note-%d", c.ID, f.seq),
					Body: fmt.Sprintf("%s changed from %q to %q", k, old.Get(k), cur.Get(k)), UpdatedAt: now})
			}
		}
	}
	f.customers[c.ID] = &c
	f.dirty[c.ID] = true
	f.mu.Unlock()
	return f.push(ctx, c.ID, nil, false, false)
}

// Webhook takes HighLevel's verified webhook deliveries (webhook.NewHandler).
func (f *FieldService) Webhook(ctx context.Context, ev webhook.Event) error {
	f.init()
	return f.live.handle(ctx, ev)
}

// Pump pushes what is waiting and pulls what changed in HighLevel. Run it
// on a timer and after webhooks arrive. It returns the errors of the pushes
// and pulls that failed (each typed; they are tried again next time).
func (f *FieldService) Pump(ctx context.Context) error {
	f.init()
	var errs []error
	f.mu.Lock()
	waiting := mapKeys(f.dirty)
	f.mu.Unlock()
	for _, id := range waiting {
		errs = append(errs, f.push(ctx, id, nil, false, false))
	}
	evs, sweep, err := f.live.next(ctx)
	errs = append(errs, err)
	for _, ev := range evs {
		id, ok, err := f.State.LocalID(ctx, "contact", ev.ContactID)
		if err != nil || !ok || ev.Deleted {
			errs = append(errs, err)
			continue // not one of the app's customers
		}
		poll := ev.Source == "poll"
		errs = append(errs, f.push(ctx, id, ev.Contact, ev.TasksChanged || poll, ev.NotesChanged || poll))
	}
	if sweep { // webhooks quiet: task and note changes only show when read
		f.mu.Lock()
		all := mapKeys(f.customers)
		f.mu.Unlock()
		for _, id := range all {
			errs = append(errs, f.push(ctx, id, nil, true, true))
		}
	}
	return errors.Join(errs...)
}

// push syncs one customer: fields and tags, then its tasks and notes.
func (f *FieldService) push(ctx context.Context, id string, remote *ghl.Contact, tasks, notes bool) error {
	f.mu.Lock()
	c := *f.customers[id]
	f.mu.Unlock()
	res, err := f.syncer.SyncContact(ctx, id, customerRecord(c), remote)
	if err != nil {
		return fmt.Errorf("customer %s: %w", id, err)
	}
	var ts *ghlsync.AssocResult[ghlsync.Task]
	var ns *ghlsync.AssocResult[ghlsync.Note]
	f.mu.Lock()
	local, notesLocal := f.tasks[id], f.notes[id]
	f.mu.Unlock()
	if tasks || hasUnlinked(local, func(t ghlsync.Task) string { return t.RemoteID }) {
		if ts, err = ghlsync.SyncTasks(ctx, f.Client, f.State, res.RemoteID, local, ghlsync.AssocOptions{}); err != nil {
			return fmt.Errorf("customer %s tasks: %w", id, err)
		}
	}
	if notes || hasUnlinked(notesLocal, func(n ghlsync.Note) string { return n.RemoteID }) {
		if ns, err = ghlsync.SyncNotes(ctx, f.Client, f.State, res.RemoteID, notesLocal, ghlsync.AssocOptions{}); err != nil {
			return fmt.Errorf("customer %s notes: %w", id, err)
		}
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	f.conflicts = append(f.conflicts, res.Conflicts...)
	cur := f.customers[id]
	if cur.UpdatedAt.After(c.UpdatedAt) {
		return nil // saved again meanwhile: the next push takes it
	}
	if res.LocalChanged {
		for _, t := range res.Local.Tags {
			if !slices.Contains(cur.Tags, t) {
				f.history[id] = append(f.history[id], Activity{time.Now(), "tag added", t})
			}
		}
		for _, t := range cur.Tags {
			if !res.Local.HasTag(t) {
				f.history[id] = append(f.history[id], Activity{time.Now(), "tag removed", t})
			}
		}
		applyRecord(cur, res.Local)
	}
	if ts != nil {
		f.tasks[id] = ts.Items
	}
	if ns != nil {
		f.noteHistory(id, f.notes[id], ns)
		f.notes[id] = ns.Items
	}
	delete(f.dirty, id)
	return nil
}

// noteHistory records the notes HighLevel added, edited or removed.
func (f *FieldService) noteHistory(id string, before []ghlsync.Note, res *ghlsync.AssocResult[ghlsync.Note]) {
	old := map[string]string{}
	for _, n := range before {
		old[n.LocalID] = n.Body
	}
	for _, n := range res.Items {
		body, had := old[n.LocalID]
		switch {
		case !had:
			f.history[id] = append(f.history[id], Activity{time.Now(), "note added", n.Body})
		case body != n.Body:
			f.history[id] = append(f.history[id], Activity{time.Now(), "note edited", n.Body})
		}
	}
	for _, lid := range res.RemoteDeleted {
		f.history[id] = append(f.history[id], Activity{time.Now(), "note removed", old[lid]})
	}
}

// Customer returns the app's copy of a customer.
func (f *FieldService) Customer(id string) (Customer, bool) {
	f.init()
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.customers[id]
	if !ok {
		return Customer{}, false
	}
	cp := *c
	cp.Tags = slices.Clone(c.Tags)
	return cp, true
}

// Notes returns a customer's notes as the app holds them.
func (f *FieldService) Notes(id string) []ghlsync.Note {
	f.init()
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.notes[id])
}

// History returns what changed in HighLevel for a customer, oldest first.
func (f *FieldService) History(id string) []Activity {
	f.init()
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.history[id])
}

// Conflicts returns the fields both sides had changed, and how each was
// settled, oldest first.
func (f *FieldService) Conflicts() []ghlsync.Conflict {
	f.init()
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.conflicts)
}

// Pending says how many customers wait to be pushed.
func (f *FieldService) Pending() int {
	f.init()
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.dirty)
}

// ContactID is the HighLevel contact linked to a customer.
func (f *FieldService) ContactID(ctx context.Context, id string) (string, bool) {
	f.init()
	rid, ok, _ := f.State.RemoteID(ctx, "contact", id)
	return rid, ok
}

// Dashboard lists the location's contacts with name, email, phone and last
// activity, most recent first, from HighLevel's search (which may show a
// write a few seconds late).
func (f *FieldService) Dashboard(ctx context.Context) ([]DashboardRow, error) {
	var rows []DashboardRow
	for c, err := range f.Client.Contacts.SearchAll(ctx, ghl.SearchRequest{}) {
		if err != nil {
			return nil, err
		}
		at := c.LastActivity.Time
		if at.IsZero() {
			at = c.DateUpdated.Time
		}
		rows = append(rows, DashboardRow{ContactID: c.ID, Name: strings.TrimSpace(c.FirstName + " " + c.LastName),
			Email: c.Email, Phone: c.Phone, LastActivity: at})
	}
	slices.SortFunc(rows, func(a, b DashboardRow) int {
		return cmp.Or(b.LastActivity.Compare(a.LastActivity), cmp.Compare(a.ContactID, b.ContactID))
	})
	return rows, nil
}

func customerRecord(c Customer) ghlsync.Record {
	r := ghlsync.Record{Tags: ghlsync.NormalizeTags(c.Tags), UpdatedAt: c.UpdatedAt}
	for k, v := range map[string]string{ghlsync.FieldFirstName: c.FirstName, ghlsync.FieldLastName: c.LastName,
		ghlsync.FieldEmail: c.Email, ghlsync.FieldPhone: c.Phone, ghlsync.FieldAddress1: c.Address, ghlsync.FieldCity: c.City} {
		r = r.Set(k, v)
	}
	return r
}

func applyRecord(c *Customer, r ghlsync.Record) {
	c.FirstName, c.LastName = r.Get(ghlsync.FieldFirstName), r.Get(ghlsync.FieldLastName)
	c.Email, c.Phone = r.Get(ghlsync.FieldEmail), r.Get(ghlsync.FieldPhone)
	c.Address, c.City = r.Get(ghlsync.FieldAddress1), r.Get(ghlsync.FieldCity)
	c.Tags = slices.Clone(r.Tags)
}

func hasUnlinked[T any](items []T, remoteID func(T) string) bool {
	return slices.ContainsFunc(items, func(it T) bool { return remoteID(it) == "" })
}

func mapKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
