package ghltest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/webhook"
)

func TestWebhookDeliveries(t *testing.T) {
	signer, err := webhook.NewTestSigner()
	require.NoError(t, err)
	v, err := signer.TestVerifier()
	require.NoError(t, err)
	var mu sync.Mutex
	var got []webhook.Event
	var failFirst atomic.Bool
	failFirst.Store(true)
	h := webhook.NewHandler(v, func(_ context.Context, ev webhook.Event) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, ev)
		return nil
	})
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failFirst.CompareAndSwap(true, false) {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	}))
	defer receiver.Close()

	srv := ghltest.NewServer()
	defer srv.Close()
	srv.DeliverWebhooks(receiver.URL, signer)
	c, err := srv.Client()
	require.NoError(t, err)
	ctx := context.Background()
	ct, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("w@example.com")})
	require.NoError(t, err)
	note, err := c.Notes.Create(ctx, ct.ID, ghl.CreateNoteRequest{Body: "hello"})
	require.NoError(t, err)
	task, err := c.Tasks.Create(ctx, ct.ID, ghl.CreateTaskRequest{Title: "call", DueDate: time.Now()})
	require.NoError(t, err)
	_, err = c.Tasks.Complete(ctx, ct.ID, task.ID, true)
	require.NoError(t, err)
	require.NoError(t, c.Notes.Delete(ctx, ct.ID, note.ID))
	_, err = c.Contacts.Update(ctx, ct.ID, ghl.UpdateContactRequest{DNDSettings: &ghl.DNDSettings{SMS: &ghl.DNDSetting{Status: "active"}}})
	require.NoError(t, err)

	wait, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	require.NoError(t, srv.WaitWebhooks(wait))
	ds := srv.WebhookDeliveries()
	require.Len(t, ds, 7)
	assert.Equal(t, 2, ds[0].Attempts, "the first delivery was retried after a 503")
	for _, d := range ds {
		assert.Equal(t, 200, d.Status, d.Type)
	}
	mu.Lock()
	defer mu.Unlock()
	var types []string
	for _, ev := range got {
		types = append(types, ev.EventType())
		assert.Equal(t, ghltest.DefaultLocationID, ev.Location())
	}
	assert.Equal(t, []string{"ContactCreate", "NoteCreate", "TaskCreate", "TaskComplete", "NoteDelete", "ContactUpdate", "ContactDndUpdate"}, types)
	assert.Equal(t, ct.ID, got[0].(*webhook.ContactEvent).ID)
	assert.Equal(t, "hello", got[1].(*webhook.NoteEvent).Body)
	assert.Equal(t, "call", got[3].(*webhook.TaskEvent).Title)
	assert.Equal(t, "active", got[6].(*webhook.ContactEvent).DNDSettings.SMS.Status)
}

// TestWebhookFaults: a dropped event never arrives, a duplicated one arrives
// twice with two webhookIds, a reordered one arrives after the next, and
// after StopWebhooks nothing arrives until ResumeWebhooks.
func TestWebhookFaults(t *testing.T) {
	srv := ghltest.NewServer()
	defer srv.Close()
	v, err := srv.WebhookVerifier()
	require.NoError(t, err)
	var mu sync.Mutex
	var got []string // type and city of each delivery
	ids := map[string]bool{}
	receiver := httptest.NewServer(webhook.NewHandler(v, func(_ context.Context, ev webhook.Event) error {
		mu.Lock()
		defer mu.Unlock()
		ce := ev.(*webhook.ContactEvent)
		got = append(got, ev.EventType()+" "+ce.City)
		ids[ev.(*webhook.ContactEvent).WebhookID] = true
		return nil
	}))
	defer receiver.Close()
	srv.DeliverWebhooks(receiver.URL, nil)
	c, err := srv.Client()
	require.NoError(t, err)
	ctx := context.Background()
	ct, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("f@example.com"), City: ghl.Ptr("a")})
	require.NoError(t, err)
	city := func(s string) {
		t.Helper()
		_, err := c.Contacts.Update(ctx, ct.ID, ghl.UpdateContactRequest{City: ghl.Ptr(s)})
		require.NoError(t, err)
	}
	srv.InjectWebhook(ghltest.WebhookFault{Type: "ContactUpdate", Drop: true})
	city("b")
	srv.InjectWebhook(ghltest.WebhookFault{Type: "ContactUpdate", Duplicate: true})
	city("c")
	srv.InjectWebhook(ghltest.WebhookFault{Type: "ContactUpdate", Reorder: true})
	city("d")
	city("e")
	srv.StopWebhooks()
	city("f")
	srv.ResumeWebhooks()
	srv.InjectWebhook(ghltest.WebhookFault{Reorder: true})
	city("g") // held until WaitWebhooks
	wait, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	require.NoError(t, srv.WaitWebhooks(wait))
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"ContactCreate a", "ContactUpdate c", "ContactUpdate c", "ContactUpdate e", "ContactUpdate d", "ContactUpdate g"}, got)
	assert.Len(t, ids, 6, "the duplicate has a webhookId of its own")
}
