package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ghlkit/ghl/boltstate"
	"github.com/ghlkit/ghl/ghlsync"
)

// fillState writes what an engine would: links, an outbox entry that
// failed once, checkpoints, and a person's history.
func fillState(t *testing.T, st ghlsync.EngineState) {
	t.Helper()
	ctx := context.Background()
	for _, err := range []error{
		st.Link(ctx, ghlsync.KindContact, "member-1", "hl-1"),
		st.Link(ctx, ghlsync.KindContact, "member-2", "hl-2"),
		st.Link(ctx, ghlsync.KindTask, "task-1", "hl-t1"),
		st.Enqueue(ctx, "member-2", time.Now().Add(-time.Minute)),
		st.Retry(ctx, "member-2", time.Now().Add(-time.Second), "HighLevel answered 503"),
		st.SaveCheckpoint(ctx, "engine:run", []byte("42")),
		st.AppendHistory(ctx,
			ghlsync.HistoryEntry{At: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), Run: 41, Person: "member-1", Kind: ghlsync.KindContact,
				Side: ghlsync.Remote, Action: ghlsync.ActionCreated, New: "Ada", Request: "POST /contacts/"},
			ghlsync.HistoryEntry{At: time.Date(2026, 12, 1, 9, 5, 0, 0, time.UTC), Run: 42, Person: "member-1", Kind: ghlsync.KindContact,
				Side: ghlsync.Local, Action: ghlsync.ActionUpdated, Field: "city", Old: "London", New: "Paris", Rule: "last write wins"},
			ghlsync.HistoryEntry{Person: "member-2", Action: ghlsync.ActionCreated}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestSyncStatusAndHistory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fs, err := ghlsync.OpenFileState(filepath.Join(dir, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	fillState(t, fs)
	_ = fs.Close()
	bs, err := boltstate.Open(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	fillState(t, bs)
	_ = bs.Close()
	for _, name := range []string{"state.json", "state.db"} {
		path := filepath.Join(dir, name)
		r := ghlctl(t, nil, "", nil, "sync", "status", "--state", path, "-o", "json")
		var rows []map[string]string
		if err := json.Unmarshal([]byte(r.stdout), &rows); r.code != 0 || err != nil {
			t.Fatalf("%s status: exit %d, %v, %s", name, r.code, err, r.stderr)
		}
		got := map[string]string{}
		for _, row := range rows {
			got[row["what"]] = row["value"]
		}
		if got["linked contacts"] != "2" || got["linked tasks"] != "1" || got["outbox"] != "1" || got["outbox retrying"] != "1" || got["last run"] != "42" {
			t.Fatalf("%s status: %v", name, got)
		}
		r = ghlctl(t, nil, "", nil, "sync", "history", "member-1", "--state", path, "-o", "csv")
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if r.code != 0 || len(lines) != 3 || !strings.Contains(lines[2], "London,Paris,last write wins") {
			t.Fatalf("%s history: exit %d, %q %s", name, r.code, r.stdout, r.stderr)
		}
		if r := ghlctl(t, nil, "", nil, "sync", "history", "nobody", "--state", path); r.code != exitNotFound {
			t.Fatalf("%s history of nobody: exit %d", name, r.code)
		}
	}
	// A file the engine holds open is named as such, not a crash.
	held, err := boltstate.Open(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if r := ghlctl(t, nil, "", nil, "sync", "status", "--state", filepath.Join(dir, "state.db")); r.code != exitUsage || !strings.Contains(r.stderr, "running engine") {
		t.Fatalf("a held file: exit %d, %q", r.code, r.stderr)
	}
}
