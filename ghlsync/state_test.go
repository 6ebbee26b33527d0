package ghlsync_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl/ghlsync"
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

	_, ok, err := st.Base(ctx, ghlsync.KindContact, "c1")
	require.NoError(t, err)
	assert.False(t, ok)
	base := rec(1, "city", "Paris", "tags", "a,b")
	require.NoError(t, st.SaveBase(ctx, ghlsync.KindContact, "c1", base))
	got, ok, _ := st.Base(ctx, ghlsync.KindContact, "c1")
	require.True(t, ok)
	assert.True(t, got.Equal(base))
	got.Fields["city"] = "changed"
	again, _, _ := st.Base(ctx, ghlsync.KindContact, "c1")
	assert.Equal(t, "Paris", again.Get("city"), "Base returns a copy")

	require.NoError(t, st.Link(ctx, ghlsync.KindTask, "local-1", "remote-1"))
	r, ok, _ := st.RemoteID(ctx, ghlsync.KindTask, "local-1")
	assert.True(t, ok)
	assert.Equal(t, "remote-1", r)
	l, ok, _ := st.LocalID(ctx, ghlsync.KindTask, "remote-1")
	assert.True(t, ok)
	assert.Equal(t, "local-1", l)
	_, ok, _ = st.RemoteID(ctx, ghlsync.KindNote, "local-1")
	assert.False(t, ok, "links are per kind")
	require.NoError(t, st.Link(ctx, ghlsync.KindTask, "local-1", "remote-2"))
	_, ok, _ = st.LocalID(ctx, ghlsync.KindTask, "remote-1")
	assert.False(t, ok, "relinking drops the old pair")
	assert.Error(t, st.Link(ctx, ghlsync.KindTask, "", "x"))

	// One HighLevel record is never linked to two app records.
	err = st.Link(ctx, ghlsync.KindTask, "local-2", "remote-2")
	var le *ghlsync.LinkError
	require.ErrorAs(t, err, &le)
	assert.ErrorIs(t, err, ghlsync.ErrAlreadyLinked)
	assert.Equal(t, "local-1", le.LinkedTo)
	_, ok, _ = st.RemoteID(ctx, ghlsync.KindTask, "local-2")
	assert.False(t, ok, "nothing linked")
	require.NoError(t, st.Unlink(ctx, ghlsync.KindTask, "local-1"))
	_, ok, _ = st.LocalID(ctx, ghlsync.KindTask, "remote-2")
	assert.False(t, ok, "unlinked")
	require.NoError(t, st.Link(ctx, ghlsync.KindTask, "local-2", "remote-2"), "free to link once unlinked")
}

func TestMemoryState(t *testing.T) { stateContract(t, ghlsync.NewMemoryState()) }

func TestFileStateSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	st, err := ghlsync.OpenFileState(path)
	require.NoError(t, err)
	stateContract(t, st)
	require.NoError(t, st.Close())

	again, err := ghlsync.OpenFileState(path)
	require.NoError(t, err)
	defer again.Close()
	ctx := context.Background()
	cp, _ := again.Checkpoint(ctx, "contacts")
	assert.Equal(t, `{"ts":"x"}`, string(cp))
	b, ok, _ := again.Base(ctx, ghlsync.KindContact, "c1")
	assert.True(t, ok)
	assert.Equal(t, []string{"a", "b"}, b.Tags)
	l, ok, _ := again.LocalID(ctx, ghlsync.KindTask, "remote-2")
	assert.True(t, ok)
	assert.Equal(t, "local-2", l, "the contract's last link")

	entries, _ := os.ReadDir(filepath.Dir(path))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{"state.json", "state.json.lock"}, names, "no temporary files left behind")
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
	require.NoError(t, os.Remove(filepath.Join(dir, "state.json.lock")))
	require.NoError(t, os.Remove(dir)) // every write now fails
	assert.Error(t, st.SaveCheckpoint(context.Background(), "x", []byte("1")))
	cp, _ := st.Checkpoint(context.Background(), "x")
	assert.Nil(t, cp)
}

// TestFileStateRefusesLinksAndOtherUsersFiles: a state file (or its lock
// file) planted as a symbolic link in a shared directory, or owned by
// another user, is refused, and the link's target is neither read nor
// written.
func TestFileStateRefusesLinksAndOtherUsersFiles(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "elsewhere.json")
	require.NoError(t, os.WriteFile(target, []byte(`{"checkpoints":{},"bases":{},"links":{}}`), 0o600))
	link := filepath.Join(dir, "state.json")
	require.NoError(t, os.Symlink(target, link))
	_, err := ghlsync.OpenFileState(link)
	require.ErrorContains(t, err, "symbolic link")

	lockLink := filepath.Join(dir, "other.json")
	require.NoError(t, os.Symlink(target, lockLink+".lock"))
	_, err = ghlsync.OpenFileState(lockLink)
	require.ErrorContains(t, err, "symbolic link")
	b, _ := os.ReadFile(target)
	assert.Equal(t, `{"checkpoints":{},"bases":{},"links":{}}`, string(b), "the target was not touched")

	if os.Getuid() != 0 {
		t.Skip("changing a file's owner needs root")
	}
	foreign := filepath.Join(dir, "foreign.json")
	require.NoError(t, os.WriteFile(foreign, []byte(`{}`), 0o644))
	require.NoError(t, os.Chown(foreign, 65534, 65534))
	_, err = ghlsync.OpenFileState(foreign)
	require.ErrorContains(t, err, "belongs to user 65534")
}

// TestFileStateOneProcessAtATime: while one process holds a state file,
// another (a real second OS process) is refused with ErrStateInUse instead
// of silently losing the first one's changes; once the first closes, it
// opens.
func TestFileStateOneProcessAtATime(t *testing.T) {
	if path := os.Getenv("GHL_STATE_HOLDER"); path != "" { // the second process
		_, err := ghlsync.OpenFileState(path)
		if errors.Is(err, ghlsync.ErrStateInUse) {
			os.Exit(3)
		}
		if err != nil {
			os.Exit(4)
		}
		os.Exit(0)
	}
	path := filepath.Join(t.TempDir(), "state.json")
	st, err := ghlsync.OpenFileState(path)
	require.NoError(t, err)
	require.NoError(t, st.SaveCheckpoint(context.Background(), "contacts", []byte("1")))

	other := func() int {
		cmd := exec.Command(os.Args[0], "-test.run=^TestFileStateOneProcessAtATime$")
		cmd.Env = append(os.Environ(), "GHL_STATE_HOLDER="+path)
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		require.NoError(t, err)
		return 0
	}
	assert.Equal(t, 3, other(), "a second process is refused while the first holds the file")
	_, err = ghlsync.OpenFileState(path)
	assert.ErrorIs(t, err, ghlsync.ErrStateInUse, "so is a second FileState of this process")

	require.NoError(t, st.Close())
	assert.Equal(t, 0, other(), "once closed, another process opens it")
}
