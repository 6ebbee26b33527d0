package pgstate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ghlkit/ghl/boltstate"
	"github.com/ghlkit/ghl/ghlsync"
	"github.com/ghlkit/ghl/pgstate"
)

// stateSizes are the records a state holds before it is measured; -short
// (CI's run of every benchmark once) measures the first only.
func stateSizes() []int {
	if testing.Short() {
		return []int{1000}
	}
	return []int{1000, 100000}
}

func benchRecord(i int) ghlsync.Record {
	return ghlsync.Record{UpdatedAt: time.Unix(int64(i), 0)}.Set(ghlsync.FieldFirstName, fmt.Sprint("Person ", i)).
		Set(ghlsync.FieldEmail, fmt.Sprintf("p%d@example.com", i)).Set(ghlsync.FieldCity, "Paris")
}

// batchState is a state that batches writes.
type batchState interface {
	ghlsync.EngineState
	ghlsync.Batcher
}

// filled returns each kind of state holding n linked records with bases:
// MemoryState, FileState (its file written at once, as a long-running app
// would have grown it), the embedded state and Postgres (filled in
// batches); Postgres only where its programs are installed (pgURL "").
func filled(b *testing.B, n int, pgURL string) map[string]ghlsync.EngineState {
	b.Helper()
	ctx := context.Background()
	dir := b.TempDir()
	mem := ghlsync.NewMemoryState()
	file := map[string]any{"checkpoints": map[string]any{}, "bases": map[string]ghlsync.Record{},
		"links": map[string]map[string]string{"contact": {}}}
	for i := range n {
		id := fmt.Sprintf("p%07d", i)
		_ = mem.Link(ctx, ghlsync.KindContact, id, "hl-"+id)
		_ = mem.SaveBase(ctx, ghlsync.KindContact, "hl-"+id, benchRecord(i))
		file["bases"].(map[string]ghlsync.Record)["contact:hl-"+id] = benchRecord(i)
		file["links"].(map[string]map[string]string)["contact"][id] = "hl-" + id
	}
	raw, _ := json.Marshal(file)
	if err := os.WriteFile(filepath.Join(dir, "state.json"), raw, 0o600); err != nil {
		b.Fatal(err)
	}
	fs, err := ghlsync.OpenFileState(filepath.Join(dir, "state.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = fs.Close() })
	bs, err := boltstate.Open(filepath.Join(dir, "state.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = bs.Close() })
	states := map[string]ghlsync.EngineState{"memory": mem, "file": fs, "bolt": bs}
	batched := []batchState{bs}
	if pgURL != "" {
		ps, err := pgstate.Open(ctx, newPool(b, pgURL), newLocation())
		if err != nil {
			b.Fatal(err)
		}
		states["postgres"] = ps
		batched = append(batched, ps)
	}
	for _, st := range batched {
		for from := 0; from < n; from += 1000 {
			err := st.Batch(ctx, func(ctx context.Context) error {
				for i := from; i < min(from+1000, n); i++ {
					id := fmt.Sprintf("p%07d", i)
					if err := st.Link(ctx, ghlsync.KindContact, id, "hl-"+id); err != nil {
						return err
					}
					if err := st.SaveBase(ctx, ghlsync.KindContact, "hl-"+id, benchRecord(i)); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	return states
}

// benchStates runs op on each state at each size: per-op time and
// allocations (the goal for the embedded state and Postgres: flat from
// 1,000 to 100,000 records; FileState grows with the records it holds).
// Postgres runs with fsync on, as a production server would, so that its
// commits and bbolt's are paid alike.
func benchStates(b *testing.B, op func(ctx context.Context, st ghlsync.EngineState, i int) error) {
	pgURL := startPostgresOrNot(b, durable)
	for _, n := range stateSizes() {
		states := filled(b, n, pgURL)
		for _, name := range []string{"memory", "file", "bolt", "postgres"} {
			if states[name] == nil {
				continue
			}
			b.Run(fmt.Sprintf("%s/%d", name, n), func(b *testing.B) {
				ctx := context.Background()
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					if err := op(ctx, states[name], i); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkStateSaveBase: one base saved (a contact synced).
func BenchmarkStateSaveBase(b *testing.B) {
	benchStates(b, func(ctx context.Context, st ghlsync.EngineState, i int) error {
		return st.SaveBase(ctx, ghlsync.KindContact, fmt.Sprintf("hl-p%07d", i%1000), benchRecord(i))
	})
}

// BenchmarkStateLink: one new record linked.
func BenchmarkStateLink(b *testing.B) {
	benchStates(b, func(ctx context.Context, st ghlsync.EngineState, i int) error {
		return st.Link(ctx, ghlsync.KindTask, fmt.Sprintf("t%09d", i), fmt.Sprintf("hl-t%09d", i))
	})
}

// BenchmarkStateOutbox: one person queued, then dequeued (a change pushed).
func BenchmarkStateOutbox(b *testing.B) {
	benchStates(b, func(ctx context.Context, st ghlsync.EngineState, i int) error {
		id := fmt.Sprintf("p%07d", i%1000)
		if err := st.Enqueue(ctx, id, time.Unix(int64(i), 0)); err != nil {
			return err
		}
		e, _, err := st.Pending(ctx, id)
		if err != nil {
			return err
		}
		return st.Dequeue(ctx, id, e.Seq)
	})
}
