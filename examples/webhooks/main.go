// Command webhooks is a receiver that keeps a local copy of HighLevel
// contacts in sync from webhooks: every delivery is verified on its raw
// body, de-duplicated, and applied only when it is newer than what the copy
// holds (by dateUpdated), so a late or replayed older update never
// overwrites a newer one and a deleted contact is not brought back.
//
//	go run ./examples/webhooks
//
// It starts ghltest, points its webhook deliveries (signed with a test key)
// at the receiver, changes some contacts through the SDK, and compares the
// local copy with the server. Against HighLevel, build the verifier with
// webhook.NewVerifier() and register the receiver's URL in your app.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
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
	deleted  map[string]time.Time // tombstones: when each contact was deleted
	events   int
	stale    int // events older than what the copy holds, ignored
}

// NewReplica returns an empty replica.
func NewReplica() *Replica {
	return &Replica{contacts: map[string]ghl.Contact{}, deleted: map[string]time.Time{}}
}

// version is when an event's state was current: the contact's dateUpdated,
// or, for a payload without it, the delivery's timestamp.
func version(e *webhook.ContactEvent) time.Time {
	if !e.DateUpdated.IsZero() {
		return e.DateUpdated.Time
	}
	return e.Timestamp.Time
}

// Apply puts one contact event into the copy unless the copy already holds a
// newer state of that contact (or its deletion). It reports whether it did.
func (r *Replica) Apply(e *webhook.ContactEvent) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events++
	v := version(e)
	if gone, ok := r.deleted[e.ID]; ok && !v.After(gone) {
		r.stale++
		return false
	}
	if cur, ok := r.contacts[e.ID]; ok && v.Before(cur.DateUpdated.Time) {
		r.stale++
		return false
	}
	if e.Type == webhook.ContactDelete {
		delete(r.contacts, e.ID)
		r.deleted[e.ID] = v
		return true
	}
	c := e.Contact
	if c.DateUpdated.IsZero() {
		c.DateUpdated = ghl.Time{Time: v}
	}
	r.contacts[e.ID] = c
	return true
}

// Mux routes contact events into the replica.
func (r *Replica) Mux() *webhook.Mux {
	return webhook.NewMux().OnContactChange(func(_ context.Context, e *webhook.ContactEvent) error {
		r.Apply(e)
		return nil
	})
}

// Stale returns how many events were ignored as older than the copy.
func (r *Replica) Stale() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stale
}

// capture keeps the raw deliveries a handler receives, to replay them.
type capture struct {
	next http.Handler
	mu   sync.Mutex
	seen []delivery
}

type delivery struct {
	body   []byte
	header http.Header
}

func (c *capture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	c.mu.Lock()
	c.seen = append(c.seen, delivery{body, r.Header.Clone()})
	c.mu.Unlock()
	r.Body = io.NopCloser(bytes.NewReader(body))
	c.next.ServeHTTP(w, r)
}

// post sends a delivery to the receiver and returns the status it answered.
func post(url string, body []byte, h http.Header) (int, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header = h.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
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
	tap := &capture{next: webhook.NewHandler(verifier, replica.Mux().Handle)}
	receiver := httptest.NewServer(tap)
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
	return attacks(out, srv, tap, receiver.URL, replica, ids)
}

// attacks shows what the receiver refuses or ignores: a forged delivery, a
// captured delivery sent again, and an older update that arrives late.
func attacks(out io.Writer, srv *ghltest.Server, tap *capture, url string, replica *Replica, ids []string) error {
	before := replica.Snapshot()
	tap.mu.Lock()
	var first delivery // Ada's ContactCreate, with no city yet
	for _, d := range tap.seen {
		if bytes.Contains(d.body, []byte(`"ContactCreate"`)) && bytes.Contains(d.body, []byte(ids[0])) {
			first = d
			break
		}
	}
	tap.mu.Unlock()
	if first.body == nil {
		return fmt.Errorf("no delivery of the first contact was captured")
	}
	fmt.Fprintln(out, "\nWhat the receiver refuses or ignores:")

	forged := bytes.Replace(first.body, []byte("Ada@example.com"), []byte("mallory@example.com"), 1)
	status, err := post(url, forged, first.header) // the signature no longer matches the body
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  a forged delivery (body changed after signing)  -> %d, not applied\n", status)
	if status != http.StatusUnauthorized {
		return fmt.Errorf("the forged delivery was answered %d", status)
	}

	status, err = post(url, first.body, first.header) // the exact bytes again: a replay
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  the same delivery sent again (a replay)         -> %d, acknowledged and ignored\n", status)

	// HighLevel delivering an old state late, genuinely signed but older
	// than what the copy holds: the dateUpdated order drops it.
	var late map[string]any
	if err := json.Unmarshal(first.body, &late); err != nil {
		return err
	}
	late["type"], late["webhookId"] = webhook.ContactUpdate, "wh-late-1"
	// Its state dates from before the contact's last change (a create and
	// an update can share a millisecond, so say so explicitly).
	late["dateUpdated"] = before[ids[0]].DateUpdated.Add(-time.Second).UTC().Format("2006-01-02T15:04:05.000Z")
	late["timestamp"] = time.Now().UTC().Format(time.RFC3339Nano)
	lateBody, _ := json.Marshal(late)
	status, err = post(url, lateBody, srv.WebhookSigner().Sign(lateBody))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  an older update arriving late (genuine)         -> %d, ignored as older (%d stale)\n", status, replica.Stale())

	after := replica.Snapshot()
	if after[ids[0]].City != before[ids[0]].City || after[ids[0]].Email != before[ids[0]].Email || len(after) != len(before) {
		return fmt.Errorf("the local copy changed: %+v", after[ids[0]])
	}
	fmt.Fprintln(out, "The local copy is unchanged.")
	return nil
}
