package acceptance_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/internal/acceptance"
)

// TestTeamApp: select a person (four reads at once), edit, complete a task,
// create a person with a task (twice: no duplicate), and a contact deleted
// in HighLevel marked inactive, not lost (by webhook, or by a sweep when
// webhooks stop), under every fault.
func TestTeamApp(t *testing.T) {
	t.Parallel()
	for _, fault := range allFaults {
		t.Run(fault, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			e := newEnv(t, fault)
			app := &acceptance.TeamApp{Client: e.App, Quiet: testQuiet}
			e.listen(app.Webhook)
			var others []string
			for i := range 2 {
				c, err := e.User.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr(fmt.Sprintf("o%d@example.com", i))})
				require.NoError(t, err)
				others = append(others, c.ID)
			}
			e.arm()

			var ct *ghl.Contact
			var task *ghl.Task
			for try := 0; task == nil; try++ { // the app's "create" button, pressed again after a failure
				require.Less(t, try, 5, "create kept failing")
				c, tk, err := app.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("team@example.com"), FirstName: ghl.Ptr("Tam")}, "Intro call")
				if err != nil {
					require.True(t, typed(err), "%v", err)
					t.Logf("create: %s", acceptance.Message(err))
				}
				ct, task = c, tk
			}
			again, task2, err := app.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("team@example.com")}, "Intro call")
			require.NoError(t, err)
			assert.Equal(t, ct.ID, again.ID)
			assert.Equal(t, task.ID, task2.ID, "no second welcome task")

			_, err = e.User.Notes.Create(ctx, ct.ID, ghl.CreateNoteRequest{Body: "Met at the fair"})
			require.NoError(t, err)
			p, err := app.Select(ctx, ct.ID)
			require.NoError(t, err)
			assert.Equal(t, "Tam", p.Contact.FirstName)
			assert.Len(t, p.Tasks, 1)
			assert.Len(t, p.Notes, 1)
			for _, id := range others {
				_, err := app.Select(ctx, id)
				require.NoError(t, err)
			}

			for try := 0; ; try++ {
				require.Less(t, try, 5, "the edit kept failing")
				err := app.Edit(ctx, ct.ID, ghl.UpdateContactRequest{City: ghl.Ptr("Porto")}, task.ID, ghl.UpdateTaskRequest{Completed: ghl.Ptr(true)})
				if err == nil {
					break
				}
				require.True(t, typed(err), "%v", err)
			}
			p, err = app.Select(ctx, ct.ID)
			require.NoError(t, err)
			assert.Equal(t, "Porto", p.Contact.City)
			assert.True(t, p.Tasks[0].Completed)

			// Deleted in HighLevel: the app learns it without selecting.
			require.NoError(t, e.User.Contacts.Delete(ctx, ct.ID))
			e.settle(app.Pump, func() bool { p, _ := app.Person(ct.ID); return p.Inactive })
			kept, _ := app.Person(ct.ID)
			assert.Equal(t, "Porto", kept.Contact.City, "marked inactive, what the app held kept")
			for _, id := range others {
				p, _ := app.Person(id)
				assert.False(t, p.Inactive)
			}
			assert.Equal(t, 2, e.srv.ContactCount(ghltest.DefaultLocationID))
			// Minimum: the create (a lookup, a create, a task create); the
			// second create (a lookup and a list); three selects of four reads and two
			// of the others (4 × 5); the edit (2).
			e.report("team app", 3+2+20+2+e.tokenMin())
		})
	}
}
