package ghltest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ghlkit/ghl"
)

// Appointments (the calendars API): booked in a calendar's free slots,
// read, moved, cancelled and deleted, and listed per contact.

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
	a, cal, rep, ok := c.appointmentOf(c.params["eventId"])
	if !ok {
		return rep
	}
	delete(c.s.appointments, a.ID)
	c.s.syncContactAppointment(a)
	c.emit("AppointmentDelete", map[string]any{"appointment": a.wire(cal, true)})
	return jsonReply(http.StatusCreated, map[string]any{"succeeded": true})
}

func listAppointments(c *call) reply {
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
