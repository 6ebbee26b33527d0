package sync_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
	ghlsync "github.com/ghlkit/ghl/sync"
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
	res, err := ghlsync.SyncTasks(ctx, c, st, ct.ID, local, ghlsync.AssocOptions{})
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
	res, err = ghlsync.SyncTasks(ctx, c, st, ct.ID, res.Items, ghlsync.AssocOptions{})
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
	res, err = ghlsync.SyncTasks(ctx, c, st, ct.ID, []ghlsync.Task{items["t1"], items["t2"], items["ghl-"+remoteOnly.ID]}, ghlsync.AssocOptions{})
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
	res, err = ghlsync.SyncTasks(ctx, c, st, ct.ID, []ghlsync.Task{items["t1"], items["t2"], items["ghl-"+remoteOnly.ID]},
		ghlsync.AssocOptions{Merge: ghlsync.MergeOptions{Policy: ghlsync.RemoteWins}})
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
	res, err := ghlsync.SyncTasks(ctx, c, st, ct.ID, []ghlsync.Task{{LocalID: "t1", Title: "Welcome", DueDate: time.Now().Add(time.Hour)}}, ghlsync.AssocOptions{})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Created)
	remote, _ := c.Tasks.List(ctx, ct.ID)
	require.Len(t, remote, 1)
	assert.Equal(t, remote[0].ID, res.Items[0].RemoteID)
	again, err := ghlsync.SyncTasks(ctx, c, st, ct.ID, res.Items, ghlsync.AssocOptions{})
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
	res, err := ghlsync.SyncNotes(ctx, c, st, ct.ID, []ghlsync.Note{{LocalID: "n1", Body: "From the app"}}, ghlsync.AssocOptions{})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Created)
	assert.Equal(t, 1, res.Pulled)
	require.Len(t, res.Items, 2)
	notes, _ := c.Notes.List(ctx, ct.ID)
	assert.Len(t, notes, 2)

	res.Items[0].Body = "From the app, edited"
	res.Items[0].UpdatedAt = time.Now()
	res, err = ghlsync.SyncNotes(ctx, c, st, ct.ID, res.Items, ghlsync.AssocOptions{})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Pushed)
	got, _ := c.Notes.Get(ctx, ct.ID, res.Items[0].RemoteID)
	assert.Equal(t, "From the app, edited", got.Body)
	res, err = ghlsync.SyncNotes(ctx, c, st, ct.ID, res.Items, ghlsync.AssocOptions{})
	require.NoError(t, err)
	assert.Zero(t, res.Created+res.Pushed+res.Pulled)
}
