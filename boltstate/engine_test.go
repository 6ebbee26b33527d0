package boltstate_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/boltstate"
	"github.com/ghlkit/ghl/ghlsync"
	"github.com/ghlkit/ghl/ghltest"
)

// importApp is an app of n people, all changed since the start.
type importApp struct {
	mu     sync.Mutex
	people map[string]ghlsync.Person
	ids    []string
}

func newImportApp(n int) *importApp {
	a := &importApp{people: make(map[string]ghlsync.Person, n)}
	for i := range n {
		id := fmt.Sprintf("m%07d", i)
		a.people[id] = ghlsync.Person{ID: id, Record: ghlsync.Record{}.Set(ghlsync.FieldFirstName, "Member").
			Set(ghlsync.FieldLastName, strconv.Itoa(i)).Set(ghlsync.FieldEmail, fmt.Sprintf("member%d@example.com", i))}
		a.ids = append(a.ids, id)
	}
	return a
}

func (a *importApp) Person(_ context.Context, id string) (ghlsync.Person, bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p, ok := a.people[id]
	return p, ok, nil
}
func (a *importApp) SavePerson(_ context.Context, p ghlsync.Person) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.people[p.ID] = p
	return nil
}
func (a *importApp) MarkInactive(context.Context, string) error { return nil }
func (a *importApp) Changed(_ context.Context, mark string) ([]string, string, error) {
	if mark == "" {
		return a.ids, "all", nil
	}
	return nil, mark, nil
}

// BenchmarkEngineImport: an app's people (GHL_IMPORT_PEOPLE, default
// 1,000; the figure in docs is at 100,000) pushed to an empty location by
// one engine cycle, against ghltest with no rate limit, with the state in
// memory, in the embedded database (each commit synced to disk, and with
// NoSync), and (up to 1,000: it grows with the square) in a FileState: the
// time and peak heap of the whole import. The goal: the embedded state
// within 1.5× of memory.
func BenchmarkEngineImport(b *testing.B) {
	n := 1000
	if v := os.Getenv("GHL_IMPORT_PEOPLE"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	kinds := []string{"memory", "bolt", "bolt-nosync"}
	if n <= 1000 {
		kinds = append(kinds, "file")
	}
	for _, kind := range kinds {
		b.Run(fmt.Sprintf("%s/%d", kind, n), func(b *testing.B) {
			b.ReportAllocs()
			var peak atomic.Uint64
			for b.Loop() {
				b.StopTimer()
				srv := ghltest.NewServer(ghltest.WithRateLimit(1_000_000_000, time.Second), ghltest.WithDailyLimit(1_000_000_000))
				client, err := srv.Client(ghl.WithoutRateLimiter())
				if err != nil {
					b.Fatal(err)
				}
				var st ghlsync.EngineState
				switch kind {
				case "memory":
					st = ghlsync.NewMemoryState()
				case "file":
					fs, err := ghlsync.OpenFileState(filepath.Join(b.TempDir(), "state.json"))
					if err != nil {
						b.Fatal(err)
					}
					defer fs.Close()
					st = fs
				case "bolt", "bolt-nosync":
					bs, err := boltstate.Open(filepath.Join(b.TempDir(), "state.db"), boltstate.Options{NoSync: kind == "bolt-nosync"})
					if err != nil {
						b.Fatal(err)
					}
					defer bs.Close()
					st = bs
				}
				app := newImportApp(n)
				eng, err := ghlsync.NewEngine(client, app, ghlsync.EngineOptions{State: st})
				if err != nil {
					b.Fatal(err)
				}
				runtime.GC()
				stop := make(chan struct{})
				sampled := make(chan struct{})
				go func() { // the heap's peak, sampled
					defer close(sampled)
					var ms runtime.MemStats
					for {
						runtime.ReadMemStats(&ms)
						for old := peak.Load(); ms.HeapAlloc > old && !peak.CompareAndSwap(old, ms.HeapAlloc); old = peak.Load() {
						}
						select {
						case <-stop:
							return
						case <-time.After(20 * time.Millisecond):
						}
					}
				}()
				b.StartTimer()
				sum, err := eng.RunOnce(context.Background())
				b.StopTimer()
				close(stop)
				<-sampled
				if err != nil || sum.Created != n {
					b.Fatalf("created %d of %d: %v %v", sum.Created, n, err, sum.Errors)
				}
				srv.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
		})
	}
}
