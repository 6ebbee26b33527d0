package ghlsync_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghlsync"
	"github.com/ghlkit/ghl/ghltest"
)

func taskWrites(srv *ghltest.Server) int {
	return srv.RequestCount("POST", "/contacts/*/tasks") + srv.RequestCount("PUT", "/contacts/*/tasks/*") +
		srv.RequestCount("PUT", "/contacts/*/tasks/*/completed")
}

func byLocal(items []ghlsync.Task) map[string]ghlsync.Task {
	m := map[string]ghlsync.Task{}
	for _, t := range items {
		m[t.LocalID] = t
	}
	return m
}

// TestSyncTasksBothWays: tasks flow both ways, a re-run is a no-op,
// completion flows both ways, and a conflict is decided by the policy.
func TestSyncTasksBothWays(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	c := fastClient(t, srv)
	st := ghlsync.NewMemoryState()
	ct, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("t@example.com")})
	require.NoError(t, err)
	due := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	remoteOnly, err := c.Tasks.Create(ctx, ct.ID, ghl.CreateTaskRequest{Title: "Call back", DueDate: due})
	require.NoError(t, err)

	local := []ghlsync.Task{
		{LocalID: "t1", Title: "Send contract", DueDate: due, UpdatedAt: time.Now()},
		{LocalID: "t2", Title: "Book visit", Body: "Tuesday", DueDate: due.Add(24 * time.Hour), UpdatedAt: time.Now()},
	}
	res, err := (&ghlsync.Syncer{Client: c, State: st}).SyncTasks(ctx, ct.ID, local)
	require.NoError(t, err)
	assert.Equal(t, 2, res.Created)
	assert.Equal(t, 1, res.Pulled)
	require.Len(t, res.Items, 3)
	items := byLocal(res.Items)
	assert.Equal(t, remoteOnly.ID, items["ghl-"+remoteOnly.ID].RemoteID)
	assert.Equal(t, "Call back", items["ghl-"+remoteOnly.ID].Title)
	remote, _ := c.Tasks.List(ctx, ct.ID)
	assert.Len(t, remote, 3)

	// A re-run with nothing changed writes nothing and creates nothing.
	before := taskWrites(srv)
	res, err = (&ghlsync.Syncer{Client: c, State: st}).SyncTasks(ctx, ct.ID, res.Items)
	require.NoError(t, err)
	assert.Zero(t, res.Created+res.Pushed+res.Pulled)
	assert.Equal(t, before, taskWrites(srv), "a no-op run sends no write")

	// Completed in HighLevel: the app's copy completes.
	items = byLocal(res.Items)
	_, err = c.Tasks.Complete(ctx, ct.ID, items["t1"].RemoteID, true)
	require.NoError(t, err)
	// Completed in the app: HighLevel's completes.
	t2 := items["t2"]
	t2.Completed, t2.UpdatedAt = true, time.Now()
	items["t2"] = t2
	res, err = (&ghlsync.Syncer{Client: c, State: st}).SyncTasks(ctx, ct.ID, []ghlsync.Task{items["t1"], items["t2"], items["ghl-"+remoteOnly.ID]})
	require.NoError(t, err)
	items = byLocal(res.Items)
	assert.True(t, items["t1"].Completed, "completion flowed from HighLevel")
	got, _ := c.Tasks.Get(ctx, ct.ID, items["t2"].RemoteID)
	assert.True(t, got.Completed, "completion flowed to HighLevel")
	assert.Equal(t, 1, res.Pushed)
	assert.Equal(t, 1, res.Pulled)

	// Both sides retitle the same task: RemoteWins decides, and says so.
	_, err = c.Tasks.Update(ctx, ct.ID, items["t1"].RemoteID, ghl.UpdateTaskRequest{Title: ghl.Ptr("Send contract v2")})
	require.NoError(t, err)
	t1 := items["t1"]
	t1.Title = "Send signed contract"
	items["t1"] = t1
	res, err = (&ghlsync.Syncer{Client: c, State: st, Merge: ghlsync.MergeOptions{Policy: ghlsync.RemoteWins}}).SyncTasks(ctx, ct.ID, []ghlsync.Task{items["t1"], items["t2"], items["ghl-"+remoteOnly.ID]})
	require.NoError(t, err)
	require.Len(t, res.Conflicts, 1)
	assert.Equal(t, "title", res.Conflicts[0].Field)
	assert.Equal(t, "Send contract v2", byLocal(res.Items)["t1"].Title)
	remote, _ = c.Tasks.List(ctx, ct.ID)
	assert.Len(t, remote, 3, "no task was duplicated")
}

// TestSyncTasksUnknownOutcomeCreatesOnce: a task create whose answer is lost
// is adopted, not sent again.
func TestSyncTasksUnknownOutcomeCreatesOnce(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	c := fastClient(t, srv)
	ct, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("u@example.com")})
	require.NoError(t, err)
	srv.Inject(ghltest.Fault{Method: "POST", Path: "/contacts/*/tasks", DropAfter: true})
	st := ghlsync.NewMemoryState()
	res, err := (&ghlsync.Syncer{Client: c, State: st}).SyncTasks(ctx, ct.ID, []ghlsync.Task{{LocalID: "t1", Title: "Welcome", DueDate: time.Now().Add(time.Hour)}})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Created)
	remote, _ := c.Tasks.List(ctx, ct.ID)
	require.Len(t, remote, 1)
	assert.Equal(t, remote[0].ID, res.Items[0].RemoteID)
	again, err := (&ghlsync.Syncer{Client: c, State: st}).SyncTasks(ctx, ct.ID, res.Items)
	require.NoError(t, err)
	assert.Zero(t, again.Created, "the re-run finds the link")
	remote, _ = c.Tasks.List(ctx, ct.ID)
	assert.Len(t, remote, 1)
}

// TestSyncNotes: notes flow both ways and a re-run is a no-op.
func TestSyncNotes(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	c := fastClient(t, srv)
	ct, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("n@example.com")})
	require.NoError(t, err)
	_, err = c.Notes.Create(ctx, ct.ID, ghl.CreateNoteRequest{Body: "From HighLevel"})
	require.NoError(t, err)
	st := ghlsync.NewMemoryState()
	res, err := (&ghlsync.Syncer{Client: c, State: st}).SyncNotes(ctx, ct.ID, []ghlsync.Note{{LocalID: "n1", Body: "From the app"}})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Created)
	assert.Equal(t, 1, res.Pulled)
	require.Len(t, res.Items, 2)
	notes, _ := c.Notes.List(ctx, ct.ID)
	assert.Len(t, notes, 2)

	res.Items[0].Body = "From the app, edited"
	res.Items[0].UpdatedAt = time.Now()
	res, err = (&ghlsync.Syncer{Client: c, State: st}).SyncNotes(ctx, ct.ID, res.Items)
	require.NoError(t, err)
	assert.Equal(t, 1, res.Pushed)
	got, _ := c.Notes.Get(ctx, ct.ID, res.Items[0].RemoteID)
	assert.Equal(t, "From the app, edited", got.Body)
	res, err = (&ghlsync.Syncer{Client: c, State: st}).SyncNotes(ctx, ct.ID, res.Items)
	require.NoError(t, err)
	assert.Zero(t, res.Created+res.Pushed+res.Pulled)
}

// TestPartialNoteSyncKeepsWhatWasPulled (defect 2): a person edits note A
// in HighLevel while the app's new note B cannot be created (the create's
// connection drops). The result still reaches the app, with
// A's new body; after the app saves it, the next run creates B and A keeps
// the person's body on both sides.
func TestPartialNoteSyncKeepsWhatWasPulled(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	c := fastClient(t, srv)
	st := ghlsync.NewMemoryState()
	ct, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("n@example.com")})
	require.NoError(t, err)
	notes := []ghlsync.Note{{LocalID: "a", Body: "from the app"}}
	res, err := (&ghlsync.Syncer{Client: c, State: st, Merge: ghlsync.MergeOptions{Policy: ghlsync.RemoteWins}}).SyncNotes(ctx, ct.ID, notes)
	require.NoError(t, err)
	notes = res.Items
	require.NoError(t, res.Commit(ctx))

	srv.Inject(ghltest.Fault{Method: "POST", Path: "/contacts/*/notes", DropBefore: true}) // a create is never resent: one drop fails it
	notes = append(notes, ghlsync.Note{LocalID: "b", Body: "new in the app"})
	_, err = c.Notes.Update(ctx, ct.ID, notes[0].RemoteID, ghl.UpdateNoteRequest{Body: ghl.Ptr("edited by a person")})
	require.NoError(t, err)
	res, err = (&ghlsync.Syncer{Client: c, State: st, Merge: ghlsync.MergeOptions{Policy: ghlsync.RemoteWins}}).SyncNotes(ctx, ct.ID, notes)
	require.Error(t, err)
	require.NotNil(t, res, "a partial result comes with the error")
	require.Len(t, res.Items, 2, "every item, the ones not reached as given")
	assert.Equal(t, "edited by a person", res.Items[0].Body, "the pulled change reaches the app")
	notes = res.Items // the app saves what it got
	require.NoError(t, res.Commit(ctx))

	res, err = (&ghlsync.Syncer{Client: c, State: st, Merge: ghlsync.MergeOptions{Policy: ghlsync.RemoteWins}}).SyncNotes(ctx, ct.ID, notes)
	require.NoError(t, err)
	require.NoError(t, res.Commit(ctx))
	hl, err := c.Notes.List(ctx, ct.ID)
	require.NoError(t, err)
	bodies := map[string]int{}
	for _, n := range hl {
		bodies[n.Body]++
	}
	assert.Equal(t, map[string]int{"edited by a person": 1, "new in the app": 1}, bodies, "HighLevel")
	assert.Equal(t, "edited by a person", res.Items[0].Body, "the app")
}

// TestTaskPulledBeforeACrashStillArrives (defect 6, tasks): a task made in
// HighLevel is pulled, and the app dies before saving it (no Commit). The
// next run brings it again, instead of taking it for one the app deleted.
func TestTaskPulledBeforeACrashStillArrives(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	c := fastClient(t, srv)
	st := ghlsync.NewMemoryState()
	ct, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("t@example.com")})
	require.NoError(t, err)
	_, err = c.Tasks.Create(ctx, ct.ID, ghl.CreateTaskRequest{Title: "Call", DueDate: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)})
	require.NoError(t, err)
	res, err := (&ghlsync.Syncer{Client: c, State: st}).SyncTasks(ctx, ct.ID, nil)
	require.NoError(t, err)
	require.Len(t, res.Items, 1)
	// The app dies before saving the task: no Commit.

	res, err = (&ghlsync.Syncer{Client: c, State: st}).SyncTasks(ctx, ct.ID, nil)
	require.NoError(t, err)
	require.Len(t, res.Items, 1, "the task arrives again")
	assert.Equal(t, "Call", res.Items[0].Title)
	require.NoError(t, res.Commit(ctx))
	tasks := res.Items
	res, err = (&ghlsync.Syncer{Client: c, State: st}).SyncTasks(ctx, ct.ID, tasks)
	require.NoError(t, err)
	assert.Len(t, res.Items, 1, "once the app holds it, it is not pulled twice")
	assert.Zero(t, res.Pulled+res.Created+res.Pushed)
}
