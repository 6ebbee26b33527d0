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

// TestTeamApp: select a person (four reads at once), edit, complete a task,
// create a person with a task (twice: no duplicate), and a contact deleted
// in HighLevel marked inactive, not lost, under a 429 burst and a 503.
func TestTeamApp(t *testing.T) {
	ctx := context.Background()
	for _, fault := range []string{"none", "429 burst", "503 on a write"} {
		t.Run(fault, func(t *testing.T) {
			srv := ghltest.NewServer(ghltest.WithRateLimit(20, 100*time.Millisecond))
			defer srv.Close()
			c, err := srv.Client(ghl.WithRetryPolicy(ghl.RetryPolicy{MinWait: time.Millisecond, MaxWait: 200 * time.Millisecond}))
			require.NoError(t, err)
			app := &scenarios.TeamApp{Client: c}
			switch fault {
			case "429 burst":
				srv.Inject(ghltest.Fault{Path: "/contacts/*", Status: 429, RetryAfter: "0", Times: 6})
			case "503 on a write":
				srv.Inject(ghltest.Fault{Method: "PUT", Path: "/contacts/*", Status: 503, Body: `{}`})
			}

			ct, task, err := app.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("team@example.com"), FirstName: ghl.Ptr("Tam")}, "Intro call")
			require.NoError(t, err)
			require.NotNil(t, task)
			again, task2, err := app.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("team@example.com")}, "Intro call")
			require.NoError(t, err)
			assert.Equal(t, ct.ID, again.ID)
			assert.Nil(t, task2, "no second welcome task")

			_, err = c.Notes.Create(ctx, ct.ID, ghl.CreateNoteRequest{Body: "Met at the fair"})
			require.NoError(t, err)
			p, err := app.Select(ctx, ct.ID)
			require.NoError(t, err)
			assert.Equal(t, "Tam", p.Contact.FirstName)
			assert.Len(t, p.Tasks, 1)
			assert.Len(t, p.Notes, 1)

			require.NoError(t, app.Edit(ctx, ct.ID, ghl.UpdateContactRequest{City: ghl.Ptr("Porto")}, task.ID,
				ghl.UpdateTaskRequest{Completed: ghl.Ptr(true)}))
			p, err = app.Select(ctx, ct.ID)
			require.NoError(t, err)
			assert.Equal(t, "Porto", p.Contact.City)
			assert.True(t, p.Tasks[0].Completed)

			require.NoError(t, c.Contacts.Delete(ctx, ct.ID))
			p, err = app.Select(ctx, ct.ID)
			require.NoError(t, err)
			assert.True(t, p.Inactive, "deleted in HighLevel: marked inactive, not an error")
			assert.Equal(t, 0, srv.ContactCount(ghltest.DefaultLocationID))
			assert.Zero(t, srv.RateLimited()-map[string]int{"none": 0, "429 burst": 6, "503 on a write": 0}[fault],
				"the limiter kept the four concurrent reads within the limit")
		})
	}
}
