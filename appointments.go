package ghl

import (
	"context"
	"net/http"
)

// Appointment is a calendar event booked for a contact. Times come as
// "2006-01-02 15:04:05" without a zone under /contacts; Time reads them as UTC.
type Appointment struct {
	ID                string   `json:"id"`
	CalendarID        string   `json:"calendarId,omitempty"`
	LocationID        string   `json:"locationId,omitempty"`
	ContactID         string   `json:"contactId,omitempty"`
	GroupID           string   `json:"groupId,omitempty"`
	Title             string   `json:"title,omitempty"`
	Status            string   `json:"status,omitempty"`
	AppointmentStatus string   `json:"appointmentStatus,omitempty"` // e.g. "booked", "confirmed"
	AssignedUserID    string   `json:"assignedUserId,omitempty"`
	Users             []string `json:"users,omitempty"`
	AssignedResources []string `json:"assignedResources,omitempty"`
	Notes             string   `json:"notes,omitempty"`
	Address           string   `json:"address,omitempty"`
	Source            string   `json:"source,omitempty"` // sent in webhooks
	StartTime         Time     `json:"startTime,omitzero"`
	EndTime           Time     `json:"endTime,omitzero"`
	DateAdded         Time     `json:"dateAdded,omitzero"`
	DateUpdated       Time     `json:"dateUpdated,omitzero"`
}

// AppointmentsService lists a contact's appointments. Booking and changing
// them is the calendars API, outside this SDK's scope for now.
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
