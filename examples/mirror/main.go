// Command mirror keeps an app's copy of a HighLevel location's people (each
// contact with its tasks and notes) with ghlsync.Engine, run against
// ghltest (a throwaway fake HighLevel): no credentials, no network.
//
//	go run ./examples/mirror
//
// People are made and worked on in HighLevel; the mirror adopts them,
// follows their tasks and notes, keeps a person deleted in HighLevel as
// inactive, and raises a reminder for each open task due within a day.
package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghlsync"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/webhook"
)

// mirror is the app's copy: one view per person.
type mirror map[string]ghlsync.Person

func (m mirror) Person(_ context.Context, id string) (ghlsync.Person, bool, error) {
	p, ok := m[id]
	return p, ok, nil
}
func (m mirror) SavePerson(_ context.Context, p ghlsync.Person) error { m[p.ID] = p; return nil }
func (m mirror) MarkInactive(_ context.Context, id string) error {
	p := m[id]
	p.Inactive = true
	m[id] = p
	return nil
}
func (m mirror) Changed(_ context.Context, mark string) ([]string, string, error) {
	return nil, mark, nil
}

// byName lists the people by first name.
func (m mirror) byName() []ghlsync.Person {
	return slices.SortedFunc(maps.Values(m), func(a, b ghlsync.Person) int {
		return strings.Compare(a.Record.Get(ghlsync.FieldFirstName), b.Record.Get(ghlsync.FieldFirstName))
	})
}

// reminders lists the open tasks of active people due before until.
func (m mirror) reminders(until time.Time) []string {
	var out []string
	for _, p := range m.byName() {
		for _, t := range p.Tasks {
			if !p.Inactive && !t.Completed && t.DueDate.Before(until) {
				out = append(out, fmt.Sprintf("%s: %q due in %s", p.Record.Get(ghlsync.FieldFirstName), t.Title, time.Until(t.DueDate).Round(time.Hour)))
			}
		}
	}
	return out
}

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "mirror:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer) error {
	srv := ghltest.NewServer(ghltest.WithToken("office", ghltest.DefaultLocationID))
	defer srv.Close()
	client, _ := srv.Client()
	app := mirror{}
	engine, err := ghlsync.NewEngine(client, app, ghlsync.EngineOptions{})
	if err != nil {
		return err
	}
	verifier, _ := srv.WebhookVerifier()
	hooks := httptest.NewServer(webhook.NewHandler(verifier, engine.Handle))
	defer hooks.Close()
	srv.DeliverWebhooks(hooks.URL, nil)
	cycle := func() error { _ = srv.WaitWebhooks(ctx); _, err := engine.RunOnce(ctx); return err }

	office, _ := ghl.NewClient(ghl.WithBaseURL(srv.URL()), ghl.WithToken("office"), ghl.WithLocation(ghltest.DefaultLocationID))
	now := time.Now().Truncate(time.Minute)
	var ids []string
	for _, name := range []string{"Ana", "Ben", "Cara"} {
		c, err := office.Contacts.Create(ctx, ghl.CreateContactRequest{FirstName: ghl.Ptr(name), Email: ghl.Ptr(name + "@example.com")})
		if err != nil {
			return err
		}
		ids = append(ids, c.ID)
	}
	_, _ = office.Tasks.Create(ctx, ids[0], ghl.CreateTaskRequest{Title: "Send the quote", DueDate: now.Add(3 * time.Hour)})
	_, _ = office.Tasks.Create(ctx, ids[1], ghl.CreateTaskRequest{Title: "Yearly review", DueDate: now.Add(30 * 24 * time.Hour)})
	_, _ = office.Notes.Create(ctx, ids[1], ghl.CreateNoteRequest{Body: "Prefers email"})
	if err := cycle(); err != nil {
		return err
	}
	_, _ = office.Tasks.Create(ctx, ids[2], ghl.CreateTaskRequest{Title: "Call back", DueDate: now.Add(20 * time.Hour)})
	if err := office.Contacts.Delete(ctx, ids[1]); err != nil {
		return err
	}
	if err := cycle(); err != nil {
		return err
	}

	for _, p := range app.byName() {
		fmt.Fprintf(out, "%-4s %d task(s), %d note(s), inactive %v\n", p.Record.Get(ghlsync.FieldFirstName), len(p.Tasks), len(p.Notes), p.Inactive)
	}
	fmt.Fprintln(out, "\nReminders for the next 24 hours:")
	for _, r := range app.reminders(now.Add(24 * time.Hour)) {
		fmt.Fprintln(out, " ", r)
	}
	return nil
}
