// Command connector is a no-code platform's HighLevel connector, run
// against ghltest (a throwaway fake HighLevel): no credentials, no network.
//
//	go run ./examples/connector
//
// Its actions are one SDK call each ("Create or update contact": Ensure,
// never a duplicate), with every failure turned into words for the person
// who built the workflow. Its trigger, "New or updated contact", is a
// ghlsync.Engine whose app is the connector's event queue: webhooks when
// they flow, polling when they stop, each change once.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghlsync"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/webhook"
)

// trigger is the engine's app: each person saved is a trigger event.
type trigger struct {
	seen   map[string]ghlsync.Person
	events []string
}

func (t *trigger) Person(_ context.Context, id string) (ghlsync.Person, bool, error) {
	p, ok := t.seen[id]
	return p, ok, nil
}
func (t *trigger) SavePerson(_ context.Context, p ghlsync.Person) error {
	what := map[bool]string{true: "updated", false: "new"}[t.seen[p.ID].ID != ""]
	t.events = append(t.events, fmt.Sprintf("%s contact %s <%s> tags %v", what, p.Record.Get(ghlsync.FieldFirstName), p.Record.Get(ghlsync.FieldEmail), p.Record.Tags))
	t.seen[p.ID] = p
	return nil
}
func (t *trigger) MarkInactive(_ context.Context, id string) error {
	t.events = append(t.events, "deleted contact "+t.seen[id].Record.Get(ghlsync.FieldEmail))
	return nil
}
func (t *trigger) Changed(_ context.Context, mark string) ([]string, string, error) {
	return nil, mark, nil
}

// message turns an action's error into what to do about it.
func message(err error) string {
	var in *ghl.InputError
	var rl *ghl.RateLimitError
	switch {
	case err == nil:
		return "done"
	case errors.As(err, &in):
		return fmt.Sprintf("The step's %q field is not valid (%s). Check the value mapped to it.", in.Field, in.Reason)
	case errors.Is(err, ghl.ErrReauthRequired), errors.Is(err, ghl.ErrUnauthorized):
		return "The connection to HighLevel has expired. Reconnect your HighLevel account."
	case errors.As(err, &rl):
		return "HighLevel is receiving too many requests right now. Run the step again in a minute."
	case errors.Is(err, ghl.ErrNotFound):
		return "HighLevel has no such contact; it may have been deleted. Check the ID mapped to this step."
	}
	return "HighLevel could not complete the step. Run it again; if it keeps failing, contact support."
}

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "connector:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer) error {
	srv := ghltest.NewServer(ghltest.WithToken("office", ghltest.DefaultLocationID))
	defer srv.Close()
	client, _ := srv.Client()
	upsert := func(first, email string, tags ...string) error {
		_, err := ghlsync.Ensure(ctx, client, ghl.CreateContactRequest{FirstName: ghl.Ptr(first), Email: ghl.Ptr(email), Tags: tags},
			ghlsync.EnsureOptions{By: ghlsync.ByEmail})
		return err
	}
	fmt.Fprintln(out, "Actions:")
	fmt.Fprintln(out, "  create or update Ada:", message(upsert("Ada", "ada@example.com", "lead")))
	fmt.Fprintln(out, "  again, tagged:       ", message(upsert("Ada", "ada@example.com", "customer")))
	fmt.Fprintln(out, "  a bad email:         ", message(upsert("Bob", "bob at example")))
	fmt.Fprintln(out, "  a deleted contact:   ", message(client.Contacts.Delete(ctx, "NoSuchContact0000001")))

	app := &trigger{seen: map[string]ghlsync.Person{}}
	engine, err := ghlsync.NewEngine(client, app, ghlsync.EngineOptions{})
	if err != nil {
		return err
	}
	verifier, _ := srv.WebhookVerifier()
	hooks := httptest.NewServer(webhook.NewHandler(verifier, engine.Handle))
	defer hooks.Close()
	srv.DeliverWebhooks(hooks.URL, nil)
	office, _ := ghl.NewClient(ghl.WithBaseURL(srv.URL()), ghl.WithToken("office"), ghl.WithLocation(ghltest.DefaultLocationID))
	for step := range 3 {
		switch step {
		case 1:
			c, _ := office.Contacts.Create(ctx, ghl.CreateContactRequest{FirstName: ghl.Ptr("Grace"), Email: ghl.Ptr("grace@example.com")})
			_, _ = office.Tags.Add(ctx, c.ID, []string{"webinar"})
		case 2:
			srv.InjectWebhook(ghltest.WebhookFault{Duplicate: true, Times: 10}) // HighLevel sends some twice
			list, _ := office.Contacts.List(ctx, ghl.ListOptions{Query: "ada"})
			_, _ = office.Contacts.Update(ctx, list.Contacts[0].ID, ghl.UpdateContactRequest{FirstName: ghl.Ptr("Augusta Ada")})
		}
		_ = srv.WaitWebhooks(ctx)
		if _, err := engine.RunOnce(ctx); err != nil {
			return err
		}
	}
	fmt.Fprintln(out, "\nTrigger \"New or updated contact\":")
	for _, e := range app.events {
		fmt.Fprintln(out, " ", e)
	}
	return nil
}
