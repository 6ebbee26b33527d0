package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
)

func TestContactsGetAndSearch(t *testing.T) {
	t.Parallel()
	srv := fake(t)
	ids := srv.Seed(ghltest.DefaultLocationID, 30)
	ct, _ := srv.Contact(ghltest.DefaultLocationID, ids[3])
	r := ghlctl(t, srv, "", nil, "contacts", "get", ids[3], "-o", "json")
	var got ghl.Contact
	if err := json.Unmarshal([]byte(r.stdout), &got); r.code != 0 || err != nil || got.ID != ids[3] || got.Email != ct.Email {
		t.Fatalf("get -o json: exit %d, %v, %+v", r.code, err, got)
	}
	r = ghlctl(t, srv, "", nil, "contacts", "get", ids[3])
	if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); len(lines) != 2 || !strings.Contains(lines[1], ct.Email) {
		t.Fatalf("get as a table: %q", r.stdout)
	}
	r = ghlctl(t, srv, "", nil, "contacts", "search", "--limit", "7", "-o", "csv")
	recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if r.code != 0 || err != nil || len(recs) != 8 || !strings.Contains(r.stderr, "7 of 30") {
		t.Fatalf("search --limit 7 -o csv: exit %d, %d rows, %v, %q", r.code, len(recs), err, r.stderr)
	}
}

// exportedIDs reads the contact IDs of an export, CSV or JSON lines.
func exportedIDs(t *testing.T, path, format string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ids []string
	if format == "csv" {
		recs, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(recs[0], contactColumns) {
			t.Fatalf("header %v", recs[0])
		}
		for _, r := range recs[1:] {
			ids = append(ids, r[0])
		}
		return ids
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var c ghl.Contact
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		ids = append(ids, c.ID)
	}
	return ids
}

// TestExportEveryContactOnceAcrossAnInterrupt: an export that fails
// halfway (the connection dropped on every retry of a page) leaves a
// checkpoint; run again, it finishes, and the file holds every contact of
// the location exactly once, CSV and JSON lines alike.
func TestExportEveryContactOnceAcrossAnInterrupt(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"csv", "jsonl"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			srv := fake(t)
			want := srv.Seed(ghltest.DefaultLocationID, 1700)
			out := filepath.Join(t.TempDir(), "contacts."+format)
			failing := ghltest.Fault{Path: "/contacts/search", DropBefore: true, Times: 50}
			exportPages(t, srv, out, format, 2, failing)
			srv.ClearFaults()
			if _, err := os.Stat(out + ".ghlctl"); err != nil {
				t.Fatalf("no checkpoint after the interrupted export: %v", err)
			}
			srv.ResetRequests()
			r := ghlctl(t, srv, "", nil, "contacts", "export", "--out", out)
			if r.code != 0 {
				t.Fatalf("the resumed export: exit %d: %s", r.code, r.stderr)
			}
			if n := srv.RequestCount("POST", "/contacts/search"); n >= 4 {
				t.Errorf("the resumed export read %d pages of 4: it started over", n)
			}
			got := exportedIDs(t, out, format)
			if len(got) != len(want) {
				t.Fatalf("%d contacts exported, %d in the location", len(got), len(want))
			}
			if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
				t.Fatal("the export does not hold every contact exactly once")
			}
			if _, err := os.Stat(out + ".ghlctl"); !os.IsNotExist(err) {
				t.Fatalf("the checkpoint is left after a complete export: %v", err)
			}
		})
	}
}

// exportPages runs an export that fails after pages whole pages: the
// fault is armed once that many searches have been answered.
func exportPages(t *testing.T, srv *ghltest.Server, out, format string, pages int, fault ghltest.Fault) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			if srv.RequestCount("POST", "/contacts/search") >= pages {
				srv.Inject(fault)
				return
			}
			runtime.Gosched()
		}
	}()
	r := ghlctl(t, srv, "", nil, "contacts", "export", "--out", out, "--format", format)
	if r.code == 0 {
		t.Fatalf("the export did not fail: %s", r.stderr)
	}
}

func TestExportToStdoutAndProgress(t *testing.T) {
	t.Parallel()
	srv := fake(t)
	srv.Seed(ghltest.DefaultLocationID, 600)
	r := ghlctl(t, srv, "", nil, "contacts", "export", "--format", "jsonl")
	if r.code != 0 || strings.Count(r.stdout, "\n") != 600 || strings.Contains(r.stderr, "\r") {
		t.Fatalf("piped: exit %d, %d lines, stderr %q (no progress when piped)", r.code, strings.Count(r.stdout, "\n"), r.stderr)
	}
	r = ghlctl(t, srv, "", []string{"TERMINAL=1", "NO_COLOR=1"}, "contacts", "export", "--out", filepath.Join(t.TempDir(), "c.csv"))
	if r.code != 0 || !strings.Contains(r.stderr, "600/600 contacts (100%)") || strings.Contains(r.stderr, "\x1b[") {
		t.Fatalf("on a terminal with NO_COLOR: exit %d, stderr %q", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "× 429") || !strings.Contains(r.stderr, "requests") {
		t.Fatalf("the progress line lacks requests and 429s: %q", r.stderr)
	}
}

// BenchmarkExport: 100,000 contacts (GHL_EXPORT_CONTACTS; 2,000 by
// default) exported to CSV from ghltest with no rate limit, against the
// SDK's own SearchAll over the same location in the same run: time,
// requests and peak heap.
func BenchmarkExport(b *testing.B) {
	n := 2000
	if v := os.Getenv("GHL_EXPORT_CONTACTS"); v != "" {
		if _, err := fmt.Sscan(v, &n); err != nil {
			b.Fatal(err)
		}
	}
	srv := fake(b, ghltest.WithDailyLimit(1_000_000_000))
	srv.Seed(ghltest.DefaultLocationID, n)
	for _, kind := range []string{"ghlctl", "SearchAll"} {
		b.Run(kind, func(b *testing.B) {
			b.ReportAllocs()
			var peak atomic.Uint64
			stop := sampleHeap(&peak)
			for b.Loop() {
				srv.ResetRequests()
				if kind == "ghlctl" {
					out := filepath.Join(b.TempDir(), "contacts.csv")
					if r := ghlctl(b, srv, "", nil, "contacts", "export", "--out", out); r.code != 0 {
						b.Fatal(r.stderr)
					}
				} else {
					c, err := srv.Client()
					if err != nil {
						b.Fatal(err)
					}
					got := 0
					for _, err := range c.Contacts.SearchAll(context.Background(), ghl.SearchRequest{}) {
						if err != nil {
							b.Fatal(err)
						}
						got++
					}
					if got != n {
						b.Fatalf("%d of %d", got, n)
					}
				}
			}
			stop()
			b.ReportMetric(float64(srv.RequestCount("POST", "/contacts/search")), "requests")
			b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
		})
	}
}

// sampleHeap records the heap's peak until the returned stop is called.
func sampleHeap(peak *atomic.Uint64) (stop func()) {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() { close(done); <-stopped }
}
