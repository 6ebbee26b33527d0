package ghlsync_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghlsync"
	"github.com/ghlkit/ghl/ghltest"
)

// Ensure creates a contact the first time, and sends nothing when it
// already holds what is asked.
func ExampleEnsure() {
	srv := ghltest.NewServer()
	defer srv.Close()
	client, _ := srv.Client()
	ctx := context.Background()
	req := ghl.CreateContactRequest{FirstName: ghl.Ptr("Ada"), Email: ghl.Ptr("ada@example.com")}
	for range 2 {
		res, err := ghlsync.Ensure(ctx, client, req, ghlsync.EnsureOptions{By: ghlsync.ByEmail})
		if err != nil {
			panic(err)
		}
		fmt.Println(res.Action)
	}
	req.FirstName = ghl.Ptr("Augusta Ada")
	res, _ := ghlsync.Ensure(ctx, client, req, ghlsync.EnsureOptions{By: ghlsync.ByEmail})
	fmt.Println(res.Action, res.Contact.FirstName, srv.ContactCount(ghltest.DefaultLocationID))
	// Output:
	// created
	// unchanged
	// updated Augusta Ada 1
}

// Merge decides field by field; tags merge as sets.
func ExampleMerge() {
	at := func(s int) time.Time { return time.Unix(int64(s), 0) }
	base := ghlsync.Record{}.Set("city", "Paris").Set("firstName", "Ada")
	base.Tags = []string{"member"}
	local := base.Set("city", "Lyon")
	local.Tags, local.UpdatedAt = []string{"member", "vip"}, at(10)
	remote := base.Set("city", "Nice").Set("firstName", "Augusta Ada")
	remote.Tags, remote.UpdatedAt = []string{}, at(20)

	m := ghlsync.Merge(base, local, remote, ghlsync.MergeOptions{Policy: ghlsync.LastWriteWins})
	fmt.Println(m.Merged.Get("city"), "|", m.Merged.Get("firstName"), "|", m.Merged.Tags)
	for _, c := range m.Conflicts {
		fmt.Printf("%s: %q vs %q -> %q (%s)\n", c.Field, c.Local, c.Remote, c.Value, c.Rule)
	}
	fmt.Println("to local:", m.ToLocal, "to remote:", m.ToRemote)
	// Output:
	// Nice | Augusta Ada | [vip]
	// city: "Lyon" vs "Nice" -> "Nice" (last write wins)
	// to local: [city firstName tags] to remote: [tags]
}

// exampleApp is an app's people, as an Engine reads and saves them.
type exampleApp map[string]ghlsync.Person

func (a exampleApp) Person(_ context.Context, id string) (ghlsync.Person, bool, error) {
	p, ok := a[id]
	return p, ok, nil
}
func (a exampleApp) SavePerson(_ context.Context, p ghlsync.Person) error { a[p.ID] = p; return nil }
func (a exampleApp) MarkInactive(_ context.Context, id string) error {
	p := a[id]
	p.Inactive = true
	a[id] = p
	return nil
}
func (a exampleApp) Changed(_ context.Context, mark string) ([]string, string, error) {
	return nil, mark, nil
}

// An Engine keeps the app's people and a location's contacts the same,
// both ways: the app tells it what changed, HighLevel's changes come by
// webhook (Handle) or polling, and each cycle says what it did.
func ExampleEngine() {
	srv := ghltest.NewServer()
	defer srv.Close()
	client, _ := srv.Client()
	ctx := context.Background()
	app := exampleApp{}
	engine, err := ghlsync.NewEngine(client, app, ghlsync.EngineOptions{
		State: ghlsync.NewMemoryState(), // OpenFileState, or a database, to survive restarts
	})
	if err != nil {
		panic(err)
	}
	// In production: http.Handle("/webhooks", webhook.NewHandler(verifier, engine.Handle))
	// and go engine.Run(ctx, 10*time.Second).

	app["ada"] = ghlsync.Person{ID: "ada", Record: ghlsync.Record{}.Set(ghlsync.FieldFirstName, "Ada").Set(ghlsync.FieldEmail, "ada@example.com"),
		Tasks: []ghlsync.Task{{LocalID: "ada-1", Title: "Welcome call", DueDate: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}}}
	_ = engine.Changed(ctx, "ada")
	sum, _ := engine.RunOnce(ctx)
	fmt.Println("created", sum.Created, "items", sum.Items, "queued", sum.Queued)

	// Someone in HighLevel tags her; the next cycle brings it in.
	rid, _, _ := engine.Syncer().State.RemoteID(ctx, ghlsync.KindContact, "ada")
	_, _ = client.Tags.Add(ctx, rid, []string{"vip"})
	sum, _ = engine.RunOnce(ctx)
	fmt.Println("pulled", sum.Pulled, "tags", app["ada"].Record.Tags)

	history, _ := engine.History(ctx, "ada")
	for _, h := range history {
		fmt.Println(h.Kind, h.Action, "on", h.Side, h.Field, h.New)
	}
	// Output:
	// created 1 items 1 queued 0
	// pulled 1 tags [vip]
	// contact created on remote  Ada
	// task created on remote  Welcome call
	// contact updated on local tags vip
}

// A Syncer syncs one contact, then its tasks: the app saves what comes
// back, then commits the sync's bookkeeping.
func ExampleSyncer() {
	srv := ghltest.NewServer()
	defer srv.Close()
	client, _ := srv.Client()
	ctx := context.Background()
	s := &ghlsync.Syncer{Client: client, State: ghlsync.NewMemoryState(), Merge: ghlsync.MergeOptions{Policy: ghlsync.LastWriteWins}}

	ada := ghlsync.Record{}.Set(ghlsync.FieldFirstName, "Ada").Set(ghlsync.FieldEmail, "ada@example.com")
	res, err := s.SyncContact(ctx, "ada", ada, nil)
	if err != nil {
		panic(err)
	}
	ada = res.Local     // the app saves this…
	_ = res.Commit(ctx) // …then commits
	tasks := []ghlsync.Task{{LocalID: "ada-1", Title: "Welcome call", DueDate: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}}
	tr, _ := s.SyncTasks(ctx, res.RemoteID, tasks)
	tasks = tr.Items
	_ = tr.Commit(ctx)
	fmt.Println("created", res.Created, "tasks created", tr.Created, "linked", tasks[0].RemoteID != "")

	again, _ := s.SyncContact(ctx, "ada", ada, nil)
	fmt.Println("nothing changed: pushed", again.Pushed, "pulled", again.LocalChanged)
	// Output:
	// created true tasks created 1 linked true
	// nothing changed: pushed false pulled false
}

// A Feed lists the contacts changed since a checkpoint; a Stream adds
// webhooks (Handle) and polls the feed while they are quiet.
func ExampleFeed() {
	srv := ghltest.NewServer()
	defer srv.Close()
	client, _ := srv.Client()
	ctx := context.Background()
	_, _ = client.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("ada@example.com")})

	feed := &ghlsync.Feed{Client: client}
	var checkpoint []byte // saved between runs (State.SaveCheckpoint)
	for ch, err := range feed.Changes(ctx, checkpoint) {
		if err != nil {
			panic(err)
		}
		fmt.Println("changed:", ch.Contact.Email)
		checkpoint = ch.Checkpoint()
	}
	n := 0
	for range feed.Changes(ctx, checkpoint) {
		n++
	}
	fmt.Println("since the checkpoint:", n)
	// Output:
	// changed: ada@example.com
	// since the checkpoint: 0
}

// Sweep finds which known contacts were deleted: a deletion shows up as a
// ContactDelete webhook, as a 404 when a contact is read (SyncContact's
// ErrRemoteDeleted), or in a sweep, which is the only way when webhooks
// were lost.
func ExampleSweep() {
	srv := ghltest.NewServer()
	defer srv.Close()
	client, _ := srv.Client()
	ctx := context.Background()
	var known []string
	for _, email := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		c, _ := client.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr(email)})
		known = append(known, c.ID)
	}
	_ = client.Contacts.Delete(ctx, known[1])
	gone, err := ghlsync.Sweep(ctx, client, known, ghlsync.SweepOptions{MaxMissing: 0.5})
	fmt.Println(len(gone), gone[0] == known[1], err)
	// Output:
	// 1 true <nil>
}

// A Stream takes webhooks (Handle) and polls the feed while they are quiet;
// each Next returns one event per changed contact.
func ExampleStream() {
	srv := ghltest.NewServer()
	defer srv.Close()
	client, _ := srv.Client()
	ctx := context.Background()
	stream := &ghlsync.Stream{Feed: &ghlsync.Feed{Client: client}}
	// In production: webhook.NewHandler(verifier, stream.Handle).
	_, _ = client.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("ada@example.com")})
	events, _ := stream.Next(ctx) // no webhook yet: the feed is polled
	for _, ev := range events {
		fmt.Println(ev.Source, ev.Contact.Email)
	}
	// Output:
	// poll ada@example.com
}

// Reconcile lists what differs between the app's records and the
// location's contacts, in one read.
func ExampleReconcile() {
	srv := ghltest.NewServer()
	defer srv.Close()
	client, _ := srv.Client()
	ctx := context.Background()
	_, _ = client.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("ada@example.com"), City: ghl.Ptr("Paris")})
	_, _ = client.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("grace@example.com")})
	local := []ghlsync.LocalRecord{
		{ID: "ada", Record: ghlsync.Record{}.Set(ghlsync.FieldEmail, "ada@example.com").Set(ghlsync.FieldCity, "Lyon")},
		{ID: "bob", Record: ghlsync.Record{}.Set(ghlsync.FieldEmail, "bob@example.com")},
	}
	var rows []string
	sum, err := ghlsync.Reconcile(ctx, client, local, ghlsync.ReconcileOptions{By: ghlsync.ByEmail}, func(r ghlsync.Row) error {
		rows = append(rows, fmt.Sprint(r.Key, ": ", r.Kind, " ", r.LocalIDs, r.Fields)) // or write a CSV row
		return nil
	})
	slices.Sort(rows)
	fmt.Println(strings.Join(rows, "\n"))
	fmt.Println(sum.Matched, sum.MissingRemote, sum.MissingLocal, sum.Differs, err)
	// Output:
	// ada@example.com: differs [ada] [city]
	// bob@example.com: missing in HighLevel [bob] []
	// grace@example.com: missing locally [] []
	// 1 1 1 1 <nil>
}
