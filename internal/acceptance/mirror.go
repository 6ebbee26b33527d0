package acceptance

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/webhook"
)

// PersonView is the mirror's single view of one person.
type PersonView struct {
	Contact      ghl.Contact
	Tasks        []ghl.Task
	Notes        []ghl.Note
	Appointments []ghl.Appointment
	Deleted      bool // deleted in HighLevel; the view is kept
}

// Reminder is a task whose due date approaches.
type Reminder struct {
	ContactID, TaskID, Title string
	Due                      time.Time
}

// Mirror keeps an app's copy of a location's people (contacts with their
// tasks, notes and appointments) as HighLevel changes them: webhooks say
// what changed, polling takes over when they stop, and each person is one
// view. It raises reminders for tasks falling due, and books and moves
// appointments in a calendar's free slots.
type Mirror struct {
	Client     *ghl.Client
	CalendarID string
	Quiet      time.Duration // how long without webhooks before polling (default 1 minute)
	// SweepBatch is how many people's tasks, notes and appointments are
	// re-read per quiet period while webhooks are stopped (default 100).
	SweepBatch int

	once     sync.Once
	live     *live
	mu       sync.Mutex
	people   map[string]*PersonView
	appts    map[string]bool // contacts whose appointments changed
	reminded map[string]bool // task IDs already reminded of
	sweepAt  string
}

func (m *Mirror) init() {
	m.once.Do(func() {
		m.live = newLive(m.Client, m.Quiet)
		m.people, m.appts, m.reminded = map[string]*PersonView{}, map[string]bool{}, map[string]bool{}
	})
}

// Webhook takes HighLevel's verified webhook deliveries.
func (m *Mirror) Webhook(ctx context.Context, ev webhook.Event) error {
	m.init()
	if a, ok := ev.(*webhook.AppointmentEvent); ok && a.Appointment.ContactID != "" {
		m.mu.Lock()
		m.appts[a.Appointment.ContactID] = true
		m.mu.Unlock()
	}
	return m.live.handle(ctx, ev)
}

// Pump brings the mirror up to date: run it on a timer and after webhooks
// arrive. The first run reads every contact. Failed reads are returned
// (typed) and tried again next time.
func (m *Mirror) Pump(ctx context.Context) error {
	m.init()
	evs, sweep, err := m.live.next(ctx)
	errs := []error{err}
	for _, ev := range evs {
		m.mu.Lock()
		p, known := m.people[ev.ContactID]
		if !known {
			p = &PersonView{Contact: ghl.Contact{ID: ev.ContactID}}
			m.people[ev.ContactID] = p
		}
		if ev.Deleted {
			p.Deleted = true
		} else if ev.Contact != nil {
			p.Contact, p.Deleted = *ev.Contact, false
		}
		m.mu.Unlock()
		if ev.Deleted {
			continue
		}
		poll := ev.Source == "poll"
		errs = append(errs, m.read(ctx, ev.ContactID, ev.TasksChanged || poll || !known, ev.NotesChanged || poll || !known, !known))
	}
	m.mu.Lock()
	changed := mapKeys(m.appts)
	m.mu.Unlock()
	for _, id := range changed {
		errs = append(errs, m.read(ctx, id, false, false, true))
	}
	if sweep { // webhooks quiet: task, note and appointment changes only show when read
		for _, id := range m.nextSweep() {
			errs = append(errs, m.read(ctx, id, true, true, true))
		}
	}
	return errors.Join(errs...)
}

// read refreshes parts of a person's view.
func (m *Mirror) read(ctx context.Context, id string, tasks, notes, appts bool) error {
	var ts []ghl.Task
	var ns []ghl.Note
	var as []ghl.Appointment
	var err error
	if tasks {
		if ts, err = m.Client.Tasks.List(ctx, id); err != nil {
			return m.gone(id, err)
		}
	}
	if notes {
		if ns, err = m.Client.Notes.List(ctx, id); err != nil {
			return m.gone(id, err)
		}
	}
	if appts {
		if as, err = m.Client.Appointments.List(ctx, id); err != nil {
			return m.gone(id, err)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.people[id]
	if p == nil {
		return nil
	}
	if tasks {
		p.Tasks = ts
	}
	if notes {
		p.Notes = ns
	}
	if appts {
		p.Appointments = as
		delete(m.appts, id)
	}
	return nil
}

// gone marks a person deleted when HighLevel no longer has the contact.
func (m *Mirror) gone(id string, err error) error {
	if !errors.Is(err, ghl.ErrNotFound) {
		return fmt.Errorf("person %s: %w", id, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if p := m.people[id]; p != nil {
		p.Deleted = true
	}
	delete(m.appts, id)
	return nil
}

func (m *Mirror) nextSweep() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var live []string
	for id, p := range m.people {
		if !p.Deleted {
			live = append(live, id)
		}
	}
	slices.Sort(live)
	return rotate(live, &m.sweepAt, m.SweepBatch)
}

// Person returns a person's view.
func (m *Mirror) Person(id string) (PersonView, bool) {
	m.init()
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.people[id]
	if !ok {
		return PersonView{}, false
	}
	return PersonView{Contact: p.Contact, Tasks: slices.Clone(p.Tasks), Notes: slices.Clone(p.Notes),
		Appointments: slices.Clone(p.Appointments), Deleted: p.Deleted}, true
}

// People lists the IDs of the people in the mirror.
func (m *Mirror) People() []string {
	m.init()
	m.mu.Lock()
	defer m.mu.Unlock()
	return mapKeys(m.people)
}

// Reminders returns the open tasks due between now and now+within that
// were not reminded of before, soonest first.
func (m *Mirror) Reminders(now time.Time, within time.Duration) []Reminder {
	m.init()
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Reminder
	for id, p := range m.people {
		for _, t := range p.Tasks {
			due := t.DueDate.Time
			if p.Deleted || t.Completed || m.reminded[t.ID] || due.Before(now) || due.After(now.Add(within)) {
				continue
			}
			m.reminded[t.ID] = true
			out = append(out, Reminder{ContactID: id, TaskID: t.ID, Title: t.Title, Due: due})
		}
	}
	slices.SortFunc(out, func(a, b Reminder) int { return cmp.Or(a.Due.Compare(b.Due), cmp.Compare(a.TaskID, b.TaskID)) })
	return out
}

// Book books the first free slot at or after after for a contact. A create
// whose answer was lost is looked for before it is reported: a booking is
// never made twice.
func (m *Mirror) Book(ctx context.Context, contactID, title string, after time.Time) (*ghl.Appointment, error) {
	m.init()
	start, err := m.freeSlot(ctx, after)
	if err != nil {
		return nil, err
	}
	a, err := m.Client.Appointments.Create(ctx, ghl.CreateAppointmentRequest{CalendarID: m.CalendarID, ContactID: contactID, StartTime: start, Title: title})
	if errors.Is(err, ghl.ErrMaybeProcessed) {
		if found := m.findBooking(ctx, contactID, start); found != nil {
			a, err = found, nil
		}
	}
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.appts[contactID] = true // the view reads it back on the next Pump
	m.mu.Unlock()
	return a, nil
}

// Move moves an appointment to the first free slot at or after after.
func (m *Mirror) Move(ctx context.Context, appointmentID string, after time.Time) (*ghl.Appointment, error) {
	m.init()
	start, err := m.freeSlot(ctx, after)
	if err != nil {
		return nil, err
	}
	a, err := m.Client.Appointments.Update(ctx, appointmentID, ghl.UpdateAppointmentRequest{StartTime: start})
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.appts[a.ContactID] = true
	m.mu.Unlock()
	return a, nil
}

// freeSlot finds the first free slot at or after after, within a week.
func (m *Mirror) freeSlot(ctx context.Context, after time.Time) (time.Time, error) {
	days, err := m.Client.Appointments.FreeSlots(ctx, m.CalendarID, ghl.FreeSlotsQuery{Start: after, End: after.Add(7 * 24 * time.Hour)})
	if err != nil {
		return time.Time{}, err
	}
	var first time.Time
	for _, slots := range days {
		for _, s := range slots {
			if !s.Before(after) && (first.IsZero() || s.Before(first)) {
				first = s
			}
		}
	}
	if first.IsZero() {
		return time.Time{}, fmt.Errorf("no free slot in the week after %s", after.Format(time.RFC3339))
	}
	return first, nil
}

// findBooking looks for a contact's appointment in the calendar at start.
func (m *Mirror) findBooking(ctx context.Context, contactID string, start time.Time) *ghl.Appointment {
	evs, err := m.Client.Appointments.Events(ctx, ghl.EventsQuery{CalendarID: m.CalendarID, Start: start.Add(-time.Minute), End: start.Add(time.Hour)})
	if err != nil {
		return nil
	}
	for _, a := range evs {
		if a.ContactID == contactID && a.StartTime.Equal(start) {
			return &a
		}
	}
	return nil
}
