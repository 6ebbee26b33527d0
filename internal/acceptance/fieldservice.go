package acceptance

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghlsync"
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
	// SweepBatch is how many customers' tasks and notes are re-read per
	// quiet period while webhooks are stopped (default 100).
	SweepBatch int

	once    sync.Once
	w       *twoWay
	history map[string][]Activity // under w.mu
	seq     int                   // under w.mu
}

var keyFields = []string{ghlsync.FieldAddress1, ghlsync.FieldCity, ghlsync.FieldPhone}

func (f *FieldService) init() {
	f.once.Do(func() {
		f.w = newTwoWay(f.Client, f.State, f.Merge, []string{ghlsync.FieldFirstName, ghlsync.FieldLastName,
			ghlsync.FieldEmail, ghlsync.FieldPhone, ghlsync.FieldAddress1, ghlsync.FieldCity, "tags"}, f.Quiet)
		f.w.sweepBatch = f.SweepBatch
		f.history = map[string][]Activity{}
		f.w.pulled = f.record
	})
}

// Save stores a customer created or changed in the app and pushes it. A
// push that fails is kept and tried again by Pump; its error is returned.
func (f *FieldService) Save(ctx context.Context, c Customer) error {
	f.init()
	now := time.Now()
	return f.w.save(ctx, c.ID, func(p *person) {
		if p.rec.Fields == nil { // new: a follow-up task
			p.tasks = []ghlsync.Task{{LocalID: c.ID + "/follow-up", Title: "Follow up with " + c.FirstName + " " + c.LastName,
				DueDate: now.Add(48 * time.Hour).Truncate(time.Second), UpdatedAt: now}}
		} else if c.Tags == nil {
			c.Tags = p.rec.Tags
		}
		rec := customerRecord(c)
		if p.rec.Fields != nil {
			for _, k := range keyFields {
				if old, cur := p.rec.Get(k), rec.Get(k); old != cur {
					f.seq++
					p.notes = append(p.notes, ghlsync.Note{LocalID: fmt.Sprintf("%s/note-%d", c.ID, f.seq),
						Body: fmt.Sprintf("%s changed from %q to %q", k, old, cur), UpdatedAt: now})
				}
			}
		}
		p.rec = rec
	})
}

// record keeps the history of what HighLevel changed.
func (f *FieldService) record(id string, before *person, after person, notes *ghlsync.AssocResult[ghlsync.Note]) {
	if before == nil {
		return
	}
	add := func(what, text string) { f.history[id] = append(f.history[id], Activity{time.Now(), what, text}) }
	for _, t := range after.rec.Tags {
		if !before.rec.HasTag(t) {
			add("tag added", t)
		}
	}
	for _, t := range before.rec.Tags {
		if !after.rec.HasTag(t) {
			add("tag removed", t)
		}
	}
	if notes == nil {
		return
	}
	old := map[string]string{}
	for _, n := range before.notes {
		old[n.LocalID] = n.Body
	}
	for _, n := range notes.Items {
		switch body, had := old[n.LocalID]; {
		case !had:
			add("note added", n.Body)
		case body != n.Body:
			add("note edited", n.Body)
		}
	}
	for _, lid := range notes.RemoteDeleted {
		add("note removed", old[lid])
	}
}

// Webhook takes HighLevel's verified webhook deliveries (webhook.NewHandler).
func (f *FieldService) Webhook(ctx context.Context, ev webhook.Event) error {
	f.init()
	return f.w.handle(ctx, ev)
}

// Pump pushes what is waiting and pulls what changed in HighLevel. Run it
// on a timer and after webhooks arrive. It returns the errors of the pushes
// and pulls that failed (each typed; they are tried again next time).
func (f *FieldService) Pump(ctx context.Context) error {
	f.init()
	return f.w.pump(ctx)
}

// Customer returns the app's copy of a customer.
func (f *FieldService) Customer(id string) (Customer, bool) {
	f.init()
	p, ok := f.w.get(id)
	if !ok {
		return Customer{}, false
	}
	r := p.rec
	return Customer{ID: id, FirstName: r.Get(ghlsync.FieldFirstName), LastName: r.Get(ghlsync.FieldLastName),
		Email: r.Get(ghlsync.FieldEmail), Phone: r.Get(ghlsync.FieldPhone), Address: r.Get(ghlsync.FieldAddress1),
		City: r.Get(ghlsync.FieldCity), Tags: r.Tags, UpdatedAt: r.UpdatedAt}, true
}

// Notes returns a customer's notes as the app holds them.
func (f *FieldService) Notes(id string) []ghlsync.Note {
	f.init()
	p, _ := f.w.get(id)
	return p.notes
}

// History returns what changed in HighLevel for a customer, oldest first.
func (f *FieldService) History(id string) []Activity {
	f.init()
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	return slices.Clone(f.history[id])
}

// Conflicts returns the fields both sides had changed, and how each was
// settled, oldest first.
func (f *FieldService) Conflicts() []ghlsync.Conflict {
	f.init()
	return f.w.conflictList()
}

// Pending says how many customers wait to be pushed.
func (f *FieldService) Pending() int {
	f.init()
	return f.w.pending()
}

// ContactID is the HighLevel contact linked to a customer.
func (f *FieldService) ContactID(ctx context.Context, id string) (string, bool) {
	f.init()
	return f.w.contactID(ctx, id)
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
