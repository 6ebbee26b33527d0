// Command teamapp is a team tool whose people are kept in step with
// HighLevel by ghlsync.Engine, run against ghltest (a throwaway fake
// HighLevel): no credentials, no network.
//
//	go run ./examples/teamapp
//
// Three teammates work on the same people at once (notes, tags, a field)
// while the engine runs; every edit reaches HighLevel, none twice, and
// each person's history says what went where. A person deleted in
// HighLevel stays in the tool, marked inactive.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"sync"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghlsync"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/webhook"
)

// team is the tool's database, written by several teammates at once.
type team struct {
	mu     sync.Mutex
	people map[string]ghlsync.Person
}

func (t *team) Person(_ context.Context, id string) (ghlsync.Person, bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p, ok := t.people[id]
	return p, ok, nil
}

// SavePerson refuses a save over an edit made since the engine read the
// person (Version): the engine syncs that person again next cycle.
func (t *team) SavePerson(_ context.Context, p ghlsync.Person) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if cur, ok := t.people[p.ID]; ok && cur.Version != p.Version {
		return fmt.Errorf("%s was edited meanwhile", p.ID)
	}
	p.Version = time.Now().Format(time.RFC3339Nano)
	t.people[p.ID] = p
	return nil
}
func (t *team) MarkInactive(_ context.Context, id string) error {
	return t.edit(id, func(p *ghlsync.Person) { p.Inactive = true })
}
func (t *team) Changed(_ context.Context, mark string) ([]string, string, error) {
	return nil, mark, nil
}

// edit is a teammate's change.
func (t *team) edit(id string, f func(p *ghlsync.Person)) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.people[id]
	p.ID = id
	f(&p)
	p.Record.UpdatedAt, p.Version = time.Now(), time.Now().Format(time.RFC3339Nano)
	t.people[id] = p
	return nil
}

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "teamapp:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer) error {
	srv := ghltest.NewServer(ghltest.WithToken("office", ghltest.DefaultLocationID))
	defer srv.Close()
	client, _ := srv.Client()
	app := &team{people: map[string]ghlsync.Person{}}
	engine, err := ghlsync.NewEngine(client, app, ghlsync.EngineOptions{MinBackoff: time.Millisecond})
	if err != nil {
		return err
	}
	verifier, _ := srv.WebhookVerifier()
	hooks := httptest.NewServer(webhook.NewHandler(verifier, engine.Handle))
	defer hooks.Close()
	srv.DeliverWebhooks(hooks.URL, nil)

	ids := []string{"p1", "p2", "p3", "p4"}
	for i, id := range ids {
		_ = app.edit(id, func(p *ghlsync.Person) {
			p.Record = p.Record.Set(ghlsync.FieldFirstName, fmt.Sprint("Person ", i+1)).Set(ghlsync.FieldEmail, id+"@example.com")
		})
		_ = engine.Changed(ctx, id)
	}
	var wg sync.WaitGroup
	for k, mate := range []string{"kim", "lou", "max"} {
		wg.Go(func() { // each teammate notes every person and tags the ones they own
			for i, id := range ids {
				_ = app.edit(id, func(p *ghlsync.Person) {
					p.Notes = append(p.Notes, ghlsync.Note{LocalID: id + "-" + mate, Body: mate + " called"})
					if i%3 == k {
						p.Record.Tags = append(p.Record.Tags, "owner:"+mate)
					}
				})
				_ = engine.Changed(ctx, id)
			}
		})
	}
	_, _ = engine.RunOnce(ctx) // while they work
	wg.Wait()
	for range 4 {
		_ = srv.WaitWebhooks(ctx)
		if _, err := engine.RunOnce(ctx); err != nil {
			return err
		}
	}
	office, _ := ghl.NewClient(ghl.WithBaseURL(srv.URL()), ghl.WithToken("office"), ghl.WithLocation(ghltest.DefaultLocationID))
	p4, _, _ := engine.Syncer().State.RemoteID(ctx, ghlsync.KindContact, "p4")
	if err := office.Contacts.Delete(ctx, p4); err != nil {
		return err
	}
	_ = srv.WaitWebhooks(ctx)
	if _, err := engine.RunOnce(ctx); err != nil {
		return err
	}

	for _, id := range ids {
		p, _, _ := app.Person(ctx, id)
		rid, _, _ := engine.Syncer().State.RemoteID(ctx, ghlsync.KindContact, id)
		notes, _ := office.Notes.List(ctx, rid)
		c, _ := srv.Contact(ghltest.DefaultLocationID, rid)
		fmt.Fprintf(out, "%s: %d notes here, %d in HighLevel; tags here %v, there %v; inactive %v\n", id, len(p.Notes), len(notes),
			ghlsync.NormalizeTags(p.Record.Tags), c.Tags, p.Inactive)
	}
	history, err := engine.History(ctx, "p1")
	fmt.Fprintf(out, "p1's history holds %d entries; HighLevel holds %d contacts.\n", len(history), srv.ContactCount(ghltest.DefaultLocationID))
	return err
}
