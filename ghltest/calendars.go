package ghltest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ghlkit/ghl"
)

// The calendars API (Version 2021-04-15): appointments booked in free
// slots, moved and cancelled, free slots computed from a calendar's working
// hours, calendar events by range, and notes on appointments. Each location
// starts with one calendar (DefaultCalendarID for DefaultLocationID):
// Monday to Friday, 09:00 to 17:00 America/New_York, 30-minute slots.
//
// Where HighLevel documents no answer, ghltest picks one and says so here: a
// booking outside the free slots (without ignoreFreeSlotValidation) is
// refused with 400 and the message "The slot you have selected is no
// longer available."

// DefaultCalendarID is the calendar of DefaultLocationID.
const DefaultCalendarID = "ghltestCalendar00001"

// Calendar is a bookable calendar of ghltest.
type Calendar struct {
	ID         string
	LocationID string
	Timezone   string         // IANA; default America/New_York
	Slot       time.Duration  // default 30 minutes
	Open       int            // first bookable hour, default 9
	Close      int            // hour after the last slot, default 17
	Days       []time.Weekday // default Monday to Friday
}

func (c *Calendar) zone() *time.Location {
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// AddCalendar adds a calendar to a location and returns its ID.
func (s *Server) AddCalendar(c Calendar) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addCalendar(c)
}

func (s *Server) addCalendar(c Calendar) string {
	if c.ID == "" {
		c.ID = s.newID()
	}
	if c.Timezone == "" {
		c.Timezone = "America/New_York"
	}
	if c.Slot <= 0 {
		c.Slot = 30 * time.Minute
	}
	if c.Open == 0 && c.Close == 0 {
		c.Open, c.Close = 9, 17
	}
	if c.Days == nil {
		c.Days = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	}
	if s.calendars == nil {
		s.calendars = map[string]*Calendar{}
	}
	s.calendars[c.ID] = &c
	return c.ID
}

// appointment is a booked event with its notes.
type appointment struct {
	ghl.Appointment
	notes []*ghl.AppointmentNote
}

// Appointment returns a stored appointment, for tests.
func (s *Server) Appointment(id string) (ghl.Appointment, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.appointments[id]
	if a == nil {
		return ghl.Appointment{}, false
	}
	return a.Appointment, true
}

// calTime formats an instant as the calendars API sends it: ISO 8601 with
// the calendar's offset.
func calTime(t time.Time, loc *time.Location) string { return t.In(loc).Format(time.RFC3339) }

// wire is an appointment as the calendars answers carry it.
func (a *appointment) wire(cal *Calendar, event bool) map[string]any {
	loc := cal.zone()
	m := map[string]any{"id": a.ID, "calendarId": a.CalendarID, "locationId": a.LocationID, "contactId": a.ContactID,
		"startTime": calTime(a.StartTime.Time, loc), "endTime": calTime(a.EndTime.Time, loc), "title": a.Title,
		"appointmentStatus": a.AppointmentStatus, "assignedUserId": a.AssignedUserID, "address": a.Address,
		"isRecurring": a.IsRecurring, "rrule": a.RRule}
	if a.MeetingLocationType != "" {
		m["meetingLocationType"] = a.MeetingLocationType
	}
	if event { // CalendarEventDTO
		delete(m, "meetingLocationType")
		m["groupId"], m["users"] = a.GroupID, nonNil(a.Users)
		m["description"], m["notes"] = a.Description, a.Notes
		m["dateAdded"], m["dateUpdated"] = calTime(a.DateAdded.Time, loc), calTime(a.DateUpdated.Time, loc)
	}
	return m
}

// apptBody is the create and edit body.
type apptBody struct {
	CalendarID               string `json:"calendarId"`
	LocationID               string `json:"locationId"`
	ContactID                string `json:"contactId"`
	StartTime                string `json:"startTime"`
	EndTime                  string `json:"endTime"`
	Title                    string `json:"title"`
	AppointmentStatus        string `json:"appointmentStatus"`
	AssignedUserID           string `json:"assignedUserId"`
	Description              string `json:"description"`
	Address                  string `json:"address"`
	MeetingLocationType      string `json:"meetingLocationType"`
	MeetingLocationID        string `json:"meetingLocationId"`
	OverrideLocationConfig   bool   `json:"overrideLocationConfig"`
	IgnoreFreeSlotValidation bool   `json:"ignoreFreeSlotValidation"`
	IgnoreDateRange          bool   `json:"ignoreDateRange"`
	ToNotify                 *bool  `json:"toNotify"`
	RRule                    string `json:"rrule"`
}

var apptKeys = []string{"calendarId", "locationId", "contactId", "startTime", "endTime", "title", "appointmentStatus",
	"assignedUserId", "description", "address", "meetingLocationType", "meetingLocationId", "overrideLocationConfig",
	"ignoreFreeSlotValidation", "ignoreDateRange", "toNotify", "rrule"}

var apptStatuses = []string{"new", "confirmed", "cancelled", "showed", "noshow", "invalid"}

// parseCalTime reads a request time: ISO 8601, with its offset.
func parseCalTime(field, v string) (time.Time, string) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, field + " must be a valid ISO 8601 date string"
	}
	return t, ""
}

// slotFree reports whether [start, end) lies on the calendar's slot grid,
// within its working hours, and clear of other live appointments (except
// skip). Callers hold s.mu.
func (s *Server) slotFree(cal *Calendar, start, end time.Time, skip string) bool {
	loc := cal.zone()
	ls := start.In(loc)
	if !slices.Contains(cal.Days, ls.Weekday()) {
		return false
	}
	open := time.Date(ls.Year(), ls.Month(), ls.Day(), cal.Open, 0, 0, 0, loc)
	closing := time.Date(ls.Year(), ls.Month(), ls.Day(), cal.Close, 0, 0, 0, loc)
	if start.Before(open) || end.After(closing) || start.Sub(open)%cal.Slot != 0 || start.Before(s.now()) {
		return false
	}
	for _, a := range s.appointments {
		if a.ID == skip || a.CalendarID != cal.ID || a.AppointmentStatus == "cancelled" {
			continue
		}
		if start.Before(a.EndTime.Time) && a.StartTime.Before(end) {
			return false
		}
	}
	return true
}

// calendarOf finds a calendar of the token's location. Callers hold s.mu.
func (c *call) calendarOf(id string) (*Calendar, reply, bool) {
	cal := c.s.calendars[id]
	if cal == nil {
		return nil, errReply(http.StatusNotFound, "Calendar not found"), false
	}
	if cal.LocationID != c.tok.location {
		return nil, errReply(http.StatusForbidden, forbidden), false
	}
	return cal, reply{}, true
}

func createAppointment(c *call) reply {
	var r apptBody
	if rep, ok := c.decode(&r, apptKeys...); !ok {
		return rep
	}
	var msgs []string
	for _, f := range []struct{ name, v string }{{"calendarId", r.CalendarID}, {"locationId", r.LocationID}, {"contactId", r.ContactID}, {"startTime", r.StartTime}} {
		if f.v == "" {
			msgs = append(msgs, f.name+" should not be empty")
		}
	}
	if r.AppointmentStatus != "" && !slices.Contains(apptStatuses, r.AppointmentStatus) {
		msgs = append(msgs, "appointmentStatus must be one of the following values: "+strings.Join(apptStatuses, ", "))
	}
	start, m1 := parseCalTime("startTime", r.StartTime)
	var end time.Time
	var m2 string
	if r.EndTime != "" {
		end, m2 = parseCalTime("endTime", r.EndTime)
	}
	for _, m := range []string{m1, m2} {
		if m != "" && r.StartTime != "" {
			msgs = append(msgs, m)
		}
	}
	if len(msgs) > 0 {
		return unprocessable(msgs...)
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	l, rep, ok := c.location(r.LocationID)
	if !ok {
		return rep
	}
	cal, rep, ok := c.calendarOf(r.CalendarID)
	if !ok {
		return rep
	}
	ct := l.byID[r.ContactID]
	if ct == nil {
		return errReply(http.StatusBadRequest, "Contact not found")
	}
	if end.IsZero() {
		end = start.Add(cal.Slot)
	}
	if !end.After(start) {
		return errReply(http.StatusBadRequest, "endTime must be after startTime")
	}
	if !r.IgnoreFreeSlotValidation && !c.s.slotFree(cal, start, end, "") {
		return errReply(http.StatusBadRequest, "The slot you have selected is no longer available.")
	}
	now := c.s.stamp()
	a := &appointment{Appointment: ghl.Appointment{ID: c.s.newID(), CalendarID: cal.ID, LocationID: l.id, ContactID: ct.ID,
		Title: r.Title, AppointmentStatus: r.AppointmentStatus, AssignedUserID: r.AssignedUserID, Description: r.Description,
		Address: r.Address, MeetingLocationType: r.MeetingLocationType, RRule: r.RRule, IsRecurring: r.RRule != "" && r.IgnoreFreeSlotValidation,
		StartTime: ghl.Time{Time: start.UTC()}, EndTime: ghl.Time{Time: end.UTC()}, DateAdded: now, DateUpdated: now, Users: []string{}}}
	if a.AppointmentStatus == "" {
		a.AppointmentStatus = "confirmed"
	}
	if a.Title == "" {
		a.Title = "Appointment with " + strings.TrimSpace(ct.FirstName+" "+ct.LastName)
	}
	if c.s.appointments == nil {
		c.s.appointments = map[string]*appointment{}
	}
	c.s.appointments[a.ID] = a
	ct.appointments = append(ct.appointments, a.Appointment)
	c.emit("AppointmentCreate", map[string]any{"appointment": a.wire(cal, true)})
	return jsonReply(http.StatusOK, a.wire(cal, false))
}

// appointmentOf finds the path's appointment in the token's location.
// Callers hold s.mu.
func (c *call) appointmentOf(id string) (*appointment, *Calendar, reply, bool) {
	a := c.s.appointments[id]
	if a == nil {
		return nil, nil, errReply(http.StatusNotFound, "Appointment not found"), false
	}
	if a.LocationID != c.tok.location {
		return nil, nil, errReply(http.StatusForbidden, forbidden), false
	}
	cal := c.s.calendars[a.CalendarID]
	if cal == nil {
		cal = &Calendar{Timezone: "UTC"}
	}
	return a, cal, reply{}, true
}

func getAppointment(c *call) reply {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	a, cal, rep, ok := c.appointmentOf(c.params["eventId"])
	if !ok {
		return rep
	}
	return jsonReply(http.StatusOK, map[string]any{"event": a.wire(cal, true)})
}

func updateAppointment(c *call) reply {
	var r apptBody
	keys := slices.DeleteFunc(slices.Clone(apptKeys), func(k string) bool { return k == "locationId" || k == "contactId" })
	if rep, ok := c.decode(&r, keys...); !ok {
		return rep
	}
	if r.AppointmentStatus != "" && !slices.Contains(apptStatuses, r.AppointmentStatus) {
		return unprocessable("appointmentStatus must be one of the following values: " + strings.Join(apptStatuses, ", "))
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	a, cal, rep, ok := c.appointmentOf(c.params["eventId"])
	if !ok {
		return rep
	}
	if r.CalendarID != "" && r.CalendarID != a.CalendarID {
		if cal, rep, ok = c.calendarOf(r.CalendarID); !ok {
			return rep
		}
	}
	start, end := a.StartTime.Time, a.EndTime.Time
	if r.StartTime != "" {
		t, msg := parseCalTime("startTime", r.StartTime)
		if msg != "" {
			return unprocessable(msg)
		}
		end, start = t.Add(end.Sub(start)), t
	}
	if r.EndTime != "" {
		t, msg := parseCalTime("endTime", r.EndTime)
		if msg != "" {
			return unprocessable(msg)
		}
		end = t
	}
	moved := !start.Equal(a.StartTime.Time) || !end.Equal(a.EndTime.Time) || cal.ID != a.CalendarID
	if !end.After(start) {
		return errReply(http.StatusBadRequest, "endTime must be after startTime")
	}
	if moved && !r.IgnoreFreeSlotValidation && !c.s.slotFree(cal, start, end, a.ID) {
		return errReply(http.StatusBadRequest, "The slot you have selected is no longer available.")
	}
	a.CalendarID, a.StartTime, a.EndTime = cal.ID, ghl.Time{Time: start.UTC()}, ghl.Time{Time: end.UTC()}
	// A text field sent as "" is emptied (ghltest's choice: HighLevel does
	// not document how an edit empties a field); one left out is kept.
	var present map[string]json.RawMessage
	_ = json.Unmarshal(c.body, &present)
	for name, f := range map[string]struct {
		dst *string
		v   string
	}{"title": {&a.Title, r.Title}, "appointmentStatus": {&a.AppointmentStatus, r.AppointmentStatus},
		"assignedUserId": {&a.AssignedUserID, r.AssignedUserID}, "description": {&a.Description, r.Description},
		"address": {&a.Address, r.Address}, "meetingLocationType": {&a.MeetingLocationType, r.MeetingLocationType}, "rrule": {&a.RRule, r.RRule}} {
		if _, sent := present[name]; sent && (f.v != "" || name != "appointmentStatus" && name != "meetingLocationType") {
			*f.dst = f.v
		}
	}
	a.DateUpdated = c.s.stamp()
	c.s.syncContactAppointment(a)
	c.emit("AppointmentUpdate", map[string]any{"appointment": a.wire(cal, true)})
	return jsonReply(http.StatusOK, a.wire(cal, false))
}

// syncContactAppointment mirrors a changed appointment into its contact's
// list; a nil Appointment removes it. Callers hold s.mu.
func (s *Server) syncContactAppointment(a *appointment) {
	for _, l := range s.locations {
		ct := l.byID[a.ContactID]
		if ct == nil {
			continue
		}
		i := slices.IndexFunc(ct.appointments, func(x ghl.Appointment) bool { return x.ID == a.ID })
		switch {
		case i >= 0 && s.appointments[a.ID] == nil:
			ct.appointments = slices.Delete(ct.appointments, i, i+1)
		case i >= 0:
			ct.appointments[i] = a.Appointment
		}
	}
}

func deleteEvent(c *call) reply {
	if rep, ok := c.decode(&struct{}{}); !ok {
		return rep
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	a, cal, rep, ok := c.appointmentOf(c.params["eventId"])
	if !ok {
		return rep
	}
	delete(c.s.appointments, a.ID)
	c.s.syncContactAppointment(a)
	c.emit("AppointmentDelete", map[string]any{"appointment": a.wire(cal, true)})
	return jsonReply(http.StatusCreated, map[string]any{"succeeded": true})
}

// epochMillis reads an epoch-ms query parameter.
func epochMillis(v string) (time.Time, bool) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(v, 64)
		if ferr != nil {
			return time.Time{}, false
		}
		n = int64(f)
	}
	return time.UnixMilli(n), true
}

func listCalendarEvents(c *call) reply {
	q := c.query
	start, ok1 := epochMillis(q.Get("startTime"))
	end, ok2 := epochMillis(q.Get("endTime"))
	if !ok1 || !ok2 {
		return unprocessable("startTime must be a number string", "endTime must be a number string")
	}
	calID, userID, groupID := q.Get("calendarId"), q.Get("userId"), q.Get("groupId")
	if calID == "" && userID == "" && groupID == "" {
		return errReply(http.StatusBadRequest, "calendarId, userId or groupId is required")
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if _, rep, ok := c.location(q.Get("locationId")); !ok {
		return rep
	}
	var ids []string
	for id, a := range c.s.appointments {
		if a.LocationID != c.tok.location || !a.StartTime.Before(end) || !start.Before(a.EndTime.Time) {
			continue
		}
		if (calID != "" && a.CalendarID != calID) || (userID != "" && a.AssignedUserID != userID) || (groupID != "" && a.GroupID != groupID) {
			continue
		}
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int {
		return c.s.appointments[a].StartTime.Compare(c.s.appointments[b].StartTime.Time)
	})
	events := []map[string]any{}
	for _, id := range ids {
		a := c.s.appointments[id]
		cal := c.s.calendars[a.CalendarID]
		if cal == nil {
			cal = &Calendar{Timezone: "UTC"}
		}
		events = append(events, a.wire(cal, true))
	}
	return jsonReply(http.StatusOK, map[string]any{"events": events})
}

func freeSlots(c *call) reply {
	q := c.query
	start, ok1 := epochMillis(q.Get("startDate"))
	end, ok2 := epochMillis(q.Get("endDate"))
	if !ok1 || !ok2 {
		return unprocessable("startDate must be a number", "endDate must be a number")
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	cal, rep, ok := c.calendarOf(c.params["calendarId"])
	if !ok {
		return rep
	}
	loc := cal.zone()
	if tz := q.Get("timezone"); tz != "" {
		l, err := time.LoadLocation(tz)
		if err != nil {
			return errReply(http.StatusBadRequest, "Invalid timezone")
		}
		loc = l
	}
	// 31 calendar days in the answer's zone (how HighLevel counts them
	// across a change of daylight saving time is not documented; the SDK
	// checks the same).
	if end.After(start.In(loc).AddDate(0, 0, 31)) {
		return errReply(http.StatusBadRequest, "The date range cannot be more than 31 days")
	}
	out := map[string]any{}
	calZone := cal.zone()
	first := start.In(calZone)
	for day := time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, calZone); day.Before(end); day = day.AddDate(0, 0, 1) {
		for t := time.Date(day.Year(), day.Month(), day.Day(), cal.Open, 0, 0, 0, calZone); t.Add(cal.Slot).Compare(time.Date(day.Year(), day.Month(), day.Day(), cal.Close, 0, 0, 0, calZone)) <= 0; t = t.Add(cal.Slot) {
			if t.Before(start) || !t.Before(end) || !c.s.slotFree(cal, t, t.Add(cal.Slot), "") {
				continue
			}
			key := t.In(loc).Format(time.DateOnly)
			d, _ := out[key].(map[string][]string)
			if d == nil {
				d = map[string][]string{"slots": {}}
			}
			d["slots"] = append(d["slots"], t.In(loc).Format(time.RFC3339))
			out[key] = d
		}
	}
	out["traceId"] = newSecret("trace-")
	return jsonReply(http.StatusOK, out)
}

func listAppointmentNotes(c *call) reply {
	limit, err1 := strconv.Atoi(c.query.Get("limit"))
	offset, err2 := strconv.Atoi(c.query.Get("offset"))
	if err1 != nil || err2 != nil || limit < 1 || offset < 0 {
		return unprocessable("limit must be a number", "offset must be a number")
	}
	if limit > 20 {
		return unprocessable("limit must not be greater than 20")
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	a, _, rep, ok := c.appointmentOf(c.params["appointmentId"])
	if !ok {
		return rep
	}
	page := []ghl.AppointmentNote{}
	for i := offset; i < len(a.notes) && i < offset+limit; i++ {
		page = append(page, *a.notes[i])
	}
	return jsonReply(http.StatusOK, map[string]any{"notes": page, "hasMore": offset+limit < len(a.notes)})
}

// noteBody reads a NotesDTO body.
func (c *call) noteBody() (string, string, reply, bool) {
	var r struct {
		Body   string `json:"body"`
		UserID string `json:"userId"`
	}
	if rep, ok := c.decode(&r, "body", "userId"); !ok {
		return "", "", rep, false
	}
	if strings.TrimSpace(r.Body) == "" {
		return "", "", unprocessable("body should not be empty"), false
	}
	return r.Body, r.UserID, reply{}, true
}

func createAppointmentNote(c *call) reply {
	body, user, rep, ok := c.noteBody()
	if !ok {
		return rep
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	a, _, rep, ok := c.appointmentOf(c.params["appointmentId"])
	if !ok {
		return rep
	}
	n := &ghl.AppointmentNote{ID: c.s.newID(), Body: body, UserID: user, ContactID: a.ContactID, DateAdded: c.s.stamp()}
	a.notes = append(a.notes, n)
	return jsonReply(http.StatusCreated, map[string]any{"note": *n})
}

// appointmentNote finds the path's note. Callers hold s.mu.
func (c *call) appointmentNote() (*appointment, int, reply, bool) {
	a, _, rep, ok := c.appointmentOf(c.params["appointmentId"])
	if !ok {
		return nil, 0, rep, false
	}
	i := slices.IndexFunc(a.notes, func(n *ghl.AppointmentNote) bool { return n.ID == c.params["noteId"] })
	if i < 0 {
		return nil, 0, errReply(http.StatusNotFound, "Note not found"), false
	}
	return a, i, reply{}, true
}

func updateAppointmentNote(c *call) reply {
	body, user, rep, ok := c.noteBody()
	if !ok {
		return rep
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	a, i, rep, ok := c.appointmentNote()
	if !ok {
		return rep
	}
	a.notes[i].Body = body
	if user != "" {
		a.notes[i].UserID = user
	}
	return jsonReply(http.StatusOK, map[string]any{"note": *a.notes[i]})
}

func deleteAppointmentNote(c *call) reply {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	a, i, rep, ok := c.appointmentNote()
	if !ok {
		return rep
	}
	a.notes = slices.Delete(a.notes, i, i+1)
	return jsonReply(http.StatusOK, map[string]any{"success": true})
}

func listAppointments(c *call) reply {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	_, ct, rep, ok := c.contact()
	if !ok {
		return rep
	}
	// This list sends times as wall clocks without a zone
	// ("2021-07-16 11:00:00"), in the calendar's zone, as HighLevel does.
	events := make([]ghl.Appointment, len(ct.appointments))
	for i, a := range ct.appointments {
		loc := time.UTC
		if cal := c.s.calendars[a.CalendarID]; cal != nil {
			loc = cal.zone()
		}
		for _, t := range []*ghl.Time{&a.StartTime, &a.EndTime} {
			if !t.IsZero() {
				*t = ghl.Time{Time: wallClock(t.Time.In(loc)), Floating: true}
			}
		}
		events[i] = a
	}
	return jsonReply(http.StatusOK, map[string]any{"events": events})
}

// wallClock is t's wall clock as a UTC time (how a zone-less time parses).
func wallClock(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
}
