package ghl_test

import (
	"context"
	"math/rand/v2"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
)

// TestAppointmentOperationsOnTheWire: method, path, Version 2021-04-15,
// query and body of the calendars operations.
func TestAppointmentOperationsOnTheWire(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	appt := `{"id":"appt0000000000000001","calendarId":"cal00000000000000001","locationId":"` + testLocation + `","contactId":"` + contactID + `"}`
	rec := newRecorder(t,
		answer{status: 200, body: appt}, answer{status: 200, body: `{"event":` + appt + `}`}, answer{status: 200, body: appt},
		answer{status: 201, body: `{"succeeded":true}`}, answer{status: 200, body: `{"events":[]}`},
		answer{status: 200, body: `{"2026-12-01":{"slots":["2026-12-01T09:00:00-05:00"]},"traceId":"t-1"}`},
		answer{status: 200, body: `{"notes":[],"hasMore":false}`}, answer{status: 201, body: `{"note":{"id":"note0000000000000001","body":"b"}}`},
		answer{status: 200, body: `{"note":{"id":"note0000000000000001","body":"c"}}`}, answer{status: 200, body: `{"success":true}`})
	c := rec.client()
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.FixedZone("EST", -5*3600))
	_, err := c.Appointments.Create(ctx, ghl.CreateAppointmentRequest{CalendarID: "cal00000000000000001", ContactID: contactID,
		StartTime: start, Title: "Intro"})
	require.NoError(t, err)
	_, err = c.Appointments.Get(ctx, "appt0000000000000001")
	require.NoError(t, err)
	_, err = c.Appointments.Update(ctx, "appt0000000000000001", ghl.UpdateAppointmentRequest{StartTime: start.Add(time.Hour)})
	require.NoError(t, err)
	require.NoError(t, c.Appointments.Delete(ctx, "appt0000000000000001"))
	_, err = c.Appointments.Events(ctx, ghl.EventsQuery{CalendarID: "cal00000000000000001", Start: start, End: start.Add(24 * time.Hour)})
	require.NoError(t, err)
	slots, err := c.Appointments.FreeSlots(ctx, "cal00000000000000001", ghl.FreeSlotsQuery{Start: start, End: start.Add(24 * time.Hour), Timezone: "America/New_York"})
	require.NoError(t, err)
	require.Len(t, slots["2026-12-01"], 1)
	assert.True(t, slots["2026-12-01"][0].Equal(start))
	assert.Len(t, slots, 1, "traceId is not a day")
	_, _, err = c.Appointments.ListNotes(ctx, "appt0000000000000001", 10, 0)
	require.NoError(t, err)
	_, err = c.Appointments.CreateNote(ctx, "appt0000000000000001", ghl.AppointmentNoteRequest{Body: "b"})
	require.NoError(t, err)
	_, err = c.Appointments.UpdateNote(ctx, "appt0000000000000001", "note0000000000000001", ghl.AppointmentNoteRequest{Body: "c"})
	require.NoError(t, err)
	require.NoError(t, c.Appointments.DeleteNote(ctx, "appt0000000000000001", "note0000000000000001"))

	ms := func(t time.Time) string { return strconvFormat(t.UnixMilli()) }
	want := []struct{ method, path, query, body string }{
		{"POST", "/calendars/events/appointments", "", `{"calendarId":"cal00000000000000001","locationId":"` + testLocation + `","contactId":"` + contactID + `","startTime":"2026-12-01T09:00:00-05:00","title":"Intro"}`},
		{"GET", "/calendars/events/appointments/appt0000000000000001", "", ""},
		{"PUT", "/calendars/events/appointments/appt0000000000000001", "", `{"startTime":"2026-12-01T10:00:00-05:00"}`},
		{"DELETE", "/calendars/events/appt0000000000000001", "", `{}`},
		{"GET", "/calendars/events", "calendarId=cal00000000000000001&endTime=" + ms(start.Add(24*time.Hour)) + "&locationId=" + testLocation + "&startTime=" + ms(start), ""},
		{"GET", "/calendars/cal00000000000000001/free-slots", "endDate=" + ms(start.Add(24*time.Hour)) + "&startDate=" + ms(start) + "&timezone=America%2FNew_York", ""},
		{"GET", "/calendars/appointments/appt0000000000000001/notes", "limit=10&offset=0", ""},
		{"POST", "/calendars/appointments/appt0000000000000001/notes", "", `{"body":"b"}`},
		{"PUT", "/calendars/appointments/appt0000000000000001/notes/note0000000000000001", "", `{"body":"c"}`},
		{"DELETE", "/calendars/appointments/appt0000000000000001/notes/note0000000000000001", "", ""},
	}
	reqs := rec.requests()
	require.Len(t, reqs, len(want))
	for i, w := range want {
		assert.Equal(t, w.method, reqs[i].Method, i)
		assert.Equal(t, basePath+w.path, reqs[i].Path, i)
		assert.Equal(t, w.query, reqs[i].RawQuery, i)
		assert.Equal(t, "2021-04-15", reqs[i].Header.Get("Version"), i)
		if w.body != "" {
			assert.JSONEq(t, w.body, string(reqs[i].Body), i)
		}
	}

	// Refused before sending.
	for _, err := range []error{
		func() error {
			_, err := c.Appointments.Create(ctx, ghl.CreateAppointmentRequest{ContactID: contactID, StartTime: start})
			return err
		}(),
		func() error {
			_, err := c.Appointments.Create(ctx, ghl.CreateAppointmentRequest{CalendarID: "c1aaaaaaaaaaaaaaaaaa", ContactID: contactID})
			return err
		}(),
		func() error {
			_, err := c.Appointments.Update(ctx, "appt0000000000000001", ghl.UpdateAppointmentRequest{AppointmentStatus: "booked"})
			return err
		}(),
		func() error {
			_, err := c.Appointments.FreeSlots(ctx, "cal00000000000000001", ghl.FreeSlotsQuery{Start: start, End: start.Add(32 * 24 * time.Hour)})
			return err
		}(),
		func() error {
			_, err := c.Appointments.Events(ctx, ghl.EventsQuery{Start: start, End: start.Add(time.Hour)})
			return err
		}(),
	} {
		assert.ErrorIs(t, err, ghl.ErrInvalidInput)
	}
	assert.Len(t, rec.requests(), len(want))
}

// TestBookMoveCancelAgainstGhltest: a contact with custom fields by key,
// booked into a free slot, moved, cancelled; a taken slot is refused.
func TestBookMoveCancelAgainstGhltest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC) // a Monday
	srv := ghltest.NewServer(ghltest.WithClock(func() time.Time { return now }), ghltest.WithRateLimit(1000, time.Second))
	defer srv.Close()
	c, err := srv.Client()
	require.NoError(t, err)
	reg, err := c.CustomFields.NewFieldRegistry("", time.Minute)
	require.NoError(t, err)
	fields, err := reg.Inputs(ctx, map[string]any{"plan": "pro"})
	require.NoError(t, err)
	ct, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("book@example.com"), CustomFields: fields})
	require.NoError(t, err)

	ny, _ := time.LoadLocation("America/New_York")
	slots, err := c.Appointments.FreeSlots(ctx, ghltest.DefaultCalendarID, ghl.FreeSlotsQuery{Start: now, End: now.Add(48 * time.Hour)})
	require.NoError(t, err)
	day := slots["2026-11-30"]
	require.Len(t, day, 16, "09:00 to 17:00 New York, every 30 minutes")
	assert.Equal(t, time.Date(2026, 11, 30, 9, 0, 0, 0, ny).Unix(), day[0].Unix())

	appt, err := c.Appointments.Create(ctx, ghl.CreateAppointmentRequest{CalendarID: ghltest.DefaultCalendarID, ContactID: ct.ID,
		StartTime: day[0], Title: "Intro call", AppointmentStatus: ghl.AppointmentConfirmed})
	require.NoError(t, err)
	assert.True(t, appt.EndTime.Equal(day[0].Add(30*time.Minute)), "the calendar's slot length")
	_, err = c.Appointments.Create(ctx, ghl.CreateAppointmentRequest{CalendarID: ghltest.DefaultCalendarID, ContactID: ct.ID, StartTime: day[0]})
	assert.Error(t, err, "a taken slot")
	slots, _ = c.Appointments.FreeSlots(ctx, ghltest.DefaultCalendarID, ghl.FreeSlotsQuery{Start: now, End: now.Add(24 * time.Hour)})
	assert.Len(t, slots["2026-11-30"], 15)

	moved, err := c.Appointments.Update(ctx, appt.ID, ghl.UpdateAppointmentRequest{StartTime: day[3], EndTime: day[4]})
	require.NoError(t, err)
	assert.True(t, moved.StartTime.Equal(day[3]))
	n, err := c.Appointments.CreateNote(ctx, appt.ID, ghl.AppointmentNoteRequest{Body: "Bring the contract"})
	require.NoError(t, err)
	notes, more, err := c.Appointments.ListNotes(ctx, appt.ID, 10, 0)
	require.NoError(t, err)
	assert.False(t, more)
	assert.Equal(t, []string{n.ID}, []string{notes[0].ID})

	_, err = c.Appointments.Update(ctx, appt.ID, ghl.UpdateAppointmentRequest{AppointmentStatus: ghl.AppointmentCancelled})
	require.NoError(t, err)
	got, err := c.Appointments.Get(ctx, appt.ID)
	require.NoError(t, err)
	assert.Equal(t, "cancelled", got.AppointmentStatus)
	slots, _ = c.Appointments.FreeSlots(ctx, ghltest.DefaultCalendarID, ghl.FreeSlotsQuery{Start: now, End: now.Add(24 * time.Hour)})
	assert.Len(t, slots["2026-11-30"], 16, "a cancelled appointment frees its slot")

	events, err := c.Appointments.Events(ctx, ghl.EventsQuery{CalendarID: ghltest.DefaultCalendarID, Start: now, End: now.Add(24 * time.Hour)})
	require.NoError(t, err)
	require.Len(t, events, 1)

	// The per-contact list sends zone-less wall clocks: read in the calendar's zone.
	list, err := c.Appointments.List(ctx, ct.ID)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.True(t, list[0].StartTime.Floating)
	assert.True(t, list[0].StartTime.In(ny).Equal(day[3]), "%v in New York is %v", list[0].StartTime, day[3])

	require.NoError(t, c.Appointments.Delete(ctx, appt.ID))
	_, err = c.Appointments.Get(ctx, appt.ID)
	assert.ErrorIs(t, err, ghl.ErrNotFound)
}

// TestAppointmentTimesRoundTrip: any instant, in any zone, booked and read
// back, is the same instant.
func TestAppointmentTimesRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := ghltest.NewServer(ghltest.WithRateLimit(1_000_000, time.Second))
	defer srv.Close()
	c, err := srv.Client()
	require.NoError(t, err)
	ct, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("tz@example.com")})
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(9, 9))
	zones := []string{"UTC", "America/New_York", "Asia/Kolkata", "Australia/Adelaide", "Pacific/Chatham", "America/St_Johns", "Europe/Berlin"}
	for i := range 200 {
		var loc *time.Location
		if i%3 == 0 {
			loc = time.FixedZone("", (rng.IntN(28*4)-14*4)*15*60) // any quarter-hour offset
		} else {
			loc, err = time.LoadLocation(zones[rng.IntN(len(zones))])
			require.NoError(t, err)
		}
		start := time.Unix(1_700_000_000+rng.Int64N(200_000_000), 0).In(loc)
		appt, err := c.Appointments.Create(ctx, ghl.CreateAppointmentRequest{CalendarID: ghltest.DefaultCalendarID, ContactID: ct.ID,
			StartTime: start, EndTime: start.Add(45 * time.Minute), IgnoreFreeSlotValidation: true})
		require.NoError(t, err)
		got, err := c.Appointments.Get(ctx, appt.ID)
		require.NoError(t, err)
		require.True(t, got.StartTime.Equal(start), "%v came back as %v", start, got.StartTime.Time)
		require.True(t, got.EndTime.Equal(start.Add(45*time.Minute)))
	}
}

func strconvFormat(n int64) string { return strconv.FormatInt(n, 10) }

// TestAppointmentLimitsOfTheSpec: what the calendars spec sets, held on
// the wire and in ghltest: notes come at most 20 a page; an update sends
// false and empties text fields when asked; free slots span 31 calendar
// days (across a change of daylight saving time too), for one user or
// several; a booking names a meeting location; a note names its user.
func TestAppointmentLimitsOfTheSpec(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	appt := `{"id":"appt0000000000000001","calendarId":"cal00000000000000001","locationId":"` + testLocation + `","contactId":"` + contactID + `"}`
	rec := newRecorder(t, answer{status: 200, body: appt})
	c := rec.client()

	_, _, err := c.Appointments.ListNotes(ctx, "appt0000000000000001", 21, 0)
	require.ErrorIs(t, err, ghl.ErrInvalidInput, "limit 21")
	assert.Empty(t, rec.requests())

	_, err = c.Appointments.Update(ctx, "appt0000000000000001", ghl.UpdateAppointmentRequest{
		IgnoreFreeSlotValidation: ghl.Ptr(false), OverrideLocationConfig: ghl.Ptr(false), Clear: []string{"description", "address"}})
	require.NoError(t, err)
	assert.JSONEq(t, `{"ignoreFreeSlotValidation":false,"overrideLocationConfig":false,"description":"","address":""}`, string(rec.requests()[0].Body))
	for _, bad := range []ghl.UpdateAppointmentRequest{{Clear: []string{"startTime"}}, {Title: "x", Clear: []string{"title"}}} {
		_, err = c.Appointments.Update(ctx, "appt0000000000000001", bad)
		assert.ErrorIs(t, err, ghl.ErrInvalidInput, "%+v", bad)
	}

	_, err = c.Appointments.Create(ctx, ghl.CreateAppointmentRequest{CalendarID: "cal00000000000000001", ContactID: contactID,
		StartTime: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), MeetingLocationID: "custom_0", OverrideLocationConfig: ghl.Ptr(false)})
	require.NoError(t, err)
	assert.JSONEq(t, `{"calendarId":"cal00000000000000001","locationId":"`+testLocation+`","contactId":"`+contactID+`",`+
		`"startTime":"2026-12-01T09:00:00Z","meetingLocationId":"custom_0","overrideLocationConfig":false}`, string(rec.requests()[1].Body))

	// 31 calendar days in New York, across the end of daylight saving time
	// (31 × 24 h + 1 h): asked for; one second more: refused before sending.
	ny, _ := time.LoadLocation("America/New_York")
	from := time.Date(2026, 10, 20, 0, 0, 0, 0, ny)
	to := from.AddDate(0, 0, 31)
	require.Greater(t, to.Sub(from), 31*24*time.Hour)
	rec = newRecorder(t, answer{status: 200, body: `{}`})
	c = rec.client()
	_, err = c.Appointments.FreeSlots(ctx, "cal00000000000000001", ghl.FreeSlotsQuery{Start: from, End: to, UserIDs: []string{"user0000000000000001", "user0000000000000002"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"user0000000000000001", "user0000000000000002"}, mustQuery(t, rec.requests()[0].RawQuery)["userIds"])
	_, err = c.Appointments.FreeSlots(ctx, "cal00000000000000001", ghl.FreeSlotsQuery{Start: from, End: to.Add(time.Second)})
	assert.ErrorIs(t, err, ghl.ErrInvalidInput)
	assert.Len(t, rec.requests(), 1)

	_, err = rec.client().Appointments.CreateNote(ctx, "appt0000000000000001", ghl.AppointmentNoteRequest{Body: "b", UserID: "user0000000000000001"})
	require.Error(t, err) // the recorder answers {}: no note; the body is what matters
	assert.JSONEq(t, `{"body":"b","userId":"user0000000000000001"}`, string(rec.requests()[1].Body))

	// ghltest holds the same limits.
	srv := ghltest.NewServer(ghltest.WithClock(func() time.Time { return time.Date(2026, 10, 19, 8, 0, 0, 0, time.UTC) }))
	defer srv.Close()
	gc, err := srv.Client()
	require.NoError(t, err)
	_, err = gc.Appointments.FreeSlots(ctx, ghltest.DefaultCalendarID, ghl.FreeSlotsQuery{Start: from, End: to, Timezone: "America/New_York"})
	require.NoError(t, err, "ghltest serves 31 calendar days across the change")
	err = gc.Do(ctx, "GET", "/calendars/appointments/x0000000000000000001/notes?limit=21&offset=0", nil, nil, ghl.WithVersion(ghl.CalendarsVersion))
	var ae *ghl.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 422, ae.StatusCode, "ghltest refuses a notes page over 20")

	ct, err := gc.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("appt@example.com")})
	require.NoError(t, err)
	a, err := gc.Appointments.Create(ctx, ghl.CreateAppointmentRequest{CalendarID: ghltest.DefaultCalendarID, ContactID: ct.ID,
		StartTime: time.Date(2026, 10, 20, 10, 0, 0, 0, ny), Description: "Bring the plans", Address: "1 Main St"})
	require.NoError(t, err)
	_, err = gc.Appointments.Update(ctx, a.ID, ghl.UpdateAppointmentRequest{Clear: []string{"description"}})
	require.NoError(t, err)
	got, err := gc.Appointments.Get(ctx, a.ID)
	require.NoError(t, err)
	assert.Empty(t, got.Description, "cleared")
	assert.Equal(t, "1 Main St", got.Address, "kept")
}

func mustQuery(t *testing.T, raw string) map[string][]string {
	t.Helper()
	q, err := url.ParseQuery(raw)
	require.NoError(t, err)
	return q
}

// appointmentOperations are the requests of every AppointmentsService method, as contacts.json
// specifies them, with answers shaped like its examples.
func appointmentOperations() []opCase {
	return []opCase{
		{name: "Appointments.List", operation: "get-appointments-for-contact", method: "GET", path: "/contacts/" + contactID + "/appointments",
			call:   func(ctx context.Context, c *ghl.Client) (any, error) { return c.Appointments.List(ctx, contactID) },
			answer: `{"events":[` + appointmentJSON + `]}`,
			check: func(t *testing.T, got any) {
				a := got.([]ghl.Appointment)[0]
				assert.Equal(t, time.Date(2021, 7, 16, 11, 0, 0, 0, time.UTC), a.StartTime.Time)
				assert.Equal(t, "confirmed", a.AppointmentStatus)
			}},
	}
}

// TestAppointmentsOperations sends every Appointments operation and checks the
// exact request and the decoded answer.
func TestAppointmentsOperations(t *testing.T) { runOperations(t, appointmentOperations()) }
