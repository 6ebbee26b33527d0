// Command fieldservice is a field-service app kept in step with HighLevel
// by ghlsync.Engine, run against ghltest (a throwaway fake HighLevel): no
// credentials, no network.
//
//	go run ./examples/fieldservice
//
// Each new customer gets a follow-up visit (a task in HighLevel); a move
// writes a note. The office tags a customer and writes a note in HighLevel:
// both come back. The office's phone numbers win a conflict; the app wins
// the rest. It prints the customers and one's history.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghlsync"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/webhook"
)

// Customer is the app's record; Person is how the engine sees it.
type Customer struct{ ghlsync.Person }

// shop is the app's database of customers.
type shop map[string]*Customer

func (s shop) Person(_ context.Context, id string) (ghlsync.Person, bool, error) {
	c, ok := s[id]
	if !ok {
		return ghlsync.Person{}, false, nil
	}
	return c.Person, true, nil
}
func (s shop) SavePerson(_ context.Context, p ghlsync.Person) error {
	s[p.ID] = &Customer{p}
	return nil
}
func (s shop) MarkInactive(_ context.Context, id string) error { s[id].Inactive = true; return nil }
func (s shop) Changed(_ context.Context, mark string) ([]string, string, error) {
	return nil, mark, nil // the app calls Engine.Changed itself
}

// save is the app's own write: a new customer gets a follow-up visit, a
// move gets a note; then the engine is told.
func (s shop) save(ctx context.Context, e *ghlsync.Engine, id, first, email, phone, address string) error {
	c, ok := s[id]
	if !ok {
		c = &Customer{ghlsync.Person{ID: id}}
		c.Tasks = []ghlsync.Task{{LocalID: id + "-visit", Title: "Follow-up visit", DueDate: time.Now().Add(72 * time.Hour)}}
		s[id] = c
	} else if old := c.Record.Get(ghlsync.FieldAddress1); old != address {
		c.Notes = append(c.Notes, ghlsync.Note{LocalID: fmt.Sprintf("%s-move-%d", id, len(c.Notes)), Body: "Moved from " + old + " to " + address})
	}
	c.Record = c.Record.Set(ghlsync.FieldFirstName, first).Set(ghlsync.FieldEmail, email).Set(ghlsync.FieldPhone, phone).
		Set(ghlsync.FieldAddress1, address)
	c.Record.UpdatedAt = time.Now()
	return e.Changed(ctx, id)
}

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "fieldservice:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer) error {
	srv := ghltest.NewServer(ghltest.WithToken("office", ghltest.DefaultLocationID))
	defer srv.Close()
	client, _ := srv.Client()
	app := shop{}
	officeWins := func(c ghlsync.Conflict) (string, ghlsync.Side) { return c.Remote, ghlsync.Remote }
	engine, err := ghlsync.NewEngine(client, app, ghlsync.EngineOptions{Merge: ghlsync.MergeOptions{
		Policy: ghlsync.LocalWins, Fields: map[string]ghlsync.Resolver{ghlsync.FieldPhone: officeWins}}})
	if err != nil {
		return err
	}
	verifier, _ := srv.WebhookVerifier()
	hooks := httptest.NewServer(webhook.NewHandler(verifier, engine.Handle))
	defer hooks.Close()
	srv.DeliverWebhooks(hooks.URL, nil)
	cycle := func() error { _ = srv.WaitWebhooks(ctx); _, err := engine.RunOnce(ctx); return err }

	_ = app.save(ctx, engine, "cus-1", "Ana", "ana@example.com", "+15125550101", "12 Elm St")
	_ = app.save(ctx, engine, "cus-2", "Ben", "ben@example.com", "+15125550102", "4 Oak Ave")
	if err := cycle(); err != nil {
		return err
	}
	_ = app.save(ctx, engine, "cus-1", "Ana", "ana@example.com", "+15125550199", "300 Lamar Blvd")

	office, _ := ghl.NewClient(ghl.WithBaseURL(srv.URL()), ghl.WithToken("office"), ghl.WithLocation(ghltest.DefaultLocationID))
	ana, _, _ := engine.Syncer().State.RemoteID(ctx, ghlsync.KindContact, "cus-1")
	ben, _, _ := engine.Syncer().State.RemoteID(ctx, ghlsync.KindContact, "cus-2")
	_, _ = office.Tags.Add(ctx, ana, []string{"priority"})
	_, _ = office.Contacts.Update(ctx, ana, ghl.UpdateContactRequest{Phone: ghl.Ptr("+15125550111")})
	_, _ = office.Notes.Create(ctx, ben, ghl.CreateNoteRequest{Body: "Dog in the yard; call before arriving"})
	for range 2 {
		if err := cycle(); err != nil {
			return err
		}
	}

	for _, id := range []string{"cus-1", "cus-2"} {
		c := app[id]
		fmt.Fprintf(out, "%s %s %s %s, tags %v, %d task(s)\n", id, c.Record.Get(ghlsync.FieldFirstName), c.Record.Get(ghlsync.FieldPhone),
			c.Record.Get(ghlsync.FieldAddress1), c.Record.Tags, len(c.Tasks))
		for _, n := range c.Notes {
			fmt.Fprintf(out, "    note: %s\n", n.Body)
		}
	}
	fmt.Fprintln(out, "\nAna's history:")
	history, err := engine.History(ctx, "cus-1")
	for _, h := range history {
		_, line, _ := strings.Cut(h.String(), " ") // without the time
		fmt.Fprintln(out, " ", line)
	}
	fmt.Fprintf(out, "\nHighLevel holds %d contacts.\n", srv.ContactCount(ghltest.DefaultLocationID))
	return err
}
