package acceptance_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/internal/acceptance"
)

// TestMirror: an app mirroring HighLevel loads five people, then follows
// what someone changes in HighLevel (a contact edited, a task added and one
// completed, a note added, a contact deleted, a contact created) through
// webhooks or, when they stop, polling; raises each due-soon reminder once;
// and books and moves an appointment in free slots; under every fault. At
// the end every view equals what HighLevel holds.
func TestMirror(t *testing.T) {
	t.Parallel()
	for _, fault := range allFaults {
		t.Run(fault, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			e := newEnv(t, fault)
			var ids []string
			for i := range 5 {
				c, err := e.User.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr(fmt.Sprintf("p%d@example.com", i)), FirstName: ghl.Ptr(fmt.Sprintf("P%d", i))})
				require.NoError(t, err)
				ids = append(ids, c.ID)
				_, err = e.User.Tasks.Create(ctx, c.ID, ghl.CreateTaskRequest{Title: "Check in", DueDate: time.Now().Add(time.Duration(i+1) * 24 * time.Hour)})
				require.NoError(t, err)
				_, err = e.User.Notes.Create(ctx, c.ID, ghl.CreateNoteRequest{Body: fmt.Sprintf("Note for P%d", i)})
				require.NoError(t, err)
			}
			m := &acceptance.Mirror{Client: e.App, CalendarID: ghltest.DefaultCalendarID, Quiet: testQuiet}
			e.listen(m.Webhook)
			e.settle(m.Pump, func() bool { return len(m.People()) == 5 })
			e.arm()

			// Someone works in HighLevel.
			_, err := e.User.Contacts.Update(ctx, ids[0], ghl.UpdateContactRequest{City: ghl.Ptr("Denver")})
			require.NoError(t, err)
			soon, err := e.User.Tasks.Create(ctx, ids[1], ghl.CreateTaskRequest{Title: "Call back", DueDate: time.Now().Add(30 * time.Minute)})
			require.NoError(t, err)
			tasks, err := e.User.Tasks.List(ctx, ids[2])
			require.NoError(t, err)
			_, err = e.User.Tasks.Complete(ctx, ids[2], tasks[0].ID, true)
			require.NoError(t, err)
			_, err = e.User.Notes.Create(ctx, ids[3], ghl.CreateNoteRequest{Body: "Moved house"})
			require.NoError(t, err)
			require.NoError(t, e.User.Contacts.Delete(ctx, ids[4]))
			nc, err := e.User.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("new@example.com"), FirstName: ghl.Ptr("New")})
			require.NoError(t, err)

			// The app books, then moves, an appointment.
			monday := nextWeekday(time.Now().Add(48*time.Hour), time.Monday)
			var appt *ghl.Appointment
			for try := 0; appt == nil; try++ {
				require.Less(t, try, 5, "booking kept failing")
				if appt, err = m.Book(ctx, ids[0], "Site visit", monday); err != nil {
					require.True(t, typed(err), "%v", err)
					t.Logf("book: %v (booked again)", err)
				}
			}
			moved, err := m.Move(ctx, appt.ID, monday.Add(24*time.Hour))
			require.NoError(t, err)
			require.True(t, moved.StartTime.After(appt.StartTime.Time))

			want := func() map[string]acceptance.PersonView { // what HighLevel holds
				out := map[string]acceptance.PersonView{}
				for c, err := range e.User.Contacts.SearchAll(ctx, ghl.SearchRequest{}) {
					if err != nil {
						return nil
					}
					ts, _ := e.User.Tasks.List(ctx, c.ID)
					ns, _ := e.User.Notes.List(ctx, c.ID)
					as, _ := e.User.Appointments.List(ctx, c.ID)
					out[c.ID] = acceptance.PersonView{Contact: c, Tasks: ts, Notes: ns, Appointments: as}
				}
				return out
			}
			same := func() bool {
				hl := want()
				if len(hl) != 5 {
					return false // the search index has not caught up
				}
				for _, id := range m.People() {
					p, _ := m.Person(id)
					h, ok := hl[id]
					if p.Deleted != !ok {
						return false
					}
					if !ok {
						continue
					}
					if p.Contact.City != h.Contact.City || p.Contact.FirstName != h.Contact.FirstName || !sameIDs(p.Tasks, h.Tasks, taskKey) ||
						!sameIDs(p.Notes, h.Notes, func(n ghl.Note) string { return n.ID + n.Body }) ||
						!sameIDs(p.Appointments, h.Appointments, func(a ghl.Appointment) string { return a.ID + a.StartTime.String() }) {
						return false
					}
				}
				return len(m.People()) == 6
			}
			e.settle(m.Pump, same)

			p0, _ := m.Person(ids[0])
			assert.Equal(t, "Denver", p0.Contact.City)
			require.Len(t, p0.Appointments, 1, "booked once")
			assert.Equal(t, appt.ID, p0.Appointments[0].ID)
			p4, _ := m.Person(ids[4])
			assert.True(t, p4.Deleted, "deleted in HighLevel: kept, marked")
			pn, ok := m.Person(nc.ID)
			require.True(t, ok)
			assert.Equal(t, "New", pn.Contact.FirstName)

			rem := m.Reminders(time.Now(), 25*time.Hour)
			require.Len(t, rem, 2, "the task due in 30 minutes and P0's, due in a day; not P2's completed one")
			assert.Equal(t, soon.ID, rem[0].TaskID)
			assert.Equal(t, ids[0], rem[1].ContactID)
			assert.Empty(t, m.Reminders(time.Now(), 25*time.Hour), "each reminder once")

			// Minimum: the first poll (a search) and five people's tasks,
			// notes and appointments (15); the change to P0 (a read); the new
			// task, the completion and the note (3 lists); the new contact
			// (a read and 3 lists); the booking and the move (free slots
			// and a write each), and reading the appointments back (1).
			e.report("mirror", 1+15+1+3+4+4+1+e.tokenMin())
		})
	}
}

func taskKey(t ghl.Task) string {
	return fmt.Sprintf("%s %s %v %s", t.ID, t.Title, t.Completed, t.DueDate)
}

func sameIDs[T any](a, b []T, key func(T) string) bool {
	ka, kb := make([]string, 0, len(a)), make([]string, 0, len(b))
	for _, x := range a {
		ka = append(ka, key(x))
	}
	for _, x := range b {
		kb = append(kb, key(x))
	}
	slices.Sort(ka)
	slices.Sort(kb)
	return slices.Equal(ka, kb)
}

// nextWeekday is the first day on or after t that is wd, at 09:00 in the
// default calendar's zone.
func nextWeekday(t time.Time, wd time.Weekday) time.Time {
	ny, _ := time.LoadLocation("America/New_York")
	t = t.In(ny)
	for t.Weekday() != wd {
		t = t.Add(24 * time.Hour)
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 9, 0, 0, 0, ny)
}
