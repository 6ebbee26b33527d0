package ghl

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Appointment is a calendar event booked for a contact. The calendars API
// sends times with an offset; the per-contact list under /contacts sends
// "2006-01-02 15:04:05" without a zone, which Time keeps as Floating: read
// those with StartTime.In(the calendar's or location's zone).
type Appointment struct {
	ID                  string   `json:"id"`
	CalendarID          string   `json:"calendarId,omitempty"`
	LocationID          string   `json:"locationId,omitempty"`
	ContactID           string   `json:"contactId,omitempty"`
	GroupID             string   `json:"groupId,omitempty"`
	Title               string   `json:"title,omitempty"`
	Status              string   `json:"status,omitempty"`
	AppointmentStatus   string   `json:"appointmentStatus,omitempty"` // e.g. "booked", "confirmed"
	AssignedUserID      string   `json:"assignedUserId,omitempty"`
	Users               []string `json:"users,omitempty"`
	AssignedResources   []string `json:"assignedResources,omitempty"`
	Notes               string   `json:"notes,omitempty"`
	Address             string   `json:"address,omitempty"`
	Source              string   `json:"source,omitempty"` // sent in webhooks
	StartTime           Time     `json:"startTime,omitzero"`
	EndTime             Time     `json:"endTime,omitzero"`
	DateAdded           Time     `json:"dateAdded,omitzero"`
	DateUpdated         Time     `json:"dateUpdated,omitzero"`
	Description         string   `json:"description,omitempty"`
	MeetingLocationType string   `json:"meetingLocationType,omitempty"`
	IsRecurring         bool     `json:"isRecurring,omitempty"`
	RRule               string   `json:"rrule,omitempty"`
	MasterEventID       string   `json:"masterEventId,omitempty"`
}

// AppointmentsService books, reads, moves and cancels appointments (the
// calendars API, Version 2021-04-15) and lists a contact's.
type AppointmentsService struct{ c *Client }

// List returns a contact's appointments. GET /contacts/{contactId}/appointments
// (contacts.readonly).
func (s *AppointmentsService) List(ctx context.Context, contactID string, opts ...CallOption) ([]Appointment, error) {
	if err := checkID("contactId", contactID); err != nil {
		return nil, err
	}
	var out struct {
		Events []Appointment `json:"events"`
	}
	if err := s.c.do(ctx, op{method: http.MethodGet, path: "/contacts/" + contactID + "/appointments", retryable: true}, &out, opts); err != nil {
		return nil, err
	}
	return out.Events, nil
}

// CalendarsVersion is the Version header of every calendars operation.
const CalendarsVersion = "2021-04-15"

// Appointment statuses that writes accept.
const (
	AppointmentNew       = "new"
	AppointmentConfirmed = "confirmed"
	AppointmentCancelled = "cancelled"
	AppointmentShowed    = "showed"
	AppointmentNoShow    = "noshow"
	AppointmentInvalid   = "invalid"
)

// CreateAppointmentRequest is the body of Appointments.Create
// (AppointmentCreateSchema). Times are sent with their offset, so any
// time.Time, in any zone, books the instant it holds.
type CreateAppointmentRequest struct {
	CalendarID string    // required
	LocationID string    // defaults to the client's location
	ContactID  string    // required
	StartTime  time.Time // required
	EndTime    time.Time // zero: the calendar's slot length
	Title      string
	// AppointmentStatus is one of the Appointment* statuses ("" leaves the
	// calendar's default).
	AppointmentStatus   string
	AssignedUserID      string
	Description         string
	Address             string
	MeetingLocationType string // custom, zoom, gmeet, phone, address, ms_teams, google
	// MeetingLocationID picks one of the calendar's configured meeting
	// locations ("custom_0"; see the calendar's locationConfigurations);
	// OverrideLocationConfig says which wins: false when only
	// MeetingLocationID is given, true when only MeetingLocationType is.
	MeetingLocationID      string
	OverrideLocationConfig *bool
	// IgnoreFreeSlotValidation books outside the free slots; IgnoreDateRange
	// skips the minimum notice and the booking window.
	IgnoreFreeSlotValidation bool
	IgnoreDateRange          bool
	// ToNotify false books without triggering automations.
	ToNotify *bool
	// RRule (RFC 5545) makes a recurring event; HighLevel applies it only
	// with IgnoreFreeSlotValidation.
	RRule string
}

// UpdateAppointmentRequest is the body of Appointments.Update
// (AppointmentEditSchema): empty strings and nil pointers are left as they
// are; a *bool sends its value, false included. To empty a text field,
// name it in Clear.
type UpdateAppointmentRequest struct {
	CalendarID             string
	StartTime, EndTime     time.Time
	Title                  string
	AppointmentStatus      string
	AssignedUserID         string
	Description            string
	Address                string
	MeetingLocationType    string
	MeetingLocationID      string
	OverrideLocationConfig *bool
	// IgnoreFreeSlotValidation and IgnoreDateRange apply to this change
	// (a move outside the free slots, or inside the minimum notice).
	IgnoreFreeSlotValidation *bool
	IgnoreDateRange          *bool
	ToNotify                 *bool
	RRule                    string
	// Clear names text fields to empty: any of ClearableAppointmentFields,
	// sent as "" (the schema declares them strings, not nullable; whether
	// HighLevel empties a field on "" is not documented). A field both set
	// and cleared is refused.
	Clear []string
}

// ClearableAppointmentFields are the fields UpdateAppointmentRequest.Clear
// takes.
var ClearableAppointmentFields = []string{"title", "description", "address", "assignedUserId", "rrule", "meetingLocationId"}

// appointmentBody is the wire form of both requests. The text fields are
// pointers so that Clear can send "".
type appointmentBody struct {
	CalendarID               string  `json:"calendarId,omitempty"`
	LocationID               string  `json:"locationId,omitempty"`
	ContactID                string  `json:"contactId,omitempty"`
	StartTime                string  `json:"startTime,omitempty"`
	EndTime                  string  `json:"endTime,omitempty"`
	Title                    *string `json:"title,omitempty"`
	AppointmentStatus        string  `json:"appointmentStatus,omitempty"`
	AssignedUserID           *string `json:"assignedUserId,omitempty"`
	Description              *string `json:"description,omitempty"`
	Address                  *string `json:"address,omitempty"`
	MeetingLocationType      string  `json:"meetingLocationType,omitempty"`
	MeetingLocationID        *string `json:"meetingLocationId,omitempty"`
	OverrideLocationConfig   *bool   `json:"overrideLocationConfig,omitempty"`
	IgnoreFreeSlotValidation *bool   `json:"ignoreFreeSlotValidation,omitempty"`
	IgnoreDateRange          *bool   `json:"ignoreDateRange,omitempty"`
	ToNotify                 *bool   `json:"toNotify,omitempty"`
	RRule                    *string `json:"rrule,omitempty"`
}

// text is a set text field of a request: nil when empty.
func text(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// flag is a bool that is sent only when true.
func flag(b bool) *bool {
	if !b {
		return nil
	}
	return &b
}

// wireTime formats a time as the calendars API takes it: ISO 8601 with the
// time's own offset.
func wireTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}

var appointmentStatuses = []string{AppointmentNew, AppointmentConfirmed, AppointmentCancelled, AppointmentShowed, AppointmentNoShow, AppointmentInvalid}

var meetingTypes = []string{"custom", "zoom", "gmeet", "phone", "address", "ms_teams", "google"}

func checkAppointmentFields(status, meeting string, start, end time.Time) error {
	if status != "" && !slices.Contains(appointmentStatuses, status) {
		return invalid("appointmentStatus", "%q is not one of %s", status, strings.Join(appointmentStatuses, ", "))
	}
	if meeting != "" && !slices.Contains(meetingTypes, meeting) {
		return invalid("meetingLocationType", "%q is not one of %s", meeting, strings.Join(meetingTypes, ", "))
	}
	if !start.IsZero() && !end.IsZero() && !end.After(start) {
		return invalid("endTime", "must be after startTime")
	}
	return nil
}

type appointmentEventBody struct {
	Event Appointment `json:"event"`
}

// Create books an appointment. POST /calendars/events/appointments
// (calendars/events.write). A create: never sent again after an attempt
// whose outcome is unknown (ErrMaybeProcessed; Events shows whether it was
// booked).
func (s *AppointmentsService) Create(ctx context.Context, req CreateAppointmentRequest, opts ...CallOption) (*Appointment, error) {
	loc, err := s.c.locationOr(req.LocationID)
	if err != nil {
		return nil, err
	}
	if err := checkID("calendarId", req.CalendarID); err != nil {
		return nil, err
	}
	if err := checkID("contactId", req.ContactID); err != nil {
		return nil, err
	}
	if req.StartTime.IsZero() {
		return nil, invalid("startTime", "is required")
	}
	if err := checkAppointmentFields(req.AppointmentStatus, req.MeetingLocationType, req.StartTime, req.EndTime); err != nil {
		return nil, err
	}
	body := appointmentBody{CalendarID: req.CalendarID, LocationID: loc, ContactID: req.ContactID, StartTime: wireTime(req.StartTime),
		EndTime: wireTime(req.EndTime), Title: text(req.Title), AppointmentStatus: req.AppointmentStatus, AssignedUserID: text(req.AssignedUserID),
		Description: text(req.Description), Address: text(req.Address), MeetingLocationType: req.MeetingLocationType,
		MeetingLocationID: text(req.MeetingLocationID), OverrideLocationConfig: req.OverrideLocationConfig,
		IgnoreFreeSlotValidation: flag(req.IgnoreFreeSlotValidation), IgnoreDateRange: flag(req.IgnoreDateRange), ToNotify: req.ToNotify,
		RRule: text(req.RRule)}
	var out Appointment
	o := op{method: http.MethodPost, path: "/calendars/events/appointments", body: &body, location: loc, version: CalendarsVersion,
		valid: func() string { return needID(out.ID, "appointment") }}
	if err := s.c.do(ctx, o, &out, opts); err != nil {
		return nil, err
	}
	return &out, nil
}

// Get returns one appointment. GET /calendars/events/appointments/{eventId}
// (calendars/events.readonly).
func (s *AppointmentsService) Get(ctx context.Context, eventID string, opts ...CallOption) (*Appointment, error) {
	if err := checkID("eventId", eventID); err != nil {
		return nil, err
	}
	var out appointmentEventBody
	o := op{method: http.MethodGet, path: "/calendars/events/appointments/" + eventID, version: CalendarsVersion, retryable: true,
		valid: func() string { return needID(out.Event.ID, "appointment") }}
	if err := s.c.do(ctx, o, &out, opts); err != nil {
		return nil, err
	}
	return &out.Event, nil
}

// Update changes an appointment: move it (StartTime, EndTime), change its
// status, title or assignee. PUT /calendars/events/appointments/{eventId}
// (calendars/events.write). A recurring instance's ID changes that instance;
// the master ID the series.
func (s *AppointmentsService) Update(ctx context.Context, eventID string, req UpdateAppointmentRequest, opts ...CallOption) (*Appointment, error) {
	if err := checkID("eventId", eventID); err != nil {
		return nil, err
	}
	if req.CalendarID != "" {
		if err := checkID("calendarId", req.CalendarID); err != nil {
			return nil, err
		}
	}
	if err := checkAppointmentFields(req.AppointmentStatus, req.MeetingLocationType, req.StartTime, req.EndTime); err != nil {
		return nil, err
	}
	body := appointmentBody{CalendarID: req.CalendarID, StartTime: wireTime(req.StartTime), EndTime: wireTime(req.EndTime),
		Title: text(req.Title), AppointmentStatus: req.AppointmentStatus, AssignedUserID: text(req.AssignedUserID),
		Description: text(req.Description), Address: text(req.Address), MeetingLocationType: req.MeetingLocationType,
		MeetingLocationID: text(req.MeetingLocationID), OverrideLocationConfig: req.OverrideLocationConfig,
		IgnoreFreeSlotValidation: req.IgnoreFreeSlotValidation, IgnoreDateRange: req.IgnoreDateRange, ToNotify: req.ToNotify,
		RRule: text(req.RRule)}
	empty := ""
	for _, f := range req.Clear {
		var dst **string
		switch f {
		case "title":
			dst = &body.Title
		case "description":
			dst = &body.Description
		case "address":
			dst = &body.Address
		case "assignedUserId":
			dst = &body.AssignedUserID
		case "rrule":
			dst = &body.RRule
		case "meetingLocationId":
			dst = &body.MeetingLocationID
		default:
			return nil, invalid("clear", "%q cannot be cleared; the fields that can: %s", f, strings.Join(ClearableAppointmentFields, ", "))
		}
		if *dst != nil {
			return nil, invalid(f, "is both set and cleared")
		}
		*dst = &empty
	}
	var out Appointment
	o := op{method: http.MethodPut, path: "/calendars/events/appointments/" + eventID, body: &body, version: CalendarsVersion,
		retryable: true, valid: func() string { return needID(out.ID, "appointment") }}
	if err := s.c.do(ctx, o, &out, opts); err != nil {
		return nil, err
	}
	return &out, nil
}

// Delete deletes an event (cancel with Update and AppointmentCancelled to
// keep it on record). DELETE /calendars/events/{eventId}
// (calendars/events.write).
func (s *AppointmentsService) Delete(ctx context.Context, eventID string, opts ...CallOption) error {
	if err := checkID("eventId", eventID); err != nil {
		return err
	}
	var out struct {
		Succeeded *bool `json:"succeeded"` // spelled correctly on this endpoint
	}
	o := op{method: http.MethodDelete, path: "/calendars/events/" + eventID, body: struct{}{}, version: CalendarsVersion, retryable: true}
	if err := s.c.do(ctx, o, &out, opts); err != nil {
		return err
	}
	if out.Succeeded != nil && !*out.Succeeded {
		return &APIError{StatusCode: http.StatusOK, Method: o.method, Path: o.path, Messages: []string{"the API answered succeeded=false"}}
	}
	return nil
}

// EventsQuery selects calendar events: a location, one of a calendar, user
// or group, and a time range.
type EventsQuery struct {
	LocationID string // defaults to the client's location
	CalendarID string
	UserID     string
	GroupID    string
	Start, End time.Time // required
}

// Events returns the events of a calendar, user or group in a time range.
// GET /calendars/events (calendars/events.readonly).
func (s *AppointmentsService) Events(ctx context.Context, q EventsQuery, opts ...CallOption) ([]Appointment, error) {
	loc, err := s.c.locationOr(q.LocationID)
	if err != nil {
		return nil, err
	}
	v := url.Values{"locationId": {loc}}
	n := 0
	for _, p := range []struct{ name, id string }{{"calendarId", q.CalendarID}, {"userId", q.UserID}, {"groupId", q.GroupID}} {
		if p.id == "" {
			continue
		}
		if err := checkID(p.name, p.id); err != nil {
			return nil, err
		}
		v.Set(p.name, p.id)
		n++
	}
	if n == 0 {
		return nil, invalid("calendarId", "name a calendarId, userId or groupId")
	}
	if q.Start.IsZero() || q.End.IsZero() || !q.End.After(q.Start) {
		return nil, invalid("startTime", "give a start and a later end")
	}
	v.Set("startTime", strconv.FormatInt(q.Start.UnixMilli(), 10))
	v.Set("endTime", strconv.FormatInt(q.End.UnixMilli(), 10))
	var out struct {
		Events []Appointment `json:"events"`
	}
	if err := s.c.do(ctx, op{method: http.MethodGet, path: "/calendars/events", query: v, version: CalendarsVersion, retryable: true}, &out, opts); err != nil {
		return nil, err
	}
	return out.Events, nil
}

// MaxFreeSlotsDays is the longest range FreeSlots may ask for: 31
// calendar days (so a range across a change of daylight saving time may be
// an hour more or less than 31 × 24 hours).
const MaxFreeSlotsDays = 31

// FreeSlotsQuery is the range and zone of Appointments.FreeSlots.
type FreeSlotsQuery struct {
	Start, End time.Time // at most MaxFreeSlotsDays calendar days apart
	Timezone   string    // IANA name the slots are given in; "" is the calendar's
	UserID     string    // the slots of one user of a round-robin calendar
	UserIDs    []string  // or of several
}

// FreeSlots returns a calendar's free slots in a range, by day
// ("2006-01-02" in the answer's zone), each slot's start as a time.Time with
// its offset. GET /calendars/{calendarId}/free-slots (calendars.readonly).
func (s *AppointmentsService) FreeSlots(ctx context.Context, calendarID string, q FreeSlotsQuery, opts ...CallOption) (map[string][]time.Time, error) {
	if err := checkID("calendarId", calendarID); err != nil {
		return nil, err
	}
	if q.Start.IsZero() || q.End.IsZero() || !q.End.After(q.Start) {
		return nil, invalid("startDate", "give a start and a later end")
	}
	v := url.Values{"startDate": {strconv.FormatInt(q.Start.UnixMilli(), 10)}, "endDate": {strconv.FormatInt(q.End.UnixMilli(), 10)}}
	zone := q.Start.Location()
	if q.Timezone != "" {
		z, err := time.LoadLocation(q.Timezone)
		if err != nil {
			return nil, invalid("timezone", "%q is not an IANA time zone", q.Timezone)
		}
		zone = z
		v.Set("timezone", q.Timezone)
	}
	if last := q.Start.In(zone).AddDate(0, 0, MaxFreeSlotsDays); q.End.After(last) {
		return nil, invalid("endDate", "the range ends after %s; HighLevel serves at most %d days", last.Format(time.RFC3339), MaxFreeSlotsDays)
	}
	if q.UserID != "" {
		if err := checkID("userId", q.UserID); err != nil {
			return nil, err
		}
		v.Set("userId", q.UserID)
	}
	for _, id := range q.UserIDs {
		if err := checkID("userIds", id); err != nil {
			return nil, err
		}
		v.Add("userIds", id)
	}
	var raw map[string]json.RawMessage
	o := op{method: http.MethodGet, path: "/calendars/" + calendarID + "/free-slots", query: v, version: CalendarsVersion, retryable: true}
	if err := s.c.do(ctx, o, &raw, opts); err != nil {
		return nil, err
	}
	out := map[string][]time.Time{}
	for day, b := range raw {
		if _, err := time.Parse(time.DateOnly, day); err != nil {
			continue // "traceId" and other keys that are not days
		}
		var d struct {
			Slots []string `json:"slots"`
		}
		if err := json.Unmarshal(b, &d); err != nil {
			return nil, &AnswerError{StatusCode: http.StatusOK, Method: o.method, Path: o.path, Reason: "has an unreadable day " + day, Err: err}
		}
		for _, sl := range d.Slots {
			t, err := time.Parse(time.RFC3339, sl)
			if err != nil {
				return nil, &AnswerError{StatusCode: http.StatusOK, Method: o.method, Path: o.path, Reason: "has an unreadable slot " + excerpt(sl, 40), Err: err}
			}
			out[day] = append(out[day], t)
		}
	}
	return out, nil
}

// AppointmentNote is a note on an appointment.
type AppointmentNote struct {
	ID        string `json:"id"`
	Body      string `json:"body"`
	UserID    string `json:"userId,omitempty"`
	ContactID string `json:"contactId,omitempty"`
	DateAdded Time   `json:"dateAdded,omitzero"`
}

type appointmentNoteBody struct {
	Note AppointmentNote `json:"note"`
}

// MaxAppointmentNotes is the largest page of appointment notes.
const MaxAppointmentNotes = 20

// ListNotes returns a page of an appointment's notes (limit at most
// MaxAppointmentNotes; 0 means that) and whether more follow.
// GET /calendars/appointments/{appointmentId}/notes.
func (s *AppointmentsService) ListNotes(ctx context.Context, appointmentID string, limit, offset int, opts ...CallOption) ([]AppointmentNote, bool, error) {
	if err := checkID("appointmentId", appointmentID); err != nil {
		return nil, false, err
	}
	if limit <= 0 {
		limit = MaxAppointmentNotes
	}
	if limit > MaxAppointmentNotes {
		return nil, false, invalid("limit", "%d is above %d, the most HighLevel serves in a page", limit, MaxAppointmentNotes)
	}
	if offset < 0 {
		return nil, false, invalid("offset", "must not be negative")
	}
	var out struct {
		Notes   []AppointmentNote `json:"notes"`
		HasMore bool              `json:"hasMore"`
	}
	v := url.Values{"limit": {strconv.Itoa(limit)}, "offset": {strconv.Itoa(offset)}}
	o := op{method: http.MethodGet, path: "/calendars/appointments/" + appointmentID + "/notes", query: v, version: CalendarsVersion, retryable: true}
	if err := s.c.do(ctx, o, &out, opts); err != nil {
		return nil, false, err
	}
	return out.Notes, out.HasMore, nil
}

// AppointmentNoteRequest is the body of CreateNote and UpdateNote.
type AppointmentNoteRequest struct {
	Body   string `json:"body"`             // required
	UserID string `json:"userId,omitempty"` // the user the note is from
}

// CreateNote adds a note to an appointment. POST
// /calendars/appointments/{appointmentId}/notes. A create: not sent again
// after an unknown outcome.
func (s *AppointmentsService) CreateNote(ctx context.Context, appointmentID string, req AppointmentNoteRequest, opts ...CallOption) (*AppointmentNote, error) {
	return s.writeNote(ctx, http.MethodPost, appointmentID, "", req, opts)
}

// UpdateNote changes an appointment's note. PUT
// /calendars/appointments/{appointmentId}/notes/{noteId}.
func (s *AppointmentsService) UpdateNote(ctx context.Context, appointmentID, noteID string, req AppointmentNoteRequest, opts ...CallOption) (*AppointmentNote, error) {
	if err := checkID("noteId", noteID); err != nil {
		return nil, err
	}
	return s.writeNote(ctx, http.MethodPut, appointmentID, noteID, req, opts)
}

func (s *AppointmentsService) writeNote(ctx context.Context, method, appointmentID, noteID string, req AppointmentNoteRequest, opts []CallOption) (*AppointmentNote, error) {
	if err := checkID("appointmentId", appointmentID); err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.Body) == "" {
		return nil, invalid("body", "a note needs a body")
	}
	if req.UserID != "" {
		if err := checkID("userId", req.UserID); err != nil {
			return nil, err
		}
	}
	path := "/calendars/appointments/" + appointmentID + "/notes"
	if noteID != "" {
		path += "/" + noteID
	}
	var out appointmentNoteBody
	o := op{method: method, path: path, body: &req, version: CalendarsVersion,
		retryable: method == http.MethodPut, valid: func() string { return needID(out.Note.ID, "note") }}
	if err := s.c.do(ctx, o, &out, opts); err != nil {
		return nil, err
	}
	return &out.Note, nil
}

// DeleteNote deletes an appointment's note. DELETE
// /calendars/appointments/{appointmentId}/notes/{noteId}.
func (s *AppointmentsService) DeleteNote(ctx context.Context, appointmentID, noteID string, opts ...CallOption) error {
	if err := checkID("appointmentId", appointmentID); err != nil {
		return err
	}
	if err := checkID("noteId", noteID); err != nil {
		return err
	}
	var out struct {
		Success *bool `json:"success"`
	}
	o := op{method: http.MethodDelete, path: "/calendars/appointments/" + appointmentID + "/notes/" + noteID, version: CalendarsVersion, retryable: true}
	if err := s.c.do(ctx, o, &out, opts); err != nil {
		return err
	}
	if out.Success != nil && !*out.Success {
		return &APIError{StatusCode: http.StatusOK, Method: o.method, Path: o.path, Messages: []string{"the API answered success=false"}}
	}
	return nil
}
