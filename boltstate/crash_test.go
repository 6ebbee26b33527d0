package boltstate_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ghlkit/ghl/boltstate"
	"github.com/ghlkit/ghl/ghlsync"
)

// writeRecord is one record of the crash test's import: a link, a base, an
// outbox entry and a history entry, in one batch (groups of `group`);
// written is told of each record written, before the batch commits.
func writeRecords(ctx context.Context, st *boltstate.State, from, group int, written func(i int)) error {
	return st.Batch(ctx, func(ctx context.Context) error {
		for i := from; i < from+group; i++ {
			id := fmt.Sprintf("p%06d", i)
			r := ghlsync.Record{UpdatedAt: time.Unix(int64(i), 0)}.Set(ghlsync.FieldFirstName, id).Set(ghlsync.FieldCity, strings.Repeat("x", i%200))
			for _, err := range []error{
				st.Link(ctx, ghlsync.KindContact, id, "hl-"+id),
				st.SaveBase(ctx, ghlsync.KindContact, "hl-"+id, r),
				st.Enqueue(ctx, id, time.Unix(int64(i), 0)),
				st.AppendHistory(ctx, ghlsync.HistoryEntry{Person: id, Kind: ghlsync.KindContact, Action: ghlsync.ActionCreated}),
			} {
				if err != nil {
					return err
				}
			}
			written(i)
		}
		return nil
	})
}

// TestCrashWriterProcess is the child of TestKilledMidImportLosesNothing:
// it writes records until killed, printing each record written (not yet
// committed) and each acknowledged group.
func TestCrashWriterProcess(t *testing.T) {
	path := os.Getenv("GHL_CRASH_STATE")
	if path == "" {
		t.Skip("run by TestKilledMidImportLosesNothing")
	}
	st, err := boltstate.Open(path, boltstate.Options{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	from, _ := strconv.Atoi(os.Getenv("GHL_CRASH_FROM"))
	group, _ := strconv.Atoi(os.Getenv("GHL_CRASH_GROUP"))
	for i := from; ; i += group {
		if err := writeRecords(context.Background(), st, i, group, func(i int) { fmt.Printf("write %d\n", i) }); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("ack %d\n", i+group)
	}
}

// TestKilledMidImportLosesNothing: a process importing records (single
// ones, and groups of 50 in one batch) is killed with SIGKILL at random
// points, five times, and the file reopened each time: every record it
// acknowledged is there whole (link both ways, base, outbox entry,
// history), every record present at all is whole, and the import goes on
// from there.
func TestKilledMidImportLosesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "import.db")
	rng := rand.New(rand.NewPCG(7, 7))
	acked := 0
	for round := range 5 {
		group := []int{1, 50}[round%2]
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashWriterProcess$")
		cmd.Env = append(os.Environ(), "GHL_CRASH_STATE="+path, "GHL_CRASH_FROM="+strconv.Itoa(acked), "GHL_CRASH_GROUP="+strconv.Itoa(group))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// The kill comes after a random line of the writer's: a record
		// written inside a batch not yet committed, or a commit just
		// acknowledged, while the writer goes on writing (a commit, its
		// sync, or between them).
		killAfter := 20 + rng.IntN(400)
		sc := bufio.NewScanner(out)
		seen := 0
		for sc.Scan() {
			if n, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
				acked, _ = strconv.Atoi(n)
			}
			if seen++; seen == killAfter {
				_ = cmd.Process.Signal(syscall.SIGKILL)
				break
			}
		}
		_ = cmd.Wait()
		if seen < killAfter {
			t.Fatalf("round %d: the writer stopped after %d lines", round, seen)
		}
		st, err := boltstate.Open(path)
		if err != nil {
			t.Fatalf("round %d: reopen after the kill: %v", round, err)
		}
		present := verify(t, st, acked)
		t.Logf("round %d (groups of %d): killed after %d acknowledged records; %d present, all whole", round, group, acked, present)
		acked = present // go on after what is there (a group may have committed unacknowledged)
		_ = st.Close()
	}
}

// verify checks records 0..; it returns how many are present, and fails
// the test for a record acknowledged and missing or one present and not
// whole.
func verify(t *testing.T, st *boltstate.State, acked int) int {
	t.Helper()
	ctx := context.Background()
	present := 0
	for i := 0; ; i++ {
		id := fmt.Sprintf("p%06d", i)
		rid, linked, err := st.RemoteID(ctx, ghlsync.KindContact, id)
		if err != nil {
			t.Fatal(err)
		}
		lid, back, _ := st.LocalID(ctx, ghlsync.KindContact, "hl-"+id)
		base, hasBase, _ := st.Base(ctx, ghlsync.KindContact, "hl-"+id)
		e, queued, _ := st.Pending(ctx, id)
		hist := 0
		_ = st.History(ctx, id, func(ghlsync.HistoryEntry) bool { hist++; return true })
		parts := []bool{linked, back, hasBase, queued, hist == 1}
		all, any := true, false
		for _, p := range parts {
			all, any = all && p, any || p
		}
		switch {
		case !any && i >= acked:
			return present
		case !all:
			t.Fatalf("record %d is half-written: link %v reverse %v base %v outbox %v history %d", i, linked, back, hasBase, queued, hist)
		case rid != "hl-"+id || lid != id || base.Get(ghlsync.FieldFirstName) != id || len(base.Get(ghlsync.FieldCity)) != i%200 ||
			!e.Since.Equal(time.Unix(int64(i), 0)):
			t.Fatalf("record %d holds the wrong values", i)
		}
		present++
	}
}
