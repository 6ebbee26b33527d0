package ghlsync_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghlsync"
	"github.com/ghlkit/ghl/ghltest"
)

// Ensure creates a contact the first time, and sends nothing when it
// already holds what is asked.
func ExampleEnsure() {
	srv := ghltest.NewServer()
	defer srv.Close()
	client, _ := srv.Client()
	ctx := context.Background()
	req := ghl.CreateContactRequest{FirstName: ghl.Ptr("Ada"), Email: ghl.Ptr("ada@example.com")}
	for range 2 {
		res, err := ghlsync.Ensure(ctx, client, req, ghlsync.EnsureOptions{By: ghlsync.ByEmail})
		if err != nil {
			panic(err)
		}
		fmt.Println(res.Action)
	}
	req.FirstName = ghl.Ptr("Augusta Ada")
	res, _ := ghlsync.Ensure(ctx, client, req, ghlsync.EnsureOptions{By: ghlsync.ByEmail})
	fmt.Println(res.Action, res.Contact.FirstName, srv.ContactCount(ghltest.DefaultLocationID))
	// Output:
	// created
	// unchanged
	// updated Augusta Ada 1
}

// Merge decides field by field; tags merge as sets.
func ExampleMerge() {
	at := func(s int) time.Time { return time.Unix(int64(s), 0) }
	base := ghlsync.Record{}.Set("city", "Paris").Set("firstName", "Ada")
	base.Tags = []string{"member"}
	local := base.Set("city", "Lyon")
	local.Tags, local.UpdatedAt = []string{"member", "vip"}, at(10)
	remote := base.Set("city", "Nice").Set("firstName", "Augusta Ada")
	remote.Tags, remote.UpdatedAt = []string{}, at(20)

	m := ghlsync.Merge(base, local, remote, ghlsync.MergeOptions{Policy: ghlsync.LastWriteWins})
	fmt.Println(m.Merged.Get("city"), "|", m.Merged.Get("firstName"), "|", m.Merged.Tags)
	for _, c := range m.Conflicts {
		fmt.Printf("%s: %q vs %q -> %q (%s)\n", c.Field, c.Local, c.Remote, c.Value, c.Rule)
	}
	fmt.Println("to local:", m.ToLocal, "to remote:", m.ToRemote)
	// Output:
	// Nice | Augusta Ada | [vip]
	// city: "Lyon" vs "Nice" -> "Nice" (last write wins)
	// to local: [city firstName tags] to remote: [tags]
}
