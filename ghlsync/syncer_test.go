package ghlsync_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghlsync"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/internal/testenv"
)

// appContact is the test app's record of a person.
type appContact struct {
	rec   ghlsync.Record
	tasks []ghlsync.Task
	notes []ghlsync.Note
}

var syncedFields = []string{ghlsync.FieldFirstName, ghlsync.FieldLastName, ghlsync.FieldEmail, ghlsync.FieldCity, "tags"}

func allWrites(srv *ghltest.Server) int {
	n := 0
	for _, m := range []string{"POST", "PUT", "DELETE"} {
		n += srv.RequestCount(m, "/contacts/*") + srv.RequestCount(m, "/contacts/*/*") + srv.RequestCount(m, "/contacts/*/*/*") +
			srv.RequestCount(m, "/contacts/*/*/*/*")
	}
	return n - srv.RequestCount("POST", "/contacts/search")
}

// syncAll runs one sync cycle over the app's contacts.
func syncAll(t *testing.T, s *ghlsync.Syncer, app map[string]*appContact) (conflicts int) {
	ctx := context.Background()
	for id, a := range app {
		res, err := s.SyncContact(ctx, id, a.rec, nil)
		require.NoError(t, err, id)
		conflicts += len(res.Conflicts)
		a.rec = res.Local
		require.NoError(t, res.Commit(ctx))
		tr, err := (&ghlsync.Syncer{Client: s.Client, State: s.State, Merge: s.Merge}).SyncTasks(ctx, res.RemoteID, a.tasks)
		require.NoError(t, err)
		a.tasks = tr.Items
		require.NoError(t, tr.Commit(ctx))
		nr, err := (&ghlsync.Syncer{Client: s.Client, State: s.State, Merge: s.Merge}).SyncNotes(ctx, res.RemoteID, a.notes)
		require.NoError(t, err)
		a.notes = nr.Items
		require.NoError(t, nr.Commit(ctx))
	}
	return conflicts
}

// TestTwoWaySyncConverges: contacts with tasks and notes, edited on both
// sides for several rounds, converge with no duplicate contact, task or
// note, and a final round with no changes sends zero writes.
func TestTwoWaySyncConverges(t *testing.T) {
	t.Parallel()
	n := 150 // 1,000 in the long run (GHL_TEST_LONG=1)
	if testenv.Long() && !raceEnabled {
		n = 1000
	}
	ctx := context.Background()
	srv := newServer(t)
	c := fastClient(t, srv)
	s := &ghlsync.Syncer{Client: c, State: ghlsync.NewMemoryState(), Fields: syncedFields,
		Merge: ghlsync.MergeOptions{Policy: ghlsync.RemoteWins}}
	app := map[string]*appContact{}
	due := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for i := range n {
		id := fmt.Sprintf("app-%04d", i)
		rec := ghlsync.Record{}.Set(ghlsync.FieldFirstName, "Person").Set(ghlsync.FieldLastName, fmt.Sprint(i)).
			Set(ghlsync.FieldEmail, fmt.Sprintf("p%d@example.com", i)).Set(ghlsync.FieldCity, "Paris")
		rec.Tags = []string{"member"}
		app[id] = &appContact{rec: rec,
			tasks: []ghlsync.Task{{LocalID: id + "-t1", Title: "Welcome call", DueDate: due}},
			notes: []ghlsync.Note{{LocalID: id + "-n1", Body: "Joined"}}}
	}
	syncAll(t, s, app)

	rng := rand.New(rand.NewPCG(5, 6))
	conflicts := 0
	for round := 1; round <= 3; round++ {
		for id, a := range app {
			rid, _, _ := s.State.RemoteID(ctx, ghlsync.KindContact, id)
			switch rng.IntN(6) {
			case 0: // the app edits
				a.rec = a.rec.Set(ghlsync.FieldCity, fmt.Sprint("App city ", round))
				a.rec.Tags = append(a.rec.Tags, fmt.Sprint("app", round))
				a.rec.UpdatedAt = time.Now()
				a.tasks[0].Completed = true
			case 1: // HighLevel edits
				_, err := c.Contacts.Update(ctx, rid, ghl.UpdateContactRequest{FirstName: ghl.Ptr(fmt.Sprint("Remote ", round))})
				require.NoError(t, err)
				_, err = c.Tags.Add(ctx, rid, []string{fmt.Sprint("remote", round)})
				require.NoError(t, err)
				_, err = c.Notes.Create(ctx, rid, ghl.CreateNoteRequest{Body: fmt.Sprint("Remote note ", round)})
				require.NoError(t, err)
			case 2: // both edit the same field
				a.rec = a.rec.Set(ghlsync.FieldCity, "App side")
				_, err := c.Contacts.Update(ctx, rid, ghl.UpdateContactRequest{City: ghl.Ptr("Remote side")})
				require.NoError(t, err)
			}
		}
		conflicts += syncAll(t, s, app)
	}
	assert.Positive(t, conflicts)

	before := allWrites(srv)
	syncAll(t, s, app)
	assert.Equal(t, before, allWrites(srv), "a round with no changes sends no write")

	assert.Equal(t, n, srv.ContactCount(ghltest.DefaultLocationID), "no duplicate contact")
	for id, a := range app {
		rid, _, _ := s.State.RemoteID(ctx, ghlsync.KindContact, id)
		remote, err := c.Contacts.Get(ctx, rid)
		require.NoError(t, err)
		got := ghlsync.FromContact(*remote)
		for _, f := range syncedFields[:4] {
			assert.Equal(t, got.Get(f), a.rec.Get(f), "%s %s", id, f)
		}
		assert.Equal(t, got.Tags, ghlsync.NormalizeTags(a.rec.Tags), id)
		tasks, _ := c.Tasks.List(ctx, rid)
		notes, _ := c.Notes.List(ctx, rid)
		assert.Len(t, tasks, len(a.tasks), "no duplicate task")
		assert.Len(t, notes, len(a.notes), "no duplicate note")
		assert.Equal(t, a.tasks[0].Completed, tasks[0].Completed)
	}
}

// TestEchoCausesNoWrite: a change the sync pushed, coming back from
// HighLevel, causes no write; a different change arriving after it is
// applied.
func TestEchoCausesNoWrite(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	c := fastClient(t, srv)
	s := &ghlsync.Syncer{Client: c, State: ghlsync.NewMemoryState(), Fields: syncedFields}
	rec := ghlsync.Record{}.Set(ghlsync.FieldEmail, "echo@example.com").Set(ghlsync.FieldCity, "Paris")
	res, err := s.SyncContact(ctx, "a1", rec, nil)
	require.NoError(t, err)
	rec = res.Local.Set(ghlsync.FieldCity, "Lyon")
	rec.UpdatedAt = time.Now()
	res, err = s.SyncContact(ctx, "a1", rec, nil)
	require.NoError(t, err)
	require.True(t, res.Pushed)

	// The echo: HighLevel's state after our write, as a webhook or the feed
	// would bring it.
	echo, err := c.Contacts.Get(ctx, res.RemoteID)
	require.NoError(t, err)
	before := allWrites(srv)
	res2, err := s.SyncContact(ctx, "a1", res.Local, echo)
	require.NoError(t, err)
	assert.False(t, res2.Pushed)
	assert.False(t, res2.LocalChanged)
	assert.Equal(t, before, allWrites(srv), "the echo caused no write")

	// A genuine change a second later is applied.
	_, err = c.Contacts.Update(ctx, res.RemoteID, ghl.UpdateContactRequest{City: ghl.Ptr("Nice")})
	require.NoError(t, err)
	res3, err := s.SyncContact(ctx, "a1", res2.Local, nil)
	require.NoError(t, err)
	assert.True(t, res3.LocalChanged)
	assert.Equal(t, "Nice", res3.Local.Get(ghlsync.FieldCity))
}

// TestSyncerClearsAField: a field the app empties is emptied in HighLevel.
func TestSyncerClearsAField(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	c := fastClient(t, srv)
	s := &ghlsync.Syncer{Client: c, State: ghlsync.NewMemoryState(), Fields: syncedFields}
	res, err := s.SyncContact(ctx, "a1", ghlsync.Record{}.Set(ghlsync.FieldEmail, "clear@example.com").Set(ghlsync.FieldCity, "Paris"), nil)
	require.NoError(t, err)
	cleared := res.Local.Set(ghlsync.FieldCity, "")
	cleared.UpdatedAt = time.Now()
	res, err = s.SyncContact(ctx, "a1", cleared, nil)
	require.NoError(t, err)
	assert.True(t, res.Pushed)
	assert.Empty(t, res.Cleared)
	got, err := c.Contacts.Get(ctx, res.RemoteID)
	require.NoError(t, err)
	assert.Empty(t, got.City)
}

// syncOne runs SyncContact for one app record, saves the result in the app
// and commits, as an app does.
func syncOne(t *testing.T, s *ghlsync.Syncer, id string, local *ghlsync.Record, remote *ghl.Contact) *ghlsync.ContactResult {
	t.Helper()
	res, err := s.SyncContact(context.Background(), id, *local, remote)
	require.NoError(t, err, id)
	*local = res.Local
	require.NoError(t, res.Commit(context.Background()))
	return res
}

func person(first, email string) ghlsync.Record {
	return ghlsync.Record{}.Set(ghlsync.FieldFirstName, first).Set(ghlsync.FieldEmail, email)
}

// TestStaleSnapshotIsNeverMerged (defect 1): a person edits city in
// HighLevel; the app adds tag vip and pushes it; the app adds tag beta;
// then a snapshot from before the push arrives (a lagging index, a
// restarted Stream with an empty order guard). It is not merged: read
// again, vip stays on both sides.
func TestStaleSnapshotIsNeverMerged(t *testing.T) {
	ctx := context.Background()
	clk := ghltest.NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	srv := newServer(t, ghltest.WithClock(clk.Now))
	c := fastClient(t, srv)
	s := &ghlsync.Syncer{Client: c, State: ghlsync.NewMemoryState(), Fields: syncedFields}
	p := person("Ada", "ada@example.com")
	res := syncOne(t, s, "p", &p, nil)

	clk.Advance(time.Second)
	_, err := c.Contacts.Update(ctx, res.RemoteID, ghl.UpdateContactRequest{City: ghl.Ptr("Oslo")}) // a person in HighLevel
	require.NoError(t, err)
	stale, err := c.Contacts.Get(ctx, res.RemoteID) // what a lagging search shows for the next while
	require.NoError(t, err)

	clk.Advance(time.Second)
	p.Tags = []string{"vip"}
	p.UpdatedAt = clk.Now()
	syncOne(t, s, "p", &p, nil) // pushes vip, pulls Oslo
	clk.Advance(100 * time.Millisecond)
	p.Tags = append(p.Tags, "beta")
	p.UpdatedAt = clk.Now()
	got := syncOne(t, s, "p", &p, stale)
	assert.True(t, got.Stale, "the snapshot was recognised as older than the sync's own write")

	hl, ok := srv.Contact(ghltest.DefaultLocationID, res.RemoteID)
	require.True(t, ok)
	assert.ElementsMatch(t, []string{"vip", "beta"}, ghlsync.NormalizeTags(hl.Tags), "HighLevel")
	assert.ElementsMatch(t, []string{"vip", "beta"}, p.Tags, "the app")
	assert.Equal(t, "Oslo", p.Get(ghlsync.FieldCity))
}

// TestCollidingKeysAreAConflictNotARelink (defect 5): an app record whose
// email is another linked record's gets a *LinkError and nothing is
// written, every cycle, instead of stealing the contact; the same when a
// person in HighLevel gives a linked contact the email of a record the app
// then creates.
func TestCollidingKeysAreAConflictNotARelink(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	c := fastClient(t, srv)
	s := &ghlsync.Syncer{Client: c, State: ghlsync.NewMemoryState(), Fields: syncedFields, Key: ghlsync.EnsureOptions{By: ghlsync.ByEmail}}
	p0, p1, p2 := person("P0", "p0@example.com"), person("P1", "p1@example.com"), person("P2", "p0@example.com") // p2 takes p0's email
	r0 := syncOne(t, s, "p0", &p0, nil)
	syncOne(t, s, "p1", &p1, nil)
	for cycle := range 2 {
		before := allWrites(srv)
		_, err := s.SyncContact(ctx, "p2", p2, nil)
		var le *ghlsync.LinkError
		require.ErrorAs(t, err, &le, "cycle %d", cycle)
		assert.ErrorIs(t, err, ghlsync.ErrAlreadyLinked)
		assert.Equal(t, "p0", le.LinkedTo)
		assert.Equal(t, r0.RemoteID, le.RemoteID)
		assert.Equal(t, before, allWrites(srv), "nothing written")
		rid, ok, _ := s.State.RemoteID(ctx, ghlsync.KindContact, "p0")
		assert.True(t, ok && rid == r0.RemoteID, "p0 keeps its contact")
		hl, _ := srv.Contact(ghltest.DefaultLocationID, r0.RemoteID)
		assert.Equal(t, "P0", hl.FirstName, "p0's contact untouched")
	}

	// From HighLevel's side: someone gives p1's contact the email of a
	// person the app then creates.
	r1, _, _ := s.State.RemoteID(ctx, ghlsync.KindContact, "p1")
	_, err := c.Contacts.Update(ctx, r1, ghl.UpdateContactRequest{Email: ghl.Ptr("p3@example.com")})
	require.NoError(t, err)
	p3 := person("P3", "p3@example.com")
	_, err = s.SyncContact(ctx, "p3", p3, nil)
	require.ErrorIs(t, err, ghlsync.ErrAlreadyLinked)
	hl, _ := srv.Contact(ghltest.DefaultLocationID, r1)
	assert.Equal(t, "P1", hl.FirstName, "p1's contact was not overwritten with p3's fields")
}

// TestCrashBeforeTheAppSavedLosesNothing (defect 6): a person changes city
// in HighLevel; the sync pulls it, and the app dies before saving it (no
// Commit). After a restart the change comes again, and ends on both sides.
func TestCrashBeforeTheAppSavedLosesNothing(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	c := fastClient(t, srv)
	state := ghlsync.NewMemoryState()
	s := &ghlsync.Syncer{Client: c, State: state, Fields: syncedFields}
	p := person("Ada", "ada@example.com").Set(ghlsync.FieldCity, "Lima")
	res := syncOne(t, s, "p", &p, nil)
	_, err := c.Contacts.Update(ctx, res.RemoteID, ghl.UpdateContactRequest{City: ghl.Ptr("R1")})
	require.NoError(t, err)

	got, err := s.SyncContact(ctx, "p", p, nil)
	require.NoError(t, err)
	require.True(t, got.LocalChanged)
	// The app process dies here: p is not saved, nothing is committed.

	s = &ghlsync.Syncer{Client: c, State: state, Fields: syncedFields} // restart on the same state
	syncOne(t, s, "p", &p, nil)
	assert.Equal(t, "R1", p.Get(ghlsync.FieldCity), "the app")
	hl, _ := srv.Contact(ghltest.DefaultLocationID, res.RemoteID)
	assert.Equal(t, "R1", hl.City, "HighLevel")
}

// TestAFieldHighLevelCannotClearStaysCleared (defect 7): the app sets
// postalCode, then clears it; HighLevel cannot clear it (Cleared), and the
// old value is never written back into the app, nor sent again.
func TestAFieldHighLevelCannotClearStaysCleared(t *testing.T) {
	srv := newServer(t)
	c := fastClient(t, srv)
	s := &ghlsync.Syncer{Client: c, State: ghlsync.NewMemoryState(), Fields: append(syncedFields, ghlsync.FieldPostalCode)}
	p := person("Ada", "ada@example.com").Set(ghlsync.FieldPostalCode, "94110")
	res := syncOne(t, s, "p", &p, nil)
	p = p.Set(ghlsync.FieldPostalCode, "")
	got := syncOne(t, s, "p", &p, nil)
	assert.Equal(t, []string{ghlsync.FieldPostalCode}, got.Cleared)
	before := allWrites(srv)
	for range 2 {
		got = syncOne(t, s, "p", &p, nil)
		assert.Empty(t, p.Get(ghlsync.FieldPostalCode), "the old value came back into the app")
		assert.False(t, got.LocalChanged)
	}
	assert.Equal(t, before, allWrites(srv), "nothing sent again")
	hl, _ := srv.Contact(ghltest.DefaultLocationID, res.RemoteID)
	assert.Equal(t, "94110", hl.PostalCode, "HighLevel keeps it (it cannot be cleared)")
}

// TestDNDChannelsAreNotWiped (defect 8): a person sets SMS DND inactive in
// HighLevel, the app sets Email DND active: both hold both channels after
// the cycle, and the next cycle keeps them.
func TestDNDChannelsAreNotWiped(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	c := fastClient(t, srv)
	fields := append(syncedFields, "dndSettings.SMS", "dndSettings.Email")
	s := &ghlsync.Syncer{Client: c, State: ghlsync.NewMemoryState(), Fields: fields}
	p := person("Ada", "ada@example.com").Set("dndSettings.SMS", "active").Set("dndSettings.Email", "inactive")
	res := syncOne(t, s, "p", &p, nil)
	_, err := c.Contacts.Update(ctx, res.RemoteID, ghl.UpdateContactRequest{DNDSettings: &ghl.DNDSettings{
		SMS: &ghl.DNDSetting{Status: "inactive"}, Email: &ghl.DNDSetting{Status: "inactive"}}})
	require.NoError(t, err)
	p = p.Set("dndSettings.Email", "active")
	p.UpdatedAt = time.Now()
	syncOne(t, s, "p", &p, nil)
	syncOne(t, s, "p", &p, nil)
	hl, _ := srv.Contact(ghltest.DefaultLocationID, res.RemoteID)
	require.NotNil(t, hl.DNDSettings)
	require.NotNil(t, hl.DNDSettings.SMS, "HighLevel's SMS channel was wiped")
	assert.Equal(t, "inactive", hl.DNDSettings.SMS.Status)
	assert.Equal(t, "active", hl.DNDSettings.Email.Status)
	assert.Equal(t, "inactive", p.Get("dndSettings.SMS"), "the app")
	assert.Equal(t, "active", p.Get("dndSettings.Email"), "the app")
}

// TestAContactIsNeverAdoptedTwice (defect 4): the natural loop adopts the
// contacts a stream names that the app does not know; a contact the app's
// own push created and linked is refused (a *LinkError), and one adopted is
// linked only when the app has saved it (Commit).
func TestAContactIsNeverAdoptedTwice(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	c := fastClient(t, srv)
	s := &ghlsync.Syncer{Client: c, State: ghlsync.NewMemoryState(), Fields: syncedFields}
	p := person("Ada", "ada@example.com")
	res := syncOne(t, s, "p", &p, nil)
	mine, ok := srv.Contact(ghltest.DefaultLocationID, res.RemoteID)
	require.True(t, ok)
	_, err := s.PullNew(ctx, "ghl-"+mine.ID, mine)
	require.ErrorIs(t, err, ghlsync.ErrAlreadyLinked, "the app's own contact is not adopted again")

	theirs, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("walkin@example.com")})
	require.NoError(t, err)
	pulled, err := s.PullNew(ctx, "ghl-"+theirs.ID, *theirs)
	require.NoError(t, err)
	_, linked, _ := s.State.LocalID(ctx, ghlsync.KindContact, theirs.ID)
	assert.False(t, linked, "not linked before the app saved it")
	require.NoError(t, pulled.Commit(ctx))
	local, linked, _ := s.State.LocalID(ctx, ghlsync.KindContact, theirs.ID)
	assert.True(t, linked)
	assert.Equal(t, "ghl-"+theirs.ID, local)
	_, err = s.PullNew(ctx, "other", *theirs)
	assert.ErrorIs(t, err, ghlsync.ErrAlreadyLinked, "nor adopted a second time under another ID")
}

// TestAWriteNeverUndoesAChangeMadeSinceTheSnapshot (found by the
// simulation): a snapshot the sync did not read itself, of the version it
// last saw, from before a person added a tag in HighLevel (the search index
// lags). The app adds its own tag: the write that follows does not send the
// old tag set over the person's.
func TestAWriteNeverUndoesAChangeMadeSinceTheSnapshot(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	c := fastClient(t, srv)
	s := &ghlsync.Syncer{Client: c, State: ghlsync.NewMemoryState(), Fields: syncedFields}
	p := person("Ada", "ada@example.com")
	res := syncOne(t, s, "p", &p, nil)
	snapshot, err := c.Contacts.Get(ctx, res.RemoteID) // what a lagging index still shows
	require.NoError(t, err)
	_, err = c.Tags.Add(ctx, res.RemoteID, []string{"lead"}) // a person in HighLevel
	require.NoError(t, err)

	p.Tags = []string{"gold"}
	p.UpdatedAt = time.Now()
	syncOne(t, s, "p", &p, snapshot)
	hl, _ := srv.Contact(ghltest.DefaultLocationID, res.RemoteID)
	assert.ElementsMatch(t, []string{"gold", "lead"}, ghlsync.NormalizeTags(hl.Tags), "HighLevel")
	assert.ElementsMatch(t, []string{"gold", "lead"}, p.Tags, "the app")
}
