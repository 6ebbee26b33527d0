package acceptance_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/internal/acceptance"
)

// TestConnectorActions: the three actions and the trigger, under every
// fault: a failed action is a typed error with a message, and running the
// step again (as the platform does) leaves HighLevel as if it had run once.
func TestConnectorActions(t *testing.T) {
	t.Parallel()
	for _, fault := range allFaults {
		t.Run(fault, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			e := newEnv(t, fault)
			k := &acceptance.Connector{Client: e.App, Quiet: testQuiet}
			e.listen(k.Webhook)
			ct, err := e.User.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("zap@example.com"), FirstName: ghl.Ptr("Zoe")})
			require.NoError(t, err)
			seen := map[string]ghl.Contact{}
			trigger := func(context.Context) error {
				cs, err := k.ContactChanged(ctx)
				for _, c := range cs {
					seen[c.ID] = c
				}
				return err
			}
			e.settle(trigger, func() bool { return seen[ct.ID].ID != "" })
			e.arm()

			// "New task", run again by the platform until it succeeds; a
			// step whose outcome is unknown is checked first, as its
			// message says.
			var task *ghl.Task
			for try := 0; task == nil; try++ {
				require.Less(t, try, 5, "the step kept failing")
				task, err = k.NewTask(ctx, ct.ID, "Send the quote", time.Now().Add(24*time.Hour))
				if err != nil {
					require.True(t, typed(err), "%v", err)
					msg := acceptance.Message(err)
					t.Logf("new task: %s", msg)
					if errors.Is(err, ghl.ErrMaybeProcessed) {
						got, err := k.ContactRetrieved(ctx, ct.ID)
						require.NoError(t, err)
						if len(got.Tasks) == 1 {
							task = &got.Tasks[0]
						}
					}
				}
			}
			for try := 0; ; try++ {
				require.Less(t, try, 5, "the step kept failing")
				err := k.ContactOrTaskUpdated(ctx, ct.ID, ghl.UpdateContactRequest{City: ghl.Ptr("Lisbon")}, task.ID, true)
				if err == nil {
					break
				}
				require.True(t, typed(err), "%v", err)
			}
			got, err := k.ContactRetrieved(ctx, ct.ID)
			require.NoError(t, err)
			assert.Equal(t, "Lisbon", got.Contact.City)
			require.Len(t, got.Tasks, 1, "the task was made once")
			assert.True(t, got.Tasks[0].Completed)

			// The trigger fires for the update and for a contact made in
			// HighLevel, each once in its latest state.
			nc, err := e.User.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("zed@example.com")})
			require.NoError(t, err)
			e.settle(trigger, func() bool { return seen[ct.ID].City == "Lisbon" && seen[nc.ID].ID != "" })
			// Minimum: the first trigger (a read); the task create; the
			// update and the completion; the retrieval (a read and a list);
			// the trigger (one poll can see both changes).
			e.report("connector", 1+1+2+2+1+e.tokenMin())
		})
	}
}

// TestConnectorMessages: every typed error an action can meet becomes a
// message a non-programmer can act on.
func TestConnectorMessages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := ghltest.NewServer(ghltest.WithRateLimit(1000, time.Second))
	defer srv.Close()
	c, err := srv.Client(ghl.WithRetryPolicy(ghl.RetryPolicy{MaxRetries: ghl.NoRetries}))
	require.NoError(t, err)
	k := &acceptance.Connector{Client: c}
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
		{"bad credentials", func() error { _, err := (&acceptance.Connector{Client: bad}).ContactRetrieved(ctx, ct.ID); return err }, "did not accept the connection's credentials"},
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
		{"unavailable", func() error {
			srv.Inject(ghltest.Fault{Method: "POST", Path: "/contacts/*/tasks", Status: 503, Body: `{"message":"Service Unavailable"}`})
			_, err := k.NewTask(ctx, ct.ID, "Call", time.Now().Add(time.Hour))
			return err
		}, "briefly unavailable"},
		{"daily limit", func() error {
			return &ghl.RateLimitError{APIError: &ghl.APIError{StatusCode: 429}, Daily: true}
		}, "daily request limit"},
	}
	for _, tc := range cases {
		err := tc.err()
		require.Error(t, err, tc.name)
		msg := acceptance.Message(err)
		assert.Contains(t, msg, tc.want, tc.name)
		assert.NotContains(t, msg, "ghl:", "%s: no SDK jargon in %q", tc.name, msg)
	}
}
