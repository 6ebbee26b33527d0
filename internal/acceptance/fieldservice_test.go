package acceptance_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghlsync"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/internal/acceptance"
)

// TestFieldService: customers pushed (one already in HighLevel), a
// follow-up task for each new one, a note for each key-field change, tags
// and a note added in HighLevel coming back into the customer and its
// history, and a dashboard read by a second process; under every fault.
// At the end HighLevel and the app hold the same customers, tasks and notes.
func TestFieldService(t *testing.T) {
	t.Parallel()
	for _, fault := range allFaults {
		t.Run(fault, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			e := newEnv(t, fault)
			app := &acceptance.FieldService{Client: e.App, Quiet: testQuiet}
			e.listen(app.Webhook)

			// Already in HighLevel before the app knew of her.
			existing, err := e.User.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("cara@example.com"), FirstName: ghl.Ptr("Cara"), Phone: ghl.Ptr("+15550000003")})
			require.NoError(t, err)
			customer := func(i int) acceptance.Customer {
				names := []string{"Ana", "Ben", "Cara", "Dev", "Eli", "Fay"}
				return acceptance.Customer{ID: fmt.Sprintf("c%d", i), FirstName: names[i], LastName: "Field",
					Email: strings.ToLower(names[i]) + "@example.com", Phone: fmt.Sprintf("+1555000000%d", i),
					Address: fmt.Sprintf("%d Main St", i+1), City: "Austin"}
			}
			save := func(c acceptance.Customer) {
				if err := app.Save(ctx, c); err != nil {
					t.Logf("save %s: %v (kept; Pump retries)", c.ID, err) // a fault's typed error
					assert.True(t, typed(err), "untyped error: %v", err)
				}
			}
			for i := range 3 {
				save(customer(i))
			}
			e.arm()
			for i := 3; i < 6; i++ {
				save(customer(i))
			}
			a, b, c := customer(0), customer(1), customer(2)
			a.Address = "9 Oak Ave" // key field: a note
			save(a)
			b.Phone = "+15559999999" // key field: a note
			save(b)
			c.LastName = "Fieldman" // not a key field: no note
			save(c)

			// Someone works in HighLevel.
			aID, bID := e.linked(app, "c0"), e.linked(app, "c1")
			_, err = e.User.Tags.Add(ctx, aID, []string{"VIP"})
			require.NoError(t, err)
			_, err = e.User.Notes.Create(ctx, bID, ghl.CreateNoteRequest{Body: "Gate code 4321"})
			require.NoError(t, err)

			e.settle(app.Pump, func() bool {
				ca, _ := app.Customer("c0")
				return app.Pending() == 0 && slices.Contains(ca.Tags, "vip") &&
					slices.ContainsFunc(app.Notes("c1"), func(n ghlsync.Note) bool { return n.Body == "Gate code 4321" })
			})

			// Both sides hold the same: one contact per customer, the same
			// fields and tags, one follow-up task each, the same notes.
			require.Equal(t, 6, e.srv.ContactCount(ghltest.DefaultLocationID), "one contact per customer, none twice")
			assert.Equal(t, existing.ID, e.linked(app, "c2"), "the existing contact was linked, not duplicated")
			for i := range 6 {
				id := fmt.Sprintf("c%d", i)
				got, _ := app.Customer(id)
				hl, ok := e.srv.Contact(ghltest.DefaultLocationID, e.linked(app, id))
				require.True(t, ok)
				assert.Equal(t, got.Email, hl.Email, id)
				assert.Equal(t, got.Phone, hl.Phone, id)
				assert.Equal(t, got.Address, hl.Address1, id)
				assert.Equal(t, got.LastName, hl.LastName, id)
				assert.ElementsMatch(t, ghlsync.NormalizeTags(hl.Tags), got.Tags, id)
				tasks, err := e.User.Tasks.List(ctx, hl.ID)
				require.NoError(t, err)
				require.Len(t, tasks, 1, "%s: one follow-up task", id)
				assert.Equal(t, "Follow up with "+got.FirstName+" Field", tasks[0].Title)
				notes, err := e.User.Notes.List(ctx, hl.ID)
				require.NoError(t, err)
				var hlBodies, appBodies []string
				for _, n := range notes {
					hlBodies = append(hlBodies, n.Body)
				}
				for _, n := range app.Notes(id) {
					appBodies = append(appBodies, n.Body)
				}
				assert.ElementsMatch(t, hlBodies, appBodies, id)
			}
			assert.Len(t, app.Notes("c0"), 1, "the address change")
			assert.Len(t, app.Notes("c1"), 2, "the phone change and HighLevel's note")
			assert.Empty(t, app.Notes("c2"))
			assert.Contains(t, app.History("c0"), acceptance.Activity{At: app.History("c0")[0].At, What: "tag added", Text: "vip"})
			assert.True(t, slices.ContainsFunc(app.History("c1"), func(a acceptance.Activity) bool {
				return a.What == "note added" && a.Text == "Gate code 4321"
			}))

			// The dashboard, served by the app's other process.
			var rows []acceptance.DashboardRow
			e.eventually(func() bool {
				rows, err = (&acceptance.FieldService{Client: e.Worker}).Dashboard(ctx)
				return err == nil && len(rows) == 6 && rows[0].Phone != ""
			}, "dashboard: %v", err)
			for _, r := range rows {
				assert.NotEmpty(t, r.Name)
				assert.NotEmpty(t, r.Email)
				assert.False(t, r.LastActivity.IsZero())
			}
			// Minimum: per customer a lookup, a create or update and a task
			// create (18); per key-field change a read, an update and a note
			// create (6); c2's rename a read and an update (2); pulling the
			// tag (a read) and the note (a list) (2); the dashboard (1).
			e.report("field service", 29+e.tokenMin())
		})
	}
}

// TestFieldServiceConflicts: the phone changed in HighLevel, then in the
// app, before the app pulled: under last-write-wins the app's later value
// wins; under a field-level policy that gives HighLevel the phone,
// HighLevel's value wins and comes back into the app. Both report the
// conflict.
func TestFieldServiceConflicts(t *testing.T) {
	t.Parallel()
	for _, policy := range []string{"last write wins", "field level"} {
		t.Run(policy, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, faultNone)
			app := &acceptance.FieldService{Client: e.App}
			if policy == "field level" {
				app.Merge = ghlsync.MergeOptions{Fields: map[string]ghlsync.Resolver{
					ghlsync.FieldPhone: func(c ghlsync.Conflict) (string, ghlsync.Side) { return c.Remote, ghlsync.Remote },
				}}
			}
			c := acceptance.Customer{ID: "x", FirstName: "Xia", Email: "xia@example.com", Phone: "+15550001000", City: "Reno"}
			require.NoError(t, app.Save(ctx, c))
			_, err := e.User.Contacts.Update(ctx, e.linked(app, "x"), ghl.UpdateContactRequest{Phone: ghl.Ptr("+15550002000"), Website: ghl.Ptr("https://xia.example")})
			require.NoError(t, err)
			time.Sleep(5 * time.Millisecond)
			c.Phone, c.City = "+15550003000", "Elko" // later, in the app
			require.NoError(t, app.Save(ctx, c))

			want := map[string]string{"last write wins": "+15550003000", "field level": "+15550002000"}[policy]
			got, _ := app.Customer("x")
			hl, _ := e.srv.Contact(ghltest.DefaultLocationID, e.linked(app, "x"))
			assert.Equal(t, want, got.Phone)
			assert.Equal(t, want, hl.Phone)
			assert.Equal(t, "Elko", hl.City, "the app's other change, not in conflict, went through")
			conf := app.Conflicts()
			require.Len(t, conf, 1)
			assert.Equal(t, ghlsync.FieldPhone, conf[0].Field)
			assert.Equal(t, want, conf[0].Value)
		})
	}
}
