package statetest_test

import (
	"path/filepath"
	"testing"

	"github.com/ghlkit/ghl/ghlsync"
	"github.com/ghlkit/ghl/ghlsync/statetest"
)

func TestMemoryState(t *testing.T) {
	statetest.Run(t, statetest.Options{Open: func(*testing.T) ghlsync.EngineState { return ghlsync.NewMemoryState() }})
}

func TestFileState(t *testing.T) {
	open := func(t *testing.T, path string) ghlsync.EngineState {
		st, err := ghlsync.OpenFileState(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		return st
	}
	statetest.Run(t, statetest.Options{
		Open: func(t *testing.T) ghlsync.EngineState { return open(t, filepath.Join(t.TempDir(), "state.json")) },
		Reopen: func(t *testing.T, st ghlsync.EngineState) ghlsync.EngineState {
			fs := st.(*ghlsync.FileState)
			_ = fs.Close()
			return open(t, fs.Path())
		},
	})
}
