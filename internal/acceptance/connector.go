package acceptance

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/webhook"
)

// Connector is a no-code platform's HighLevel connector: each action is one
// SDK call, and its failure is turned into a message a non-programmer can
// act on. Its trigger, "New or updated contact", takes webhooks and polls
// when they stop.
type Connector struct {
	Client *ghl.Client
	Quiet  time.Duration // how long without webhooks before the trigger polls (default 1 minute)

	once sync.Once
	live *live
}

// Webhook takes HighLevel's verified webhook deliveries for the trigger.
func (k *Connector) Webhook(ctx context.Context, ev webhook.Event) error {
	k.once.Do(func() { k.live = newLive(k.Client, k.Quiet) })
	return k.live.handle(ctx, ev)
}

// ContactChanged is the trigger "New or updated contact": the contacts
// created or changed since the last call, each once in its latest state.
func (k *Connector) ContactChanged(ctx context.Context) ([]ghl.Contact, error) {
	k.once.Do(func() { k.live = newLive(k.Client, k.Quiet) })
	evs, _, err := k.live.next(ctx)
	var out []ghl.Contact
	for _, ev := range evs {
		if ev.Contact != nil {
			out = append(out, *ev.Contact)
		}
	}
	return out, err
}

// ContactWithTasks is what "Contact retrieved" hands to the next step.
type ContactWithTasks struct {
	Contact ghl.Contact
	Tasks   []ghl.Task
}

// ContactRetrieved pulls a contact and its tasks.
func (k *Connector) ContactRetrieved(ctx context.Context, contactID string) (*ContactWithTasks, error) {
	c, err := k.Client.Contacts.Get(ctx, contactID)
	if err != nil {
		return nil, err
	}
	tasks, err := k.Client.Tasks.List(ctx, contactID)
	if err != nil {
		return nil, err
	}
	return &ContactWithTasks{Contact: *c, Tasks: tasks}, nil
}

// ContactOrTaskUpdated updates contact fields and, when taskID is set, the
// task's status.
func (k *Connector) ContactOrTaskUpdated(ctx context.Context, contactID string, fields ghl.UpdateContactRequest, taskID string, completed bool) error {
	if _, err := k.Client.Contacts.Update(ctx, contactID, fields); err != nil {
		return err
	}
	if taskID == "" {
		return nil
	}
	_, err := k.Client.Tasks.Complete(ctx, contactID, taskID, completed)
	return err
}

// NewTask creates a task on a contact.
func (k *Connector) NewTask(ctx context.Context, contactID, title string, due time.Time) (*ghl.Task, error) {
	return k.Client.Tasks.Create(ctx, contactID, ghl.CreateTaskRequest{Title: title, DueDate: due})
}

// Message turns an action's error into words for the person who built the
// workflow: what happened and what to do.
func Message(err error) string {
	var in *ghl.InputError
	var rl *ghl.RateLimitError
	var dup *ghl.DuplicateContactError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &in):
		return fmt.Sprintf("The step's %q field is not valid (%s). Check the value mapped to it.", in.Field, in.Reason)
	case errors.Is(err, ghl.ErrReauthRequired):
		return "The connection to HighLevel has expired. Reconnect your HighLevel account in the connector's settings."
	case errors.Is(err, ghl.ErrUnauthorized):
		return "HighLevel did not accept the connection's credentials. Reconnect your HighLevel account."
	case errors.Is(err, ghl.ErrForbidden):
		return "The connected HighLevel account may not do this. Check the account's permissions, or reconnect with a sub-account that has them."
	case errors.As(err, &rl) && rl.Daily:
		return "HighLevel's daily request limit for this sub-account is used up. The step will work again after it resets."
	case errors.As(err, &rl):
		return "HighLevel is receiving too many requests for this sub-account right now. Run the step again in a minute."
	case errors.As(err, &dup):
		return fmt.Sprintf("A contact with this %s already exists in HighLevel (%s). Use \"Update contact\" with that contact instead.", dup.MatchingField, dup.ContactID)
	case errors.Is(err, ghl.ErrNotFound):
		return "HighLevel has no such contact or task; it may have been deleted. Check the ID mapped to this step."
	case errors.Is(err, ghl.ErrMaybeProcessed):
		return "HighLevel did not confirm the change; it may have been made. Check HighLevel before running the step again."
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "HighLevel took too long to answer. Run the step again."
	}
	var ae *ghl.APIError
	if errors.As(err, &ae) && ae.StatusCode == 503 {
		return "HighLevel is briefly unavailable. Run the step again in a few minutes."
	}
	if errors.As(err, &ae) && ae.StatusCode == 422 {
		return "HighLevel refused the values: " + ae.Message() + ". Check the fields mapped to this step."
	}
	return "HighLevel could not complete the step. Run it again; if it keeps failing, contact support."
}
