package scenarios_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/scenarios"
)

// TestConnectorActions: the three actions against ghltest, with and without
// faults (a 429 burst, a 503 on a write, a dropped connection after a task
// create was processed).
func TestConnectorActions(t *testing.T) {
	ctx := context.Background()
	for _, fault := range []string{"none", "429 burst", "503 on a write", "dropped after create"} {
		t.Run(fault, func(t *testing.T) {
			srv := ghltest.NewServer(ghltest.WithRateLimit(1000, time.Second))
			defer srv.Close()
			c, err := srv.Client(ghl.WithRetryPolicy(ghl.RetryPolicy{MinWait: time.Millisecond, MaxWait: 20 * time.Millisecond}))
			require.NoError(t, err)
			k := &scenarios.Connector{Client: c}
			ct, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("zap@example.com"), FirstName: ghl.Ptr("Zoe")})
			require.NoError(t, err)
			switch fault {
			case "429 burst":
				srv.Inject(ghltest.Fault{Path: "/contacts/*", Status: 429, RetryAfter: "0", Times: 5})
			case "503 on a write":
				srv.Inject(ghltest.Fault{Method: "PUT", Path: "/contacts/*", Status: 503, Body: `{"message":"maintenance"}`})
			case "dropped after create":
				srv.Inject(ghltest.Fault{Method: "POST", Path: "/contacts/*/tasks", DropAfter: true})
			}

			task, err := k.NewTask(ctx, ct.ID, "Send the quote", time.Now().Add(24*time.Hour))
			if fault == "dropped after create" {
				require.ErrorIs(t, err, ghl.ErrMaybeProcessed)
				assert.Contains(t, scenarios.Message(err), "may have been made")
				tasks, _ := c.Tasks.List(ctx, ct.ID)
				require.Len(t, tasks, 1, "the create was carried out once, not twice")
				task = &tasks[0]
			} else {
				require.NoError(t, err)
			}
			require.NoError(t, k.ContactOrTaskUpdated(ctx, ct.ID, ghl.UpdateContactRequest{City: ghl.Ptr("Lisbon")}, task.ID, true))
			got, err := k.ContactRetrieved(ctx, ct.ID)
			require.NoError(t, err)
			assert.Equal(t, "Lisbon", got.Contact.City)
			require.Len(t, got.Tasks, 1)
			assert.True(t, got.Tasks[0].Completed)
		})
	}
}

// TestConnectorMessages: every typed error an action can meet becomes a
// message a non-programmer can act on.
func TestConnectorMessages(t *testing.T) {
	ctx := context.Background()
	srv := ghltest.NewServer(ghltest.WithRateLimit(1000, time.Second))
	defer srv.Close()
	c, err := srv.Client(ghl.WithRetryPolicy(ghl.RetryPolicy{MaxRetries: ghl.NoRetries}))
	require.NoError(t, err)
	k := &scenarios.Connector{Client: c}
	ct, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("dup@example.com")})
	require.NoError(t, err)
	bad, err := ghl.NewClient(ghl.WithBaseURL(srv.URL()), ghl.WithToken("not-a-token"), ghl.WithLocation(ghltest.DefaultLocationID))
	require.NoError(t, err)

	cases := []struct {
		name string
		err  func() error
		want string
	}{
		{"bad ID", func() error { _, err := k.ContactRetrieved(ctx, "a/b"); return err }, `The step's "contactId" field is not valid`},
		{"missing contact", func() error { _, err := k.ContactRetrieved(ctx, "NoSuchContact0000001"); return err }, "has no such contact or task"},
		{"bad credentials", func() error { _, err := (&scenarios.Connector{Client: bad}).ContactRetrieved(ctx, ct.ID); return err }, "did not accept the connection's credentials"},
		{"duplicate", func() error {
			_, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("dup@example.com")})
			return err
		}, "A contact with this email already exists in HighLevel (" + ct.ID + ")"},
		{"too many requests", func() error {
			srv.Inject(ghltest.Fault{Path: "/contacts/*", Status: 429, RetryAfter: "1"})
			_, err := k.ContactRetrieved(ctx, ct.ID)
			return err
		}, "too many requests"},
		{"refused values", func() error {
			_, err := k.NewTask(ctx, ct.ID, "", time.Now())
			return err
		}, `The step's "title" field is not valid`},
		{"reauthorize", func() error { return ghl.ErrReauthRequired }, "Reconnect your HighLevel account in the connector's settings"},
		{"outcome unknown", func() error {
			srv.Inject(ghltest.Fault{Method: "POST", Path: "/contacts/*/tasks", Status: 502, Body: "bad gateway"})
			_, err := k.NewTask(ctx, ct.ID, "Call", time.Now().Add(time.Hour))
			return err
		}, "may have been made. Check HighLevel before running the step again"},
		{"daily limit", func() error {
			return &ghl.RateLimitError{APIError: &ghl.APIError{StatusCode: 429}, Daily: true}
		}, "daily request limit"},
	}
	for _, tc := range cases {
		err := tc.err()
		require.Error(t, err, tc.name)
		msg := scenarios.Message(err)
		assert.Contains(t, msg, tc.want, tc.name)
		assert.NotContains(t, msg, "ghl:", "%s: no SDK jargon in %q", tc.name, msg)
	}
}
