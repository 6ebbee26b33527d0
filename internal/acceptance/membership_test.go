package acceptance_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghlsync"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/internal/acceptance"
	"github.com/ghlkit/ghl/internal/testenv"
)

// members is the size of the import: 100 with -short, 500 in a plain go
// test run, 5,000 with GHL_TEST_LONG=1 (CI's longer step); a fifth of that
// under the race detector, which makes each request several times dearer.
var members = map[bool]int{false: 500, true: 5000}[testenv.Long()] / raceShrink

const (
	existing  = 20 // of the members, already in HighLevel (lapsed, with a tag of their own)
	dupRows   = 100
	badPlans  = 20
	noEmail   = 10
	planField = "contact.membership_plan"
)

// membersCSV is the platform's export: members rows with their own column
// names, dupRows repeats (a later phone), badPlans members with a plan the
// field does not offer, and noEmail rows without an email.
func membersCSV() string {
	var b strings.Builder
	b.WriteString("E-mail,Given name,Family name,Mobile,Tier,State,joined\n")
	plans := []string{"gold", "silver", "bronze"}
	for i := range members {
		fmt.Fprintf(&b, "member%d@Example.com,M%d,Member,+1555%07d,%s,active,2024-01-01\n", i, i, i, plans[i%3])
	}
	for i := range dupRows {
		fmt.Fprintf(&b, "MEMBER%d@example.com,,,+1666%07d,,,\n", i*7%members, i) // 7 and members share no factor: dupRows distinct members
	}
	for i := range badPlans {
		fmt.Fprintf(&b, "bad%d@example.com,B%d,Plan,,platinum,active,\n", i, i)
	}
	for i := range noEmail {
		fmt.Fprintf(&b, ",N%d,NoEmail,,gold,active,\n", i)
	}
	return b.String()
}

var mapping = acceptance.Mapping{Email: "E-mail", FirstName: "Given name", LastName: "Family name", Phone: "Mobile", Plan: "Tier", Status: "State"}

// TestMembership: members (5,000 in the long run) imported from a CSV with its own column
// names, duplicates folded, members already in HighLevel matched (their
// lapsed status replaced, their own tag kept), bad rows written to a
// failures file that imports once fixed; then live: a plan change pushed,
// tags, notes and tasks both ways, and an onboarding task for a contact
// made in HighLevel; under every fault, armed mid-import. At the end every
// member is the same on both sides, and none is in HighLevel twice.
func TestMembership(t *testing.T) {
	t.Parallel()
	for _, fault := range allFaults {
		t.Run(fault, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			e := newEnv(t, fault, ghltest.WithRateLimit(100, 10*time.Millisecond))
			e.srv.AddCustomField(ghltest.DefaultLocationID, ghl.CustomFieldDefinition{Name: "Plan", FieldKey: planField,
				DataType: ghl.FieldSingleOptions, PicklistOptions: []string{"gold", "silver", "bronze"}})
			for i := range existing {
				_, err := e.User.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr(fmt.Sprintf("member%d@example.com", i*(members/existing))),
					FirstName: ghl.Ptr("Old"), Tags: []string{"status:lapsed", "newsletter"}})
				require.NoError(t, err)
			}
			// SweepBatch: all members re-read in a few quiet periods when
			// webhooks stop (a test-speed setting, like the window).
			app := &acceptance.Membership{Client: e.App, PlanField: planField, Quiet: testQuiet, SweepBatch: 2000}
			e.listen(app.Webhook)

			var mu sync.Mutex
			var last ghl.BulkProgress
			var failures bytes.Buffer
			rep, err := app.Import(ctx, strings.NewReader(membersCSV()), mapping, func(p ghl.BulkProgress) {
				mu.Lock()
				defer mu.Unlock()
				last = p
				if p.Done >= members/3 {
					e.arm()
				}
			}, &failures)
			require.NoError(t, err)
			e.arm() // if the import beat the first progress report
			assert.Equal(t, members+dupRows+badPlans+noEmail, rep.Rows)
			assert.Equal(t, dupRows, rep.Duplicates)
			mu.Lock()
			assert.Equal(t, members, last.Done, "progress reached the end")
			mu.Unlock()
			// A fault's typed error leaves a member to the failures file.
			t.Logf("import: %d members, %d failed", rep.Members, rep.Failed)
			require.Equal(t, members, rep.Members+rep.Failed-badPlans-noEmail)

			// Fix the failures file and import it again, as it is.
			fixed := fixFailures(t, failures.String())
			rep2, err := app.Import(ctx, strings.NewReader(fixed), mapping, nil, nil)
			require.NoError(t, err)
			require.Zero(t, rep2.Failed)
			require.Equal(t, members+badPlans+noEmail, e.srv.ContactCount(ghltest.DefaultLocationID), "every member once")

			// Live.
			m7 := "member7@example.com"
			mb, _, _, ok := app.Member(m7)
			require.True(t, ok)
			mb.Plan = "bronze"
			if err := app.Update(ctx, mb); err != nil {
				assert.True(t, typed(err), "%v", err)
			}
			// The app first (its writes meet the faults still armed), then
			// someone in HighLevel.
			if err := app.AddNote(ctx, "member8@example.com", "Prefers email"); err != nil {
				assert.True(t, typed(err), "%v", err)
			}
			if err := app.AddTask(ctx, "member9@example.com", "Send welcome pack", time.Now().Add(24*time.Hour)); err != nil {
				assert.True(t, typed(err), "%v", err)
			}
			y, z := e.linked(app, "member8@example.com"), e.linked(app, "member9@example.com")
			_, err = e.User.Tags.Add(ctx, y, []string{"VIP"})
			require.NoError(t, err)
			_, err = e.User.Notes.Create(ctx, y, ghl.CreateNoteRequest{Body: "Asked about the annual plan"})
			require.NoError(t, err)
			_, err = e.User.Tasks.Create(ctx, z, ghl.CreateTaskRequest{Title: "Renewal call", DueDate: time.Now().Add(time.Hour)})
			require.NoError(t, err)
			_, err = e.User.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("walkin@example.com"), FirstName: ghl.Ptr("Walk")})
			require.NoError(t, err)

			e.settle(app.Pump, func() bool {
				y, _, yn, _ := app.Member("member8@example.com")
				_, zt, _, _ := app.Member("member9@example.com")
				_, wt, _, ok := app.Member("walkin@example.com")
				return app.Pending() == 0 && ok && len(wt) == 1 && wt[0].RemoteID != "" && slices.Contains(y.Tags, "vip") &&
					len(yn) == 2 && len(zt) == 2 && allLinked(zt)
			})

			// Both sides the same.
			ids := app.Members()
			require.Len(t, ids, members+badPlans+noEmail+1)
			require.Equal(t, len(ids), e.srv.ContactCount(ghltest.DefaultLocationID), "nothing duplicated, nothing lost")
			for _, id := range ids {
				mb, tasks, notes, _ := app.Member(id)
				hl, ok := e.srv.Contact(ghltest.DefaultLocationID, e.linked(app, id))
				require.True(t, ok, id)
				require.Equal(t, mb.Email, strings.ToLower(hl.Email), id)
				require.Equal(t, mb.Phone, hl.Phone, id)
				require.Equal(t, mb.FirstName, hl.FirstName, id)
				wantTags := slices.Clone(mb.Tags)
				if mb.Status != "" {
					wantTags = append(wantTags, "status:"+mb.Status)
				}
				require.ElementsMatch(t, ghlsync.NormalizeTags(hl.Tags), ghlsync.NormalizeTags(wantTags), id)
				if len(tasks)+len(notes) > 0 {
					hlTasks, err := e.User.Tasks.List(ctx, hl.ID)
					require.NoError(t, err)
					hlNotes, err := e.User.Notes.List(ctx, hl.ID)
					require.NoError(t, err)
					require.Len(t, hlTasks, len(tasks), id)
					require.Len(t, hlNotes, len(notes), id)
				}
			}
			m, _, _, _ := app.Member(m7)
			assert.Equal(t, "bronze", m.Plan)
			old, _, _, _ := app.Member(fmt.Sprintf("member%d@example.com", members/existing))
			assert.Equal(t, "active", old.Status, "the CSV's status replaced the lapsed one")
			assert.Equal(t, []string{"newsletter"}, old.Tags, "the member's own tag kept")
			_, wt, _, _ := app.Member("walkin@example.com")
			assert.Equal(t, "Onboarding call", wt[0].Title)

			// Minimum: the plan field (1); per member a lookup and a create
			// or update (2 × (members + 30)); the plan change, note and task pushed
			// (a read and a write, 2 creates); pulling the tag, the note and
			// the task (a read, 2 lists); the new contact (a task create).
			e.report("membership", 1+2*(members+badPlans+noEmail)+4+3+1+e.tokenMin())
		})
	}
}

func allLinked(ts []ghlsync.Task) bool {
	return !slices.ContainsFunc(ts, func(t ghlsync.Task) bool { return t.RemoteID == "" })
}

// fixFailures does what a person would: gives the rows without an email
// one, sets a plan the field offers, and keeps the rest of the file.
func fixFailures(t *testing.T, text string) string {
	t.Helper()
	r := csv.NewReader(strings.NewReader(text))
	all, err := r.ReadAll()
	require.NoError(t, err)
	require.NotEmpty(t, all)
	header := all[0]
	require.Equal(t, "error", header[len(header)-1])
	var b strings.Builder
	w := csv.NewWriter(&b)
	_ = w.Write(header)
	for i, row := range all[1:] {
		if row[0] == "" {
			row[0] = fmt.Sprintf("fixed%d@example.com", i)
		}
		if row[4] == "platinum" {
			row[4] = "gold"
		}
		_ = w.Write(row)
	}
	w.Flush()
	return b.String()
}
