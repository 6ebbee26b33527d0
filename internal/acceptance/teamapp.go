package acceptance

import (
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghlsync"
	"github.com/ghlkit/ghl/webhook"
)

// Person is the team app's view of one contact, pulled at once.
type Person struct {
	Contact      ghl.Contact
	Tasks        []ghl.Task
	Notes        []ghl.Note
	Appointments []ghl.Appointment
	Inactive     bool // deleted in HighLevel; the app keeps the person
}

// TeamApp is a team tool that reads and writes a location's people. It
// keeps the people it has shown; one deleted in HighLevel (a webhook, or a
// sweep when webhooks stop) is marked inactive, never dropped.
type TeamApp struct {
	Client *ghl.Client
	Quiet  time.Duration // how long without webhooks before sweeping for deletions (default 1 minute)

	once   sync.Once
	live   *live
	mu     sync.Mutex
	people map[string]*Person
}

func (a *TeamApp) init() {
	a.once.Do(func() { a.live, a.people = newLive(a.Client, a.Quiet), map[string]*Person{} })
}

// Webhook takes HighLevel's verified webhook deliveries.
func (a *TeamApp) Webhook(ctx context.Context, ev webhook.Event) error {
	a.init()
	return a.live.handle(ctx, ev)
}

// Pump applies what changed in HighLevel to the people the app holds:
// contact changes, and deletions (from ContactDelete webhooks, or, while
// webhooks are quiet, a sweep of the location).
func (a *TeamApp) Pump(ctx context.Context) error {
	a.init()
	evs, sweep, err := a.live.next(ctx)
	if err != nil {
		return err
	}
	a.mu.Lock()
	for _, ev := range evs {
		if p := a.people[ev.ContactID]; p != nil {
			if ev.Deleted {
				p.Inactive = true
			} else if ev.Contact != nil {
				p.Contact = *ev.Contact
			}
		}
	}
	var known []string
	for id, p := range a.people {
		if !p.Inactive {
			known = append(known, id)
		}
	}
	a.mu.Unlock()
	if !sweep || len(known) == 0 {
		return nil
	}
	gone, err := ghlsync.Sweep(ctx, a.Client, known, ghlsync.SweepOptions{MaxMissing: 0.5})
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, id := range gone {
		a.people[id].Inactive = true
	}
	return nil
}

// Person returns the app's copy of a person it has shown.
func (a *TeamApp) Person(id string) (Person, bool) {
	a.init()
	a.mu.Lock()
	defer a.mu.Unlock()
	p, ok := a.people[id]
	if !ok {
		return Person{}, false
	}
	return *p, true
}

// Select pulls the latest contact, tasks, notes and appointments of a
// person concurrently (the client's rate limiter keeps it within the
// limit). A contact deleted in HighLevel comes back Inactive, with what
// the app last held of it, not as an error.
func (a *TeamApp) Select(ctx context.Context, contactID string) (*Person, error) {
	p := &Person{}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		c, err := a.Client.Contacts.Get(gctx, contactID)
		if err == nil {
			p.Contact = *c
		}
		return err
	})
	g.Go(func() (err error) { p.Tasks, err = a.Client.Tasks.List(gctx, contactID); return err })
	g.Go(func() (err error) { p.Notes, err = a.Client.Notes.List(gctx, contactID); return err })
	g.Go(func() (err error) { p.Appointments, err = a.Client.Appointments.List(gctx, contactID); return err })
	a.init()
	if err := g.Wait(); err != nil {
		if !errors.Is(err, ghl.ErrNotFound) {
			return nil, err
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		old := a.people[contactID]
		if old == nil {
			old = &Person{Contact: ghl.Contact{ID: contactID}}
			a.people[contactID] = old
		}
		old.Inactive = true
		cp := *old
		return &cp, nil
	}
	a.mu.Lock()
	a.people[contactID] = p
	cp := *p
	a.mu.Unlock()
	return &cp, nil
}

// Edit propagates the app's edits: contact fields, and a task's update or
// completion.
func (a *TeamApp) Edit(ctx context.Context, contactID string, fields ghl.UpdateContactRequest, taskID string, task ghl.UpdateTaskRequest) error {
	if _, err := a.Client.Contacts.Update(ctx, contactID, fields); err != nil {
		return err
	}
	if taskID == "" {
		return nil
	}
	_, err := a.Client.Tasks.Update(ctx, contactID, taskID, task)
	return err
}

// Create gives a person created in the app a matching contact (never a
// second one for the same email) and a first task (never a second one: when
// the contact already exists, its tasks are checked first, so pressing
// "create" again after a failure finishes the job).
func (a *TeamApp) Create(ctx context.Context, req ghl.CreateContactRequest, firstTask string) (*ghl.Contact, *ghl.Task, error) {
	res, err := ghlsync.Ensure(ctx, a.Client, req, ghlsync.EnsureOptions{By: ghlsync.ByEmail})
	if err != nil {
		return nil, nil, err
	}
	if res.Action != ghlsync.Created {
		tasks, err := a.Client.Tasks.List(ctx, res.Contact.ID)
		if err != nil {
			return &res.Contact, nil, err
		}
		for _, t := range tasks {
			if t.Title == firstTask {
				return &res.Contact, &t, nil
			}
		}
	}
	t, err := a.Client.Tasks.Create(ctx, res.Contact.ID, ghl.CreateTaskRequest{Title: firstTask, DueDate: time.Now().Add(24 * time.Hour)})
	if err != nil {
		return &res.Contact, nil, err
	}
	return &res.Contact, t, nil
}
