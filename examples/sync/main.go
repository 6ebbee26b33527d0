// Command sync keeps a small app's people (contacts with their tasks and
// notes, kept in a JSON file) in step with a HighLevel location, both ways:
//
//	go run ./examples/sync
//
// With no environment it starts ghltest with signed webhooks delivered to a
// local receiver, and runs three cycles: the first links the app's people
// to HighLevel; then both sides change (a field each, the same field on
// both, a task completed, a contact added in HighLevel, one deleted there);
// the second cycle brings them together and prints what it created,
// updated, merged (each conflict with how it was decided) and marked
// inactive; the third finds nothing to do and sends no write. Against a
// real location set GHL_TOKEN and GHL_LOCATION_ID; the app file and the
// sync state are kept in -dir between runs, so a second run with no changes
// sends no write either.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync/atomic"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghlsync"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/webhook"
)

func main() {
	dir := flag.String("dir", "", "where the app file and sync state live (default: a new temporary directory)")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, *dir, os.Getenv("GHL_TOKEN"), os.Getenv("GHL_LOCATION_ID")); err != nil {
		fmt.Fprintln(os.Stderr, "sync:", err)
		os.Exit(1)
	}
}

// Person is the app's record of a contact.
type Person struct {
	FirstName string    `json:"firstName"`
	LastName  string    `json:"lastName"`
	Email     string    `json:"email"`
	City      string    `json:"city"`
	Tags      []string  `json:"tags"`
	Inactive  bool      `json:"inactive,omitempty"` // deleted in HighLevel; kept here
	UpdatedAt time.Time `json:"updatedAt"`
	Tasks     []ghlsync.Task
	Notes     []ghlsync.Note
}

// App is the app's data file: people by the app's own ID.
type App struct {
	People map[string]*Person `json:"people"`
	NextID int                `json:"nextId"`
}

var fields = []string{ghlsync.FieldFirstName, ghlsync.FieldLastName, ghlsync.FieldEmail, ghlsync.FieldCity, "tags"}

func (p *Person) record() ghlsync.Record {
	r := ghlsync.Record{UpdatedAt: p.UpdatedAt}.Set(ghlsync.FieldFirstName, p.FirstName).Set(ghlsync.FieldLastName, p.LastName).
		Set(ghlsync.FieldEmail, p.Email).Set(ghlsync.FieldCity, p.City)
	r.Tags = ghlsync.NormalizeTags(p.Tags)
	return r
}

func (p *Person) take(r ghlsync.Record) {
	p.FirstName, p.LastName, p.Email, p.City = r.Get(ghlsync.FieldFirstName), r.Get(ghlsync.FieldLastName), r.Get(ghlsync.FieldEmail), r.Get(ghlsync.FieldCity)
	p.Tags = slices.Clone(r.Tags)
	p.UpdatedAt = time.Now().UTC()
}

// writeCounter counts the writes that reach HighLevel.
type writeCounter struct {
	next http.RoundTripper
	n    atomic.Int64
}

func (w *writeCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method != http.MethodGet && r.URL.Path != "/contacts/search" {
		w.n.Add(1)
	}
	return w.next.RoundTrip(r)
}

// env is one run's wiring.
type env struct {
	out     io.Writer
	client  *ghl.Client
	srv     *ghltest.Server // nil against the real API
	syncer  *ghlsync.Syncer
	stream  *ghlsync.Stream
	writes  *writeCounter
	appPath string
	app     *App
}

func run(ctx context.Context, out io.Writer, dir, token, location string) error {
	if (token == "") != (location == "") {
		return errors.New("set both GHL_TOKEN and GHL_LOCATION_ID to sync with HighLevel, or neither for the built-in fake")
	}
	if dir == "" {
		d, err := os.MkdirTemp("", "ghl-sync-example-")
		if err != nil {
			return err
		}
		dir = d
	}
	e := &env{out: out, appPath: filepath.Join(dir, "app.json"), writes: &writeCounter{next: http.DefaultTransport}}
	hc := &http.Client{Transport: e.writes, Timeout: time.Minute}
	var err error
	if token != "" {
		e.client, err = ghl.NewClient(ghl.WithToken(token), ghl.WithLocation(location), ghl.WithHTTPClient(hc))
		fmt.Fprintf(out, "Syncing %s with HighLevel location %s.\n", e.appPath, location)
	} else {
		e.srv = ghltest.NewServer(ghltest.WithRateLimit(1000, time.Second))
		defer e.srv.Close()
		e.client, err = e.srv.Client(ghl.WithHTTPClient(hc))
		fmt.Fprintf(out, "Syncing %s with ghltest at %s (a throwaway fake; signed webhooks on).\n", e.appPath, e.srv.URL())
	}
	if err != nil {
		return err
	}
	state, err := ghlsync.OpenFileState(filepath.Join(dir, "state.json"))
	if err != nil {
		return err
	}
	defer state.Close()
	e.syncer = &ghlsync.Syncer{Client: e.client, State: state, Fields: fields,
		Merge: ghlsync.MergeOptions{Policy: ghlsync.LastWriteWins}}
	e.stream = &ghlsync.Stream{Feed: &ghlsync.Feed{Client: e.client}, Quiet: time.Minute}
	if cp, _ := state.Checkpoint(ctx, "feed"); cp != nil {
		e.stream.Checkpoint = cp
	}
	if e.srv != nil {
		v, err := e.srv.WebhookVerifier()
		if err != nil {
			return err
		}
		recv := httptest.NewServer(webhook.NewHandler(v, e.stream.Handle))
		defer recv.Close()
		e.srv.DeliverWebhooks(recv.URL, nil)
	}
	if e.app, err = loadApp(e.appPath); err != nil {
		return err
	}

	if err := e.cycle(ctx, 1); err != nil {
		return err
	}
	if e.srv == nil {
		return nil // against a real location, one cycle per run
	}
	if err := e.changeBothSides(ctx); err != nil {
		return err
	}
	if err := e.cycle(ctx, 2); err != nil {
		return err
	}
	return e.cycle(ctx, 3)
}

// loadApp reads the app file, or makes a sample app.
func loadApp(path string) (*App, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		app := &App{People: map[string]*Person{}}
		due := time.Now().UTC().Add(48 * time.Hour).Truncate(time.Second)
		for i, p := range []Person{
			{FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com", City: "London", Tags: []string{"member"}},
			{FirstName: "Grace", LastName: "Hopper", Email: "grace@example.com", City: "Arlington", Tags: []string{"member", "vip"}},
			{FirstName: "Alan", LastName: "Turing", Email: "alan@example.com", City: "Wilmslow"},
			{FirstName: "Katherine", LastName: "Johnson", Email: "katherine@example.com", City: "Hampton"},
		} {
			id := fmt.Sprintf("p%d", i+1)
			p.UpdatedAt = time.Now().UTC()
			p.Tasks = []ghlsync.Task{{LocalID: id + "-t1", Title: "Welcome call", DueDate: due}}
			p.Notes = []ghlsync.Note{{LocalID: id + "-n1", Body: "Joined via the app"}}
			app.People[id] = &p
		}
		app.NextID = 5
		return app, nil
	}
	if err != nil {
		return nil, err
	}
	var app App
	if err := json.Unmarshal(b, &app); err != nil {
		return nil, fmt.Errorf("%s is not this example's app file: %w", path, err)
	}
	return &app, nil
}

// committer is a sync result whose bookkeeping waits for the app's save.
type committer interface{ Commit(context.Context) error }

// finish saves the app file, then records the sync's bookkeeping: a crash
// between the two loses nothing (the next cycle sees the same changes).
func (e *env) finish(commits []committer, err error) error {
	if serr := e.saveApp(); serr != nil {
		return serr
	}
	for _, c := range commits {
		if cerr := c.Commit(context.Background()); cerr != nil && err == nil {
			err = cerr
		}
	}
	return err
}

// saveApp writes the app file atomically.
func (e *env) saveApp() error {
	b, err := json.MarshalIndent(e.app, "", "  ")
	if err != nil {
		return err
	}
	tmp := e.appPath + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, e.appPath)
}

// summary is what one cycle did.
type summary struct {
	created, updatedRemote, updatedLocal, pulledNew, inactive, taskNote int
	conflicts                                                           []string
}

// cycle runs one sync: remote changes in (webhooks, or polling when they are
// quiet), then every active person both ways with their tasks and notes.
func (e *env) cycle(ctx context.Context, n int) error {
	if e.srv != nil {
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := e.srv.WaitWebhooks(wctx)
		cancel()
		if err != nil {
			return err
		}
	}
	before := e.writes.n.Load()
	var s summary
	events, err := e.stream.Next(ctx)
	if err != nil {
		return err
	}
	remote := map[string]*ghl.Contact{}
	var commits []committer // the sync's bookkeeping, recorded once the app file is saved
	for _, ev := range events {
		localID, known, err := e.syncer.State.LocalID(ctx, ghlsync.KindContact, ev.ContactID)
		if err != nil {
			return err
		}
		switch {
		case ev.Deleted && known:
			if p := e.app.People[localID]; p != nil && !p.Inactive {
				p.Inactive, p.UpdatedAt = true, time.Now().UTC()
				s.inactive++
			}
		case ev.Contact != nil && known:
			remote[localID] = ev.Contact
		case ev.Contact != nil && !known && !e.pending(ctx, ev.Contact):
			id := fmt.Sprintf("p%d", e.app.NextID)
			e.app.NextID++
			pulled, err := e.syncer.PullNew(ctx, id, *ev.Contact)
			if err != nil {
				return err
			}
			p := &Person{}
			p.take(pulled.Local)
			e.app.People[id] = p
			commits = append(commits, pulled) // linked once the app file is saved
			s.pulledNew++
		}
	}
	ids := make([]string, 0, len(e.app.People))
	for id := range e.app.People {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		p := e.app.People[id]
		if p.Inactive {
			continue
		}
		res, err := e.syncer.SyncContact(ctx, id, p.record(), remote[id])
		if errors.Is(err, ghlsync.ErrRemoteDeleted) {
			p.Inactive, p.UpdatedAt = true, time.Now().UTC()
			s.inactive++
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", id, err)
		}
		switch {
		case res.Created:
			s.created++
		case res.Pushed:
			s.updatedRemote++
		}
		if res.LocalChanged {
			p.take(res.Local)
			s.updatedLocal++
		}
		for _, c := range res.Conflicts {
			s.conflicts = append(s.conflicts, fmt.Sprintf("%s %s: app %q, HighLevel %q -> %q (%s)", id, c.Field, c.Local, c.Remote, c.Value, c.Rule))
		}
		commits = append(commits, res)
		tr, err := (&ghlsync.Syncer{Client: e.client, State: e.syncer.State}).SyncTasks(ctx, res.RemoteID, p.Tasks)
		p.Tasks = tr.Items // also on an error: what was pulled is kept
		commits = append(commits, tr)
		if err != nil {
			return e.finish(commits, err)
		}
		nr, err := (&ghlsync.Syncer{Client: e.client, State: e.syncer.State}).SyncNotes(ctx, res.RemoteID, p.Notes)
		p.Notes = nr.Items
		commits = append(commits, nr)
		if err != nil {
			return e.finish(commits, err)
		}
		s.taskNote += tr.Created + tr.Pushed + tr.Pulled + nr.Created + nr.Pushed + nr.Pulled
	}
	if err := e.finish(commits, nil); err != nil {
		return err
	}
	if err := e.syncer.State.SaveCheckpoint(ctx, "feed", e.stream.Checkpoint); err != nil {
		return err
	}
	writes := e.writes.n.Load() - before
	fmt.Fprintf(e.out, "\nCycle %d: created %d in HighLevel, updated %d there and %d here, pulled %d new, marked %d inactive, %d task/note changes, %d writes sent.\n",
		n, s.created, s.updatedRemote, s.updatedLocal, s.pulledNew, s.inactive, s.taskNote, writes)
	for _, c := range s.conflicts {
		fmt.Fprintf(e.out, "  merged %s\n", c)
	}
	if writes == 0 && s.updatedLocal+s.pulledNew+s.inactive+s.taskNote == 0 {
		fmt.Fprintln(e.out, "  No changes on either side: nothing was written.")
	}
	return nil
}

// pending reports whether c matches, by email, an app person not linked
// yet: SyncContact will link the two (through Ensure), so c must not be
// pulled in as a new person as well.
func (e *env) pending(ctx context.Context, c *ghl.Contact) bool {
	for id, p := range e.app.People {
		if _, linked, _ := e.syncer.State.RemoteID(ctx, ghlsync.KindContact, id); !linked && p.Email != "" && p.Email == c.EmailLowerCase {
			return true
		}
	}
	return false
}

// changeBothSides edits the app and HighLevel between cycles, as their
// users would.
func (e *env) changeBothSides(ctx context.Context) error {
	id := func(local string) string {
		rid, _, _ := e.syncer.State.RemoteID(ctx, ghlsync.KindContact, local)
		return rid
	}
	fmt.Fprintln(e.out, "\nMeanwhile: Ada moves to Paris in the app; Grace is renamed in HighLevel; both sides change Alan's city;")
	fmt.Fprintln(e.out, "Katherine is deleted in HighLevel; Margaret is added there; Grace's welcome call is completed there.")
	ada := e.app.People["p1"]
	ada.City, ada.UpdatedAt = "Paris", time.Now().UTC()
	alan := e.app.People["p3"]
	alan.City, alan.UpdatedAt = "Manchester", time.Now().UTC().Add(-time.Hour) // an older edit than HighLevel's
	c := e.client
	if _, err := c.Contacts.Update(ctx, id("p2"), ghl.UpdateContactRequest{FirstName: ghl.Ptr("Rear Admiral Grace")}); err != nil {
		return err
	}
	if _, err := c.Contacts.Update(ctx, id("p3"), ghl.UpdateContactRequest{City: ghl.Ptr("Cambridge")}); err != nil {
		return err
	}
	if err := c.Contacts.Delete(ctx, id("p4")); err != nil {
		return err
	}
	if _, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{FirstName: ghl.Ptr("Margaret"), LastName: ghl.Ptr("Hamilton"),
		Email: ghl.Ptr("margaret@example.com"), City: ghl.Ptr("Boston")}); err != nil {
		return err
	}
	for _, t := range e.app.People["p2"].Tasks {
		if _, err := c.Tasks.Complete(ctx, id("p2"), t.RemoteID, true); err != nil {
			return err
		}
	}
	return nil
}
