package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/webhook"
)

func TestReplicaFollowsTheServer(t *testing.T) {
	var buf bytes.Buffer
	if err := run(context.Background(), &buf); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	for _, want := range []string{"delivered ContactCreate", "delivered ContactTagUpdate", "delivered ContactDelete", "Local copy (2 contacts)"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestReceiverRefusesForgeryAndIgnoresReplays(t *testing.T) {
	var buf bytes.Buffer
	if err := run(context.Background(), &buf); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	for _, want := range []string{"forged delivery (body changed after signing)  -> 401",
		"(a replay)         -> 200, acknowledged and ignored", "ignored as older (1 stale)", "The local copy is unchanged."} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, buf.String())
		}
	}
}

// TestReplicaOrdersByDateUpdated: events applied in any arrival order leave
// the newest state; a deletion is not undone by an older update.
func TestReplicaOrdersByDateUpdated(t *testing.T) {
	at := func(s int) ghl.Time { return ghl.Time{Time: time.Unix(1_800_000_000+int64(s), 0)} }
	ev := func(typ, city string, s int) *webhook.ContactEvent {
		e := &webhook.ContactEvent{Type: typ}
		e.ID, e.City, e.DateUpdated = "c1", city, at(s)
		return e
	}
	r := NewReplica()
	assert(t, r.Apply(ev(webhook.ContactUpdate, "Paris", 20)), "newest first")
	assert(t, !r.Apply(ev(webhook.ContactUpdate, "London", 10)), "an older update arriving late is ignored")
	if got := r.Snapshot()["c1"].City; got != "Paris" {
		t.Fatalf("city %q, want Paris", got)
	}
	assert(t, r.Apply(ev(webhook.ContactDelete, "", 30)), "delete")
	assert(t, !r.Apply(ev(webhook.ContactUpdate, "Rome", 25)), "an update older than the deletion does not bring it back")
	if _, ok := r.Snapshot()["c1"]; ok {
		t.Fatal("the deleted contact came back")
	}
	assert(t, r.Apply(ev(webhook.ContactCreate, "Oslo", 40)), "a newer create after the deletion")
}

func assert(t *testing.T, ok bool, what string) {
	t.Helper()
	if !ok {
		t.Fatal(what)
	}
}
