package ghlsync_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghlsync"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/webhook"
)

func contactEvent(typ, id string) *webhook.ContactEvent {
	e := &webhook.ContactEvent{Type: typ}
	e.ID = id
	return e
}

// TestStreamFromWebhooksThenPolling: webhook hints become changes read by
// ID, duplicates and stale deliveries are dropped, a delete is confirmed,
// and when webhooks stop the feed takes over.
func TestStreamFromWebhooksThenPolling(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	c := fastClient(t, srv)
	a, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("a@example.com")})
	require.NoError(t, err)
	b, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("b@example.com")})
	require.NoError(t, err)

	clk := ghltest.NewClock(time.Now())
	st := &ghlsync.Stream{Feed: &ghlsync.Feed{Client: c}, Quiet: time.Hour, Now: clk.Now}
	// The first Next, with no webhook yet, polls: both contacts come in.
	evs, err := st.Next(ctx)
	require.NoError(t, err)
	assert.Len(t, evs, 2)

	// Webhooks arrive: an update of a (twice, and an older copy), a task on b.
	_, err = c.Contacts.Update(ctx, a.ID, ghl.UpdateContactRequest{City: ghl.Ptr("Oslo")})
	require.NoError(t, err)
	for _, ev := range []webhook.Event{contactEvent(webhook.ContactUpdate, a.ID), contactEvent(webhook.ContactCreate, a.ID),
		contactEvent(webhook.ContactUpdate, a.ID), &webhook.TaskEvent{Task: ghl.Task{ContactID: b.ID}}} {
		require.NoError(t, st.Handle(ctx, ev))
	}
	evs, err = st.Next(ctx)
	require.NoError(t, err)
	require.Len(t, evs, 2, "one change per contact")
	for _, ev := range evs {
		assert.Equal(t, "webhook", ev.Source)
		if ev.ContactID == a.ID {
			assert.Equal(t, "Oslo", ev.Contact.City, "the state read now, not the payload")
		} else {
			assert.True(t, ev.TasksChanged)
		}
	}
	// The same webhook again: the state has not moved, so no change.
	require.NoError(t, st.Handle(ctx, contactEvent(webhook.ContactUpdate, a.ID)))
	evs, err = st.Next(ctx)
	require.NoError(t, err)
	assert.Empty(t, evs)

	// A delete, confirmed by a 404.
	require.NoError(t, c.Contacts.Delete(ctx, b.ID))
	require.NoError(t, st.Handle(ctx, contactEvent(webhook.ContactDelete, b.ID)))
	evs, err = st.Next(ctx)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.True(t, evs[0].Deleted)

	// Webhooks stop; changes go on; after Quiet, polling catches up.
	st.Quiet = time.Second
	require.NoError(t, st.Handle(ctx, &webhook.TaskEvent{})) // a delivery just now (without a contact: no hint)
	_, err = c.Contacts.Update(ctx, a.ID, ghl.UpdateContactRequest{City: ghl.Ptr("Bergen")})
	require.NoError(t, err)
	evs, err = st.Next(ctx)
	require.NoError(t, err)
	assert.Empty(t, evs, "webhooks were recent: no poll yet")
	clk.Advance(time.Second - time.Nanosecond)
	evs, err = st.Next(ctx)
	require.NoError(t, err)
	assert.Empty(t, evs, "still within the quiet period: no poll yet")
	clk.Advance(time.Nanosecond)
	evs, err = st.Next(ctx)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, "poll", evs[0].Source)
	assert.Equal(t, "Bergen", evs[0].Contact.City)
}

// TestStreamWithSignedDeliveries: ghltest's signed webhooks through a
// verifying handler into the stream.
func TestStreamWithSignedDeliveries(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	c := fastClient(t, srv)
	st := &ghlsync.Stream{Feed: &ghlsync.Feed{Client: c}, Quiet: time.Hour}
	_, err := st.Next(ctx) // the initial poll
	require.NoError(t, err)
	v, err := srv.WebhookVerifier()
	require.NoError(t, err)
	recv := httptest.NewServer(webhook.NewHandler(v, st.Handle))
	defer recv.Close()
	srv.DeliverWebhooks(recv.URL, nil)

	ct, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("hook@example.com")})
	require.NoError(t, err)
	_, err = c.Notes.Create(ctx, ct.ID, ghl.CreateNoteRequest{Body: "hello"})
	require.NoError(t, err)
	require.NoError(t, srv.WaitWebhooks(ctx))
	evs, err := st.Next(ctx)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, ct.ID, evs[0].ContactID)
	assert.True(t, evs[0].NotesChanged)
}

// TestNextNeverReturnsEventsWithAnError (defect 3): a Next whose second
// read fails returns no event, only the error; the next call returns both
// changes, so a loop that drops what comes with an error loses nothing.
func TestNextNeverReturnsEventsWithAnError(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	c := fastClient(t, srv)
	a, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("a@example.com")})
	require.NoError(t, err)
	b, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("b@example.com")})
	require.NoError(t, err)
	st := &ghlsync.Stream{Feed: &ghlsync.Feed{Client: c}, Quiet: time.Hour}
	_, err = st.Next(ctx) // the initial poll
	require.NoError(t, err)
	cp := string(st.Checkpoint)

	for _, id := range []string{a.ID, b.ID} {
		_, err = c.Contacts.Update(ctx, id, ghl.UpdateContactRequest{City: ghl.Ptr("Oslo")})
		require.NoError(t, err)
		require.NoError(t, st.Handle(ctx, contactEvent(webhook.ContactUpdate, id)))
	}
	second := b.ID
	if b.ID < a.ID {
		second = a.ID // Next reads in ID order: fail the second read
	}
	srv.Inject(ghltest.Fault{Method: "GET", Path: "/contacts/" + second, Status: 500, Body: `{"message":"boom"}`, Times: 10})
	evs, err := st.Next(ctx)
	require.Error(t, err)
	assert.Nil(t, evs, "no events with an error")
	assert.Equal(t, cp, string(st.Checkpoint), "the position did not move")

	evs, err = st.Next(ctx)
	require.NoError(t, err)
	assert.Len(t, evs, 2, "both changes, the first one included")
}

// TestTaskDeliveryWithoutAContact (defect 10): HighLevel sends TaskCreate
// without contactId; the stream finds the task's contact through the task
// search and flags its tasks. Tested with a raw signed delivery.
func TestTaskDeliveryWithoutAContact(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	c := fastClient(t, srv)
	ct, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("t@example.com")})
	require.NoError(t, err)
	task, err := c.Tasks.Create(ctx, ct.ID, ghl.CreateTaskRequest{Title: "Measure the kitchen", DueDate: time.Now().Add(24 * time.Hour)})
	require.NoError(t, err)
	st := &ghlsync.Stream{Feed: &ghlsync.Feed{Client: c}, Quiet: time.Hour}
	_, err = st.Next(ctx)
	require.NoError(t, err)

	v, err := srv.WebhookVerifier()
	require.NoError(t, err)
	recv := httptest.NewServer(webhook.NewHandler(v, st.Handle))
	defer recv.Close()
	body := []byte(`{"type":"TaskCreate","locationId":"` + ghltest.DefaultLocationID + `","id":"` + task.ID + `","title":"Measure the kitchen","webhookId":"wh-orphan-1"}`)
	req, _ := http.NewRequest(http.MethodPost, recv.URL, bytes.NewReader(body))
	req.Header = srv.WebhookSigner().Sign(body)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)

	evs, err := st.Next(ctx)
	require.NoError(t, err)
	require.Len(t, evs, 1, "the delivery is not dropped")
	assert.Equal(t, ct.ID, evs[0].ContactID)
	assert.True(t, evs[0].TasksChanged)
}

// TestStreamOneEventPerContact: a note webhook names a contact whose
// fields also changed, and the feed (webhooks quiet) shows the change: one
// event carries both, so a caller that syncs each contact once per Next
// sees the fields and the notes together.
func TestStreamOneEventPerContact(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	c := fastClient(t, srv)
	a, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("a@example.com")})
	require.NoError(t, err)
	clk := ghltest.NewClock(time.Now())
	st := &ghlsync.Stream{Feed: &ghlsync.Feed{Client: c}, Quiet: time.Minute, Now: clk.Now}
	_, err = st.Next(ctx)
	require.NoError(t, err)

	_, err = c.Contacts.Update(ctx, a.ID, ghl.UpdateContactRequest{City: ghl.Ptr("Oslo")})
	require.NoError(t, err)
	require.NoError(t, st.Handle(ctx, &webhook.NoteEvent{Note: ghl.Note{ContactID: a.ID}}))
	clk.Advance(2 * time.Minute) // quiet: the feed is polled too
	evs, err := st.Next(ctx)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.True(t, evs[0].NotesChanged)
	require.NotNil(t, evs[0].Contact, "the feed's state of the contact")
	assert.Equal(t, "Oslo", evs[0].Contact.City)
}

// TestStreamPollsWhileWebhooksFlow: webhooks never stop, one delivery is
// lost: its change still arrives, by the poll every PollEvery.
func TestStreamPollsWhileWebhooksFlow(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	c := fastClient(t, srv)
	a, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("a@example.com")})
	require.NoError(t, err)
	b, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("b@example.com")})
	require.NoError(t, err)
	clk := ghltest.NewClock(time.Now())
	st := &ghlsync.Stream{Feed: &ghlsync.Feed{Client: c}, Quiet: time.Minute, PollEvery: 5 * time.Minute, Now: clk.Now}
	_, err = st.Next(ctx)
	require.NoError(t, err)
	_, err = c.Contacts.Update(ctx, a.ID, ghl.UpdateContactRequest{City: ghl.Ptr("Oslo")}) // its delivery is lost
	require.NoError(t, err)
	seenAt := time.Duration(-1)
	for step := range 12 { // b's webhooks every 30 s: never quiet
		clk.Advance(30 * time.Second)
		require.NoError(t, st.Handle(ctx, contactEvent(webhook.ContactUpdate, b.ID)))
		evs, err := st.Next(ctx)
		require.NoError(t, err)
		for _, ev := range evs {
			if ev.ContactID == a.ID && seenAt < 0 {
				seenAt = time.Duration(step+1) * 30 * time.Second
				assert.Equal(t, "Oslo", ev.Contact.City)
			}
		}
	}
	assert.Equal(t, 5*time.Minute, seenAt, "the change arrives with the first poll due")
}
