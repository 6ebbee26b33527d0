package sync_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	ghlsync "github.com/ghlkit/ghl/sync"
)

// stateContract runs the State promises on an implementation.
func stateContract(t *testing.T, st ghlsync.State) {
	ctx := context.Background()
	cp, err := st.Checkpoint(ctx, "contacts")
	require.NoError(t, err)
	assert.Nil(t, cp)
	require.NoError(t, st.SaveCheckpoint(ctx, "contacts", []byte(`{"ts":"x"}`)))
	cp, _ = st.Checkpoint(ctx, "contacts")
	assert.Equal(t, `{"ts":"x"}`, string(cp))

	_, ok, err := st.Base(ctx, "c1")
	require.NoError(t, err)
	assert.False(t, ok)
	base := rec(1, "city", "Paris", "tags", "a,b")
	require.NoError(t, st.SaveBase(ctx, "c1", base))
	got, ok, _ := st.Base(ctx, "c1")
	require.True(t, ok)
	assert.True(t, got.Equal(base))
	got.Fields["city"] = "changed"
	again, _, _ := st.Base(ctx, "c1")
	assert.Equal(t, "Paris", again.Get("city"), "Base returns a copy")

	require.NoError(t, st.Link(ctx, "task", "local-1", "remote-1"))
	r, ok, _ := st.RemoteID(ctx, "task", "local-1")
	assert.True(t, ok)
	assert.Equal(t, "remote-1", r)
	l, ok, _ := st.LocalID(ctx, "task", "remote-1")
	assert.True(t, ok)
	assert.Equal(t, "local-1", l)
	_, ok, _ = st.RemoteID(ctx, "note", "local-1")
	assert.False(t, ok, "links are per kind")
	require.NoError(t, st.Link(ctx, "task", "local-1", "remote-2"))
	_, ok, _ = st.LocalID(ctx, "task", "remote-1")
	assert.False(t, ok, "relinking drops the old pair")
	assert.Error(t, st.Link(ctx, "task", "", "x"))
}

func TestMemoryState(t *testing.T) { stateContract(t, ghlsync.NewMemoryState()) }

func TestFileStateSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	st, err := ghlsync.OpenFileState(path)
	require.NoError(t, err)
	stateContract(t, st)

	again, err := ghlsync.OpenFileState(path)
	require.NoError(t, err)
	ctx := context.Background()
	cp, _ := again.Checkpoint(ctx, "contacts")
	assert.Equal(t, `{"ts":"x"}`, string(cp))
	b, ok, _ := again.Base(ctx, "c1")
	assert.True(t, ok)
	assert.Equal(t, []string{"a", "b"}, b.Tags)
	l, ok, _ := again.LocalID(ctx, "task", "remote-2")
	assert.True(t, ok)
	assert.Equal(t, "local-1", l)

	entries, _ := os.ReadDir(filepath.Dir(path))
	assert.Len(t, entries, 1, "no temporary files left behind")
}

func TestFileStateRefusesAForeignFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	require.NoError(t, os.WriteFile(path, []byte("not json"), 0o600))
	_, err := ghlsync.OpenFileState(path)
	assert.Error(t, err)
	b, _ := os.ReadFile(path)
	assert.Equal(t, "not json", string(b), "never overwritten")
}

// TestFileStateFailedSaveChangesNothing: when the file cannot be written,
// the change is not kept in memory either.
func TestFileStateFailedSaveChangesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gone")
	require.NoError(t, os.Mkdir(dir, 0o700))
	st, err := ghlsync.OpenFileState(filepath.Join(dir, "state.json"))
	require.NoError(t, err)
	require.NoError(t, os.Remove(dir)) // every write now fails
	assert.Error(t, st.SaveCheckpoint(context.Background(), "x", []byte("1")))
	cp, _ := st.Checkpoint(context.Background(), "x")
	assert.Nil(t, cp)
}
