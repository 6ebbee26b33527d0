// Package statetest checks an implementation of ghlsync.EngineState
// against the contract the sync and the engine rely on. Run it from a test
// of your own State (on your database) as the SDK runs it for MemoryState,
// FileState and its embedded and Postgres states:
//
//	func TestMyState(t *testing.T) {
//		statetest.Run(t, statetest.Options{Open: func(t *testing.T) ghlsync.EngineState { return openMine(t) }})
//	}
package statetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ghlkit/ghl/ghlsync"
)

// Options says how to get states to check.
type Options struct {
	// Open returns a new, empty state (each subtest opens its own).
	Open func(t *testing.T) ghlsync.EngineState
	// Reopen, when set, closes st and opens it again from where it is
	// kept, as a new process would: what was saved must be there.
	Reopen func(t *testing.T, st ghlsync.EngineState) ghlsync.EngineState
}

// Run checks the contract, each part in a subtest.
func Run(t *testing.T, o Options) {
	t.Helper()
	if o.Open == nil {
		t.Fatal("statetest: Options.Open is required")
	}
	t.Run("links", func(t *testing.T) { links(t, o.Open(t)) })
	t.Run("bases", func(t *testing.T) { bases(t, o.Open(t)) })
	t.Run("checkpoints", func(t *testing.T) { checkpoints(t, o.Open(t)) })
	t.Run("outbox", func(t *testing.T) { outbox(t, o.Open(t)) })
	t.Run("linked in pages", func(t *testing.T) { linkedPages(t, o.Open(t)) })
	t.Run("history", func(t *testing.T) { history(t, o.Open(t)) })
	t.Run("concurrent use", func(t *testing.T) { concurrent(t, o.Open(t)) })
	if _, ok := o.Open(t).(ghlsync.Batcher); ok {
		t.Run("batch", func(t *testing.T) { batch(t, o.Open(t)) })
	}
	if _, ok := o.Open(t).(ghlsync.Replicated); ok {
		t.Run("replicas", func(t *testing.T) { replicated(t, o.Open(t)) })
	}
	if o.Reopen != nil {
		t.Run("survives a reopen", func(t *testing.T) { reopen(t, o) })
	}
}

// batch: a Batcher's batch sees its own writes, keeps them all when fn
// succeeds and none when it fails; writes outside wait for it.
func batch(t *testing.T, st ghlsync.EngineState) {
	b := st.(ghlsync.Batcher)
	failed := errors.New("the import's next row is bad")
	err := b.Batch(ctx, func(ctx context.Context) error {
		check(t, st.Link(ctx, ghlsync.KindContact, "a", "hl-a"))
		check(t, st.Enqueue(ctx, "a", time.Unix(1, 0)))
		check(t, st.AppendHistory(ctx, ghlsync.HistoryEntry{Person: "a", Action: ghlsync.ActionCreated}))
		if _, ok, _ := st.LocalID(ctx, ghlsync.KindContact, "hl-a"); !ok {
			t.Error("a batch does not see its own link")
		}
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatalf("Batch = %v, want fn's error", err)
	}
	if _, ok, _ := st.RemoteID(ctx, ghlsync.KindContact, "a"); ok {
		t.Fatal("a failed batch left its link")
	}
	if n, _ := st.Queued(ctx); n != 0 {
		t.Fatal("a failed batch left its outbox entry")
	}
	n := 0
	check(t, st.History(ctx, "a", func(ghlsync.HistoryEntry) bool { n++; return true }))
	if n != 0 {
		t.Fatal("a failed batch left its history")
	}
	check(t, b.Batch(ctx, func(ctx context.Context) error {
		for i := range 100 {
			if err := st.Link(ctx, ghlsync.KindTask, fmt.Sprint("t", i), fmt.Sprint("hl-t", i)); err != nil {
				return err
			}
		}
		return nil
	}))
	if got, _ := st.Linked(ctx, ghlsync.KindTask, "", 0); len(got) != 100 {
		t.Fatalf("a batch of 100 links kept %d", len(got))
	}
	// A write from another goroutine during a batch is kept too.
	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		done <- b.Batch(ctx, func(ctx context.Context) error {
			close(started)
			<-release
			return st.Link(ctx, ghlsync.KindNote, "inside", "hl-inside")
		})
	}()
	<-started
	outside := make(chan error)
	go func() { outside <- st.Link(ctx, ghlsync.KindNote, "outside", "hl-outside") }()
	close(release)
	check(t, <-done)
	check(t, <-outside)
	for _, id := range []string{"inside", "outside"} {
		if _, ok, _ := st.RemoteID(ctx, ghlsync.KindNote, id); !ok {
			t.Fatalf("the write %s the batch was lost", id)
		}
	}
}

var ctx = context.Background()

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func links(t *testing.T, st ghlsync.EngineState) {
	check(t, st.Link(ctx, ghlsync.KindContact, "app-1", "hl-1"))
	if id, ok, err := st.RemoteID(ctx, ghlsync.KindContact, "app-1"); err != nil || !ok || id != "hl-1" {
		t.Fatalf("RemoteID = %q %v %v, want hl-1", id, ok, err)
	}
	if id, ok, err := st.LocalID(ctx, ghlsync.KindContact, "hl-1"); err != nil || !ok || id != "app-1" {
		t.Fatalf("LocalID = %q %v %v, want app-1", id, ok, err)
	}
	if _, ok, _ := st.RemoteID(ctx, ghlsync.KindTask, "app-1"); ok {
		t.Fatal("a contact's link shows under another kind")
	}
	// Relinking the app ID replaces the link, both ways.
	check(t, st.Link(ctx, ghlsync.KindContact, "app-1", "hl-2"))
	if _, ok, _ := st.LocalID(ctx, ghlsync.KindContact, "hl-1"); ok {
		t.Fatal("the replaced HighLevel ID is still linked")
	}
	// A HighLevel ID linked to another app ID is refused, and nothing changes.
	err := st.Link(ctx, ghlsync.KindContact, "app-2", "hl-2")
	var le *ghlsync.LinkError
	if !errors.As(err, &le) || !errors.Is(err, ghlsync.ErrAlreadyLinked) || le.LinkedTo != "app-1" {
		t.Fatalf("Link of a linked HighLevel ID = %v, want a *LinkError naming app-1", err)
	}
	if _, ok, _ := st.RemoteID(ctx, ghlsync.KindContact, "app-2"); ok {
		t.Fatal("a refused link was recorded")
	}
	check(t, st.Link(ctx, ghlsync.KindContact, "app-1", "hl-2")) // the same link again is fine
	if err := st.Link(ctx, ghlsync.KindContact, "", "hl-9"); err == nil {
		t.Fatal("Link with an empty app ID succeeded")
	}
	check(t, st.Unlink(ctx, ghlsync.KindContact, "app-1"))
	if _, ok, _ := st.LocalID(ctx, ghlsync.KindContact, "hl-2"); ok {
		t.Fatal("Unlink left the reverse link")
	}
	check(t, st.Unlink(ctx, ghlsync.KindContact, "never-linked"))
}

func bases(t *testing.T, st ghlsync.EngineState) {
	if _, ok, err := st.Base(ctx, ghlsync.KindContact, "hl-1"); err != nil || ok {
		t.Fatalf("Base of nothing = %v %v", ok, err)
	}
	at := time.Date(2026, 12, 1, 9, 30, 15, 123_000_000, time.UTC)
	r := ghlsync.Record{UpdatedAt: at}.Set(ghlsync.FieldFirstName, "Ada").Set("customFields.cf1", `["a","b"]`)
	r.Tags = []string{"vip", "lead"}
	check(t, st.SaveBase(ctx, ghlsync.KindContact, "hl-1", r))
	got, ok, err := st.Base(ctx, ghlsync.KindContact, "hl-1")
	if err != nil || !ok || !got.Equal(r) || !got.UpdatedAt.Equal(at) {
		t.Fatalf("Base = %+v %v %v, want %+v", got, ok, err, r)
	}
	got.Fields[ghlsync.FieldFirstName] = "changed by the caller"
	again, _, _ := st.Base(ctx, ghlsync.KindContact, "hl-1")
	if again.Get(ghlsync.FieldFirstName) != "Ada" {
		t.Fatal("changing a returned base changed the stored one")
	}
	if _, ok, _ := st.Base(ctx, ghlsync.KindTask, "hl-1"); ok {
		t.Fatal("a contact's base shows under another kind")
	}
	check(t, st.SaveBase(ctx, ghlsync.KindContact, "hl-1", r.Set(ghlsync.FieldFirstName, "Grace")))
	if got, _, _ := st.Base(ctx, ghlsync.KindContact, "hl-1"); got.Get(ghlsync.FieldFirstName) != "Grace" {
		t.Fatal("SaveBase did not replace the base")
	}
}

func checkpoints(t *testing.T, st ghlsync.EngineState) {
	if cp, err := st.Checkpoint(ctx, "feed"); err != nil || cp != nil {
		t.Fatalf("Checkpoint of nothing = %q %v, want nil", cp, err)
	}
	cp := []byte("position-1")
	check(t, st.SaveCheckpoint(ctx, "feed", cp))
	cp[0] = 'X'
	if got, _ := st.Checkpoint(ctx, "feed"); string(got) != "position-1" {
		t.Fatalf("Checkpoint = %q: the state kept the caller's slice", got)
	}
	check(t, st.SaveCheckpoint(ctx, "feed", []byte("position-2")))
	if got, _ := st.Checkpoint(ctx, "feed"); string(got) != "position-2" {
		t.Fatalf("Checkpoint = %q, want the replaced one", got)
	}
}

func outbox(t *testing.T, st ghlsync.EngineState) {
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	check(t, st.Enqueue(ctx, "b", t0))
	check(t, st.Enqueue(ctx, "a", t0))
	check(t, st.Enqueue(ctx, "c", t0.Add(time.Second)))
	first, _, _ := st.Pending(ctx, "b")
	check(t, st.Enqueue(ctx, "b", t0.Add(time.Minute))) // again: keeps its place, a new Seq
	again, ok, _ := st.Pending(ctx, "b")
	if !ok || !again.Since.Equal(t0) || again.Seq == first.Seq {
		t.Fatalf("a second Enqueue: %+v (was %+v), want the same Since and a new Seq", again, first)
	}
	due, err := st.Due(ctx, t0.Add(time.Hour), 0)
	check(t, err)
	if ids := entryIDs(due); !slices.Equal(ids, []string{"a", "b", "c"}) {
		t.Fatalf("Due order = %v, want oldest first, ties by ID", ids)
	}
	if due, _ := st.Due(ctx, t0.Add(time.Hour), 2); len(due) != 2 {
		t.Fatalf("Due with limit 2 gave %d", len(due))
	}
	if due, _ := st.Due(ctx, t0, 0); !slices.Equal(entryIDs(due), []string{"a", "b"}) {
		t.Fatalf("Due at t0 = %v, want a and b (c is later)", entryIDs(due))
	}
	// Dequeue with an old Seq keeps the entry: a change came since.
	check(t, st.Dequeue(ctx, "b", first.Seq))
	if _, ok, _ := st.Pending(ctx, "b"); !ok {
		t.Fatal("Dequeue with an old Seq removed the entry")
	}
	check(t, st.Dequeue(ctx, "b", again.Seq))
	if _, ok, _ := st.Pending(ctx, "b"); ok {
		t.Fatal("Dequeue with the current Seq kept the entry")
	}
	// Retry counts the attempt and puts the entry off.
	check(t, st.Retry(ctx, "a", t0.Add(10*time.Minute), "HighLevel: 503"))
	a, _, _ := st.Pending(ctx, "a")
	if a.Attempts != 1 || a.LastErr != "HighLevel: 503" || !a.Next.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("after Retry: %+v", a)
	}
	if due, _ := st.Due(ctx, t0.Add(time.Hour/12), 0); slices.Contains(entryIDs(due), "a") {
		t.Fatal("an entry put off is due before its time")
	}
	check(t, st.Retry(ctx, "new", t0, "failed before it was queued"))
	if n, err := st.Queued(ctx); err != nil || n != 3 {
		t.Fatalf("Queued = %d %v, want 3 (a, c, new)", n, err)
	}
	check(t, st.Dequeue(ctx, "nothing", 1))
}

func entryIDs(es []ghlsync.OutboxEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

func linkedPages(t *testing.T, st ghlsync.EngineState) {
	var want []string
	for i := range 25 {
		id := fmt.Sprintf("p%02d", i)
		want = append(want, id)
		check(t, st.Link(ctx, ghlsync.KindContact, id, "hl-"+id))
	}
	check(t, st.Link(ctx, ghlsync.KindTask, "task-1", "hl-task-1"))
	var got []string
	after := ""
	for {
		page, err := st.Linked(ctx, ghlsync.KindContact, after, 10)
		check(t, err)
		got = append(got, page...)
		if len(page) < 10 {
			break
		}
		after = page[len(page)-1]
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Linked in pages = %v, want %v", got, want)
	}
}

func history(t *testing.T, st ghlsync.EngineState) {
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	var all []ghlsync.HistoryEntry
	for i := range 6 {
		all = append(all, ghlsync.HistoryEntry{At: t0.Add(time.Duration(i) * time.Second), Run: int64(i/2 + 1),
			Person: []string{"ada", "bob"}[i%2], Kind: ghlsync.KindContact, Side: ghlsync.Remote, Action: ghlsync.ActionUpdated,
			Field: "city", Old: fmt.Sprint(i), New: fmt.Sprint(i + 1)})
	}
	check(t, st.AppendHistory(ctx, all[:4]...))
	check(t, st.AppendHistory(ctx, all[4:]...))
	var got []ghlsync.HistoryEntry
	check(t, st.History(ctx, "ada", func(h ghlsync.HistoryEntry) bool { got = append(got, h); return true }))
	if len(got) != 3 || got[0].Old != "0" || got[2].Old != "4" || !got[1].At.Equal(t0.Add(2*time.Second)) {
		t.Fatalf("ada's history = %+v", got)
	}
	n := 0
	check(t, st.History(ctx, "", func(ghlsync.HistoryEntry) bool { n++; return n < 4 }))
	if n != 4 {
		t.Fatalf("History went on after fn returned false (%d calls)", n)
	}
}

// replicated: one lease holder at a time, renewed by its holder, taken by
// another once it lapses; one claim per person; hints in order, removed by
// ID only.
func replicated(t *testing.T, st ghlsync.EngineState) {
	r := st.(ghlsync.Replicated)
	const ttl = 200 * time.Millisecond
	take := func(what string, try func() (bool, error), want bool) {
		t.Helper()
		ok, err := try()
		check(t, err)
		if ok != want {
			t.Fatalf("%s: got %v, want %v", what, ok, want)
		}
	}
	lease := func(holder string, ttl time.Duration) func() (bool, error) {
		return func() (bool, error) { return r.Lease(ctx, "pull", holder, ttl) }
	}
	take("r1 takes the free lease", lease("r1", time.Hour), true)
	take("r2 while r1 holds it", lease("r2", ttl), false)
	take("r1 renews", lease("r1", ttl), true)
	take("r2 while r1's renewal is current", lease("r2", ttl), false)
	waitUntil(t, "r2 takes the lease once r1's lapses", lease("r2", time.Hour))
	take("r1 after losing it", lease("r1", ttl), false)

	claim := func(person, holder string) func() (bool, error) {
		return func() (bool, error) { return r.Claim(ctx, person, holder, ttl) }
	}
	take("r1 claims ada", claim("ada", "r1"), true)
	take("r2 claims ada", claim("ada", "r2"), false)
	take("r2 claims bob", claim("bob", "r2"), true)
	check(t, r.Release(ctx, "ada", "r2")) // not r2's: changes nothing
	take("r2 claims ada after releasing another's claim", claim("ada", "r2"), false)
	check(t, r.Release(ctx, "ada", "r1"))
	take("r2 claims ada once released", claim("ada", "r2"), true)
	waitUntil(t, "r1 claims bob once r2's claim lapses", claim("bob", "r1"))

	for _, id := range []string{"c1", "c2", "c3"} {
		check(t, r.AddHint(ctx, ghlsync.Hint{Kind: "contact", ContactID: id}))
	}
	hs, err := r.Hints(ctx, 2)
	check(t, err)
	if len(hs) != 2 || hs[0].ContactID != "c1" || hs[1].ContactID != "c2" || hs[0].ID >= hs[1].ID {
		t.Fatalf("Hints(2) = %+v, want c1, c2 in order", hs)
	}
	check(t, r.DoneHints(ctx, []int64{hs[1].ID}))
	hs, err = r.Hints(ctx, 10)
	check(t, err)
	if len(hs) != 2 || hs[0].ContactID != "c1" || hs[1].ContactID != "c3" {
		t.Fatalf("after DoneHints of c2, Hints = %+v, want c1, c3", hs)
	}
}

// waitUntil calls try until it succeeds (a lease or claim lapsing by the
// state's own clock), for as long as the test may run.
func waitUntil(t *testing.T, what string, try func() (bool, error)) {
	t.Helper()
	deadline, bounded := t.Deadline()
	for {
		ok, err := try()
		check(t, err)
		if ok {
			return
		}
		if bounded && time.Until(deadline) < 5*time.Second {
			t.Fatalf("%s: never happened", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func concurrent(t *testing.T, st ghlsync.EngineState) {
	var wg sync.WaitGroup
	errs := make(chan error, 8*50)
	for w := range 8 {
		wg.Go(func() {
			for i := range 50 {
				id := fmt.Sprintf("w%d-%d", w, i)
				for _, err := range []error{
					st.Link(ctx, ghlsync.KindContact, id, "hl-"+id),
					st.SaveBase(ctx, ghlsync.KindContact, "hl-"+id, ghlsync.Record{}.Set(ghlsync.FieldFirstName, id)),
					st.Enqueue(ctx, id, time.Now()),
					st.AppendHistory(ctx, ghlsync.HistoryEntry{Person: id, Action: ghlsync.ActionCreated}),
				} {
					if err != nil {
						errs <- err
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n, _ := st.Queued(ctx); n != 400 {
		t.Fatalf("Queued = %d after 400 concurrent Enqueues", n)
	}
	for w := range 8 {
		id := fmt.Sprintf("w%d-49", w)
		if b, ok, _ := st.Base(ctx, ghlsync.KindContact, "hl-"+id); !ok || b.Get(ghlsync.FieldFirstName) != id {
			t.Fatalf("base of %s lost", id)
		}
	}
}

func reopen(t *testing.T, o Options) {
	st := o.Open(t)
	check(t, st.Link(ctx, ghlsync.KindNote, "n1", "hl-n1"))
	check(t, st.SaveBase(ctx, ghlsync.KindNote, "hl-n1", ghlsync.Record{}.Set("body", "kept")))
	check(t, st.SaveCheckpoint(ctx, "feed", []byte("cp")))
	check(t, st.Enqueue(ctx, "p1", time.Unix(100, 0)))
	check(t, st.AppendHistory(ctx, ghlsync.HistoryEntry{Person: "p1", Action: ghlsync.ActionCreated}))
	st = o.Reopen(t, st)
	if id, ok, _ := st.LocalID(ctx, ghlsync.KindNote, "hl-n1"); !ok || id != "n1" {
		t.Fatal("the link is gone after a reopen")
	}
	if b, _, _ := st.Base(ctx, ghlsync.KindNote, "hl-n1"); b.Get("body") != "kept" {
		t.Fatal("the base is gone after a reopen")
	}
	if cp, _ := st.Checkpoint(ctx, "feed"); string(cp) != "cp" {
		t.Fatal("the checkpoint is gone after a reopen")
	}
	if e, ok, _ := st.Pending(ctx, "p1"); !ok || !e.Since.Equal(time.Unix(100, 0)) {
		t.Fatal("the outbox entry is gone after a reopen")
	}
	n := 0
	check(t, st.History(ctx, "p1", func(ghlsync.HistoryEntry) bool { n++; return true }))
	if n != 1 {
		t.Fatal("the history is gone after a reopen")
	}
	// Seq keeps growing: an entry queued after the reopen is not mistaken
	// for one dequeued before it.
	before, _, _ := st.Pending(ctx, "p1")
	check(t, st.Enqueue(ctx, "p1", time.Unix(200, 0)))
	if after, _, _ := st.Pending(ctx, "p1"); after.Seq <= before.Seq {
		t.Fatalf("Seq went from %d to %d across a reopen", before.Seq, after.Seq)
	}
}
