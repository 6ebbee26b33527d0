package sync_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/internal/testenv"
	ghlsync "github.com/ghlkit/ghl/sync"
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
		tr, err := ghlsync.SyncTasks(ctx, s.Client, s.State, res.RemoteID, a.tasks, ghlsync.AssocOptions{Merge: s.Merge})
		require.NoError(t, err)
		a.tasks = tr.Items
		nr, err := ghlsync.SyncNotes(ctx, s.Client, s.State, res.RemoteID, a.notes, ghlsync.AssocOptions{Merge: s.Merge})
		require.NoError(t, err)
		a.notes = nr.Items
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
			rid, _, _ := s.State.RemoteID(ctx, "contact", id)
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
		rid, _, _ := s.State.RemoteID(ctx, "contact", id)
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
