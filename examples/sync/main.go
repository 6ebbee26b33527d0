// Command sync keeps an app's people the same as a HighLevel location's
// contacts, both ways, with ghlsync.Engine, against ghltest (a throwaway
// fake HighLevel): no credentials, no network.
//
//	go run ./examples/sync
//
// The app adds a person with a task and a note; someone in HighLevel tags
// her, completes the task and adds a contact; the app renames her. Each
// cycle prints its summary, and the end prints the app's people and one
// person's history. The engine's state lives in a file, so a restart
// resumes where it stopped.
package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghlsync"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/webhook"
)

func main() {
	dir, err := os.MkdirTemp("", "ghl-sync-example")
	if err == nil {
		defer os.RemoveAll(dir)
		err = run(context.Background(), os.Stdout, dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sync:", err)
		os.Exit(1)
	}
}

// people is the app's database: what the engine reads and saves.
type people struct {
	mu sync.Mutex
	m  map[string]ghlsync.Person
}

func (a *people) Person(_ context.Context, id string) (ghlsync.Person, bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p, ok := a.m[id]
	return p, ok, nil
}

func (a *people) SavePerson(_ context.Context, p ghlsync.Person) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.m[p.ID] = p
	return nil
}

func (a *people) MarkInactive(_ context.Context, id string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	p := a.m[id]
	p.Inactive = true
	a.m[id] = p
	return nil
}

// Changed: this app tells the engine itself (Engine.Changed).
func (a *people) Changed(_ context.Context, mark string) ([]string, string, error) {
	return nil, mark, nil
}

func run(ctx context.Context, out io.Writer, dir string) error {
	srv := ghltest.NewServer(ghltest.WithToken("office", ghltest.DefaultLocationID))
	defer srv.Close()
	client, err := srv.Client()
	if err != nil {
		return err
	}
	state, err := ghlsync.OpenFileState(filepath.Join(dir, "sync-state.json"))
	if err != nil {
		return err
	}
	defer state.Close()
	app := &people{m: map[string]ghlsync.Person{}}
	engine, err := ghlsync.NewEngine(client, app, ghlsync.EngineOptions{State: state})
	if err != nil {
		return err
	}
	verifier, err := srv.WebhookVerifier()
	if err != nil {
		return err
	}
	hooks := httptest.NewServer(webhook.NewHandler(verifier, engine.Handle))
	defer hooks.Close()
	srv.DeliverWebhooks(hooks.URL, nil)
	cycle := func(what string) error {
		_ = srv.WaitWebhooks(ctx)
		sum, err := engine.RunOnce(ctx)
		fmt.Fprintf(out, "%-34s created %d, adopted %d, pushed %d, pulled %d, tasks/notes %d, %d requests\n",
			what+":", sum.Created, sum.Adopted, sum.Pushed, sum.Pulled, sum.Items, sum.Requests)
		return err
	}

	ada := ghlsync.Person{ID: "ada", Record: ghlsync.Record{UpdatedAt: time.Now()}.Set(ghlsync.FieldFirstName, "Ada").
		Set(ghlsync.FieldEmail, "ada@example.com"),
		Tasks: []ghlsync.Task{{LocalID: "ada-call", Title: "Welcome call", DueDate: time.Now().Add(48 * time.Hour)}},
		Notes: []ghlsync.Note{{LocalID: "ada-met", Body: "Met at the fair"}}}
	_ = app.SavePerson(ctx, ada)
	if err := engine.Changed(ctx, "ada"); err != nil {
		return err
	}
	if err := cycle("the app adds Ada"); err != nil {
		return err
	}

	office, err := ghl.NewClient(ghl.WithBaseURL(srv.URL()), ghl.WithToken("office"), ghl.WithLocation(ghltest.DefaultLocationID))
	if err != nil {
		return err
	}
	rid, _, _ := state.RemoteID(ctx, ghlsync.KindContact, "ada")
	tasks, _ := office.Tasks.List(ctx, rid)
	if _, err := office.Tags.Add(ctx, rid, []string{"vip"}); err != nil {
		return err
	}
	if _, err := office.Tasks.Complete(ctx, rid, tasks[0].ID, true); err != nil {
		return err
	}
	if _, err := office.Contacts.Create(ctx, ghl.CreateContactRequest{FirstName: ghl.Ptr("Grace"), Email: ghl.Ptr("grace@example.com")}); err != nil {
		return err
	}
	if err := cycle("HighLevel tags, completes, adds"); err != nil {
		return err
	}

	ada, _, _ = app.Person(ctx, "ada")
	ada.Record = ada.Record.Set(ghlsync.FieldLastName, "Lovelace")
	ada.Record.UpdatedAt = time.Now()
	_ = app.SavePerson(ctx, ada)
	_ = engine.Changed(ctx, "ada")
	if err := cycle("the app renames Ada"); err != nil {
		return err
	}
	if err := cycle("nothing changed"); err != nil {
		return err
	}

	fmt.Fprintln(out, "\nThe app's people:")
	for _, id := range slices.Sorted(maps.Keys(app.m)) {
		p := app.m[id]
		fmt.Fprintf(out, "  %-26s %s %s, tags %v, %d task(s) done %v\n", p.ID, p.Record.Get(ghlsync.FieldFirstName),
			p.Record.Get(ghlsync.FieldLastName), p.Record.Tags, len(p.Tasks), len(p.Tasks) > 0 && p.Tasks[0].Completed)
	}
	fmt.Fprintln(out, "\nAda's history:")
	history, err := engine.History(ctx, "ada")
	for _, h := range history {
		fmt.Fprintln(out, " ", h)
	}
	return err
}
