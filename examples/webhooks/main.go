// Command webhooks is a receiver that keeps a local copy of HighLevel
// contacts in sync from webhooks: every delivery is verified on its raw
// body, de-duplicated, and applied.
//
//	go run ./examples/webhooks
//
// It starts ghltest, points its webhook deliveries (signed with a test key)
// at the receiver, changes some contacts through the SDK, and compares the
// local copy with the server. Against HighLevel, build the verifier with
// webhook.NewVerifier() and register the receiver's URL in your app.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/webhook"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "webhooks:", err)
		os.Exit(1)
	}
}

// Replica is the app's local copy of contacts, kept by webhooks.
type Replica struct {
	mu       sync.Mutex
	contacts map[string]ghl.Contact
	events   int
}

// NewReplica returns an empty replica.
func NewReplica() *Replica { return &Replica{contacts: map[string]ghl.Contact{}} }

// Mux routes contact events into the replica.
func (r *Replica) Mux() *webhook.Mux {
	return webhook.NewMux().OnContactChange(func(_ context.Context, e *webhook.ContactEvent) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.events++
		if e.Type == webhook.ContactDelete {
			delete(r.contacts, e.ID)
			return nil
		}
		r.contacts[e.ID] = e.Contact
		return nil
	})
}

// Snapshot returns the replica's contacts, by ID.
func (r *Replica) Snapshot() map[string]ghl.Contact {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]ghl.Contact, len(r.contacts))
	for k, v := range r.contacts {
		out[k] = v
	}
	return out
}

func run(ctx context.Context, out io.Writer) error {
	srv := ghltest.NewServer()
	defer srv.Close()
	verifier, err := srv.WebhookVerifier() // trusts only ghltest's key; use webhook.NewVerifier() for HighLevel
	if err != nil {
		return err
	}
	replica := NewReplica()
	receiver := httptest.NewServer(webhook.NewHandler(verifier, replica.Mux().Handle))
	defer receiver.Close()
	srv.DeliverWebhooks(receiver.URL, nil) // signed with ghltest's own key pair
	client, err := srv.Client()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Receiver at %s; ghltest at %s delivers signed webhooks to it.\n", receiver.URL, srv.URL())

	// Changes made in HighLevel (here, through the SDK against ghltest).
	var ids []string
	for _, name := range []string{"Ada", "Grace", "Katherine"} {
		c, err := client.Contacts.Create(ctx, ghl.CreateContactRequest{FirstName: ghl.Ptr(name), Email: ghl.Ptr(name + "@example.com")})
		if err != nil {
			return err
		}
		ids = append(ids, c.ID)
	}
	if _, err := client.Contacts.Update(ctx, ids[0], ghl.UpdateContactRequest{City: ghl.Ptr("London")}); err != nil {
		return err
	}
	if _, err := client.Tags.Add(ctx, ids[1], []string{"vip"}); err != nil {
		return err
	}
	if err := client.Contacts.Delete(ctx, ids[2]); err != nil {
		return err
	}

	wait, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := srv.WaitWebhooks(wait); err != nil {
		return err
	}
	for _, d := range srv.WebhookDeliveries() {
		fmt.Fprintf(out, "  delivered %-17s -> %d\n", d.Type, d.Status)
	}

	local := replica.Snapshot()
	keys := make([]string, 0, len(local))
	for id := range local {
		keys = append(keys, id)
	}
	sort.Strings(keys)
	fmt.Fprintf(out, "\nLocal copy (%d contacts):\n", len(local))
	for _, id := range keys {
		c := local[id]
		remote, ok := srv.Contact(ghltest.DefaultLocationID, id)
		same := ok && remote.City == c.City && slices.Equal(remote.Tags, c.Tags) && remote.Email == c.Email
		fmt.Fprintf(out, "  %-10s city=%-9q tags=%-6s in sync: %v\n", c.FirstName, c.City, fmt.Sprint(c.Tags), same)
		if !same {
			return fmt.Errorf("contact %s is out of sync", id)
		}
	}
	if _, ok := local[ids[2]]; ok {
		return fmt.Errorf("the deleted contact is still in the local copy")
	}
	fmt.Fprintln(out, "The deleted contact is gone from the local copy too.")
	return nil
}
