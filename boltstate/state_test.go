package boltstate_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/ghlkit/ghl/boltstate"
	"github.com/ghlkit/ghl/ghlsync"
	"github.com/ghlkit/ghl/ghlsync/statetest"
)

func open(t *testing.T, path string) *boltstate.State {
	t.Helper()
	st, err := boltstate.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// TestContract: the embedded state keeps ghlsync's State contract, across
// a reopen.
func TestContract(t *testing.T) {
	statetest.Run(t, statetest.Options{
		Open: func(t *testing.T) ghlsync.EngineState { return open(t, filepath.Join(t.TempDir(), "sync.db")) },
		Reopen: func(t *testing.T, st ghlsync.EngineState) ghlsync.EngineState {
			b := st.(*boltstate.State)
			_ = b.Close()
			return open(t, b.Path())
		},
	})
}

// TestBatchIsAllOrNothing: a batch's writes are seen inside it, committed
// together, and a batch that fails changes nothing.
func TestBatchIsAllOrNothing(t *testing.T) {
	st := open(t, filepath.Join(t.TempDir(), "sync.db"))
	ctx := context.Background()
	err := st.Batch(ctx, func(ctx context.Context) error {
		if err := st.Link(ctx, ghlsync.KindContact, "a", "hl-a"); err != nil {
			return err
		}
		if _, ok, _ := st.LocalID(ctx, ghlsync.KindContact, "hl-a"); !ok {
			t.Error("a batch does not see its own write")
		}
		if err := st.Enqueue(ctx, "a", time.Now()); err != nil {
			return err
		}
		return fmt.Errorf("the import's next row is bad")
	})
	if err == nil {
		t.Fatal("the batch's error was lost")
	}
	if _, ok, _ := st.RemoteID(ctx, ghlsync.KindContact, "a"); ok {
		t.Fatal("a failed batch left its link")
	}
	if n, _ := st.Queued(ctx); n != 0 {
		t.Fatal("a failed batch left its outbox entry")
	}
	if err := st.Batch(ctx, func(ctx context.Context) error {
		return st.Link(ctx, ghlsync.KindContact, "a", "hl-a")
	}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := st.RemoteID(ctx, ghlsync.KindContact, "a"); !ok {
		t.Fatal("a committed batch is not there")
	}
}

// TestSecondOpenIsRefused: one process at a time.
func TestSecondOpenIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sync.db")
	open(t, path)
	_, err := boltstate.Open(path, boltstate.Options{Timeout: 50 * time.Millisecond})
	if err == nil {
		t.Fatal("a second Open of a file in use succeeded")
	}
}
