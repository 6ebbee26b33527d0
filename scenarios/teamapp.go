package scenarios

import (
	"context"
	"errors"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ghlkit/ghl"
	ghlsync "github.com/ghlkit/ghl/sync"
)

// Person is the team app's view of one contact, pulled at once.
type Person struct {
	Contact      ghl.Contact
	Tasks        []ghl.Task
	Notes        []ghl.Note
	Appointments []ghl.Appointment
	Inactive     bool // deleted in HighLevel; the app keeps the person
}

// TeamApp is a team tool that reads and writes a location's people.
type TeamApp struct{ Client *ghl.Client }

// Select pulls the latest contact, tasks, notes and appointments of a
// person concurrently (the client's rate limiter keeps it within the
// limit). A contact deleted in HighLevel comes back Inactive, not as an
// error, so the app can mark it and keep it.
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
	if err := g.Wait(); err != nil {
		if errors.Is(err, ghl.ErrNotFound) {
			return &Person{Contact: ghl.Contact{ID: contactID}, Inactive: true}, nil
		}
		return nil, err
	}
	return p, nil
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
// second one for the same email) and a first task.
func (a *TeamApp) Create(ctx context.Context, req ghl.CreateContactRequest, firstTask string) (*ghl.Contact, *ghl.Task, error) {
	res, err := ghlsync.Ensure(ctx, a.Client, req, ghlsync.EnsureOptions{By: ghlsync.ByEmail})
	if err != nil {
		return nil, nil, err
	}
	if res.Action != ghlsync.Created {
		return &res.Contact, nil, nil // already there: no second welcome task
	}
	t, err := a.Client.Tasks.Create(ctx, res.Contact.ID, ghl.CreateTaskRequest{Title: firstTask, DueDate: time.Now().Add(24 * time.Hour)})
	if err != nil {
		return &res.Contact, nil, err
	}
	return &res.Contact, t, nil
}
