package webhook

import (
	"encoding/json"
	"fmt"

	"github.com/ghlkit/ghl"
)

// Event types HighLevel sends.
const (
	ContactCreate     = "ContactCreate"
	ContactUpdate     = "ContactUpdate"
	ContactDelete     = "ContactDelete"
	ContactTagUpdate  = "ContactTagUpdate"
	ContactDndUpdate  = "ContactDndUpdate"
	NoteCreate        = "NoteCreate"
	NoteUpdate        = "NoteUpdate"
	NoteDelete        = "NoteDelete"
	TaskCreate        = "TaskCreate"
	TaskComplete      = "TaskComplete"
	TaskDelete        = "TaskDelete"
	AppointmentCreate = "AppointmentCreate"
	AppointmentUpdate = "AppointmentUpdate"
	AppointmentDelete = "AppointmentDelete"
	Install           = "INSTALL"
	Uninstall         = "UNINSTALL"
)

// Event is a parsed delivery: one of *ContactEvent, *NoteEvent, *TaskEvent,
// *AppointmentEvent, *InstallEvent, *UninstallEvent or *UnknownEvent.
type Event interface {
	// EventType is the payload's "type", e.g. "ContactUpdate".
	EventType() string
	// Location is the sub-account the event is about ("" for agency-level events).
	Location() string
}

// Delivery holds the replay-protection fields every payload may carry.
type Delivery struct {
	Type      string   `json:"type"`
	WebhookID string   `json:"webhookId,omitempty"`
	Timestamp ghl.Time `json:"timestamp,omitzero"`
}

// EventType returns the payload's type.
func (d Delivery) EventType() string { return d.Type }

// ContactEvent is ContactCreate, ContactUpdate, ContactDelete,
// ContactTagUpdate or ContactDndUpdate: the contact as it is now (for a
// delete, as it was). Custom field values may be any JSON.
type ContactEvent struct {
	// Type, WebhookID and Timestamp are at the top so that the event's
	// "type" wins over the contact's own (the payload carries only the former).
	Type      string   `json:"type"`
	WebhookID string   `json:"webhookId,omitempty"`
	Timestamp ghl.Time `json:"timestamp,omitzero"`
	ghl.Contact
}

// EventType returns the payload's type.
func (e *ContactEvent) EventType() string { return e.Type }

// Location returns the contact's location.
func (e *ContactEvent) Location() string { return e.LocationID }

// NoteEvent is NoteCreate, NoteUpdate or NoteDelete.
type NoteEvent struct {
	Delivery
	LocationID string `json:"locationId"`
	ghl.Note
}

// Location returns the note's location.
func (e *NoteEvent) Location() string { return e.LocationID }

// TaskEvent is TaskCreate, TaskComplete or TaskDelete. The payload has no
// "completed" field: a TaskComplete event means it is completed.
type TaskEvent struct {
	Delivery
	LocationID string   `json:"locationId"`
	DateAdded  ghl.Time `json:"dateAdded,omitzero"`
	ghl.Task
}

// Location returns the task's location.
func (e *TaskEvent) Location() string { return e.LocationID }

// AppointmentEvent is AppointmentCreate, AppointmentUpdate or
// AppointmentDelete; the appointment is nested, as HighLevel sends it.
type AppointmentEvent struct {
	Delivery
	LocationID  string          `json:"locationId"`
	Appointment ghl.Appointment `json:"appointment"`
}

// Location returns the appointment's location.
func (e *AppointmentEvent) Location() string { return e.LocationID }

// InstallEvent is INSTALL: the app was installed on a location or agency.
type InstallEvent struct {
	Delivery
	AppID               string `json:"appId"`
	LocationID          string `json:"locationId,omitempty"`
	CompanyID           string `json:"companyId"`
	UserID              string `json:"userId,omitempty"`
	PlanID              string `json:"planId,omitempty"`
	CompanyName         string `json:"companyName,omitempty"`
	IsWhitelabelCompany bool   `json:"isWhitelabelCompany"`
	Trial               struct {
		OnTrial        bool            `json:"onTrial"`
		TrialDuration  json.RawMessage `json:"trialDuration,omitempty"`
		TrialStartDate ghl.Time        `json:"trialStartDate,omitzero"`
	} `json:"trial"`
	WhitelabelDetails struct {
		Domain  string `json:"domain"`
		LogoURL string `json:"logoUrl"`
	} `json:"whitelabelDetails"`
}

// Location returns the location the app was installed on, if any.
func (e *InstallEvent) Location() string { return e.LocationID }

// UninstallEvent is UNINSTALL: the app was removed from a location or agency.
type UninstallEvent struct {
	Delivery
	AppID      string `json:"appId"`
	LocationID string `json:"locationId,omitempty"`
	CompanyID  string `json:"companyId,omitempty"`
}

// Location returns the location the app was removed from, if any.
func (e *UninstallEvent) Location() string { return e.LocationID }

// UnknownEvent is any other type; Raw keeps the payload.
type UnknownEvent struct {
	Delivery
	LocationID string          `json:"locationId"`
	Raw        json.RawMessage `json:"-"`
}

// Location returns the payload's locationId.
func (e *UnknownEvent) Location() string { return e.LocationID }

// Parse reads a payload into its typed event. Fields it does not know are
// ignored; a payload that is not a JSON object, or has no type, is an error.
func Parse(body []byte) (Event, error) {
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrMalformed, jsonErr(err))
	}
	if head.Type == "" {
		return nil, fmt.Errorf("%w: no type", ErrMalformed)
	}
	var ev Event
	switch head.Type {
	case ContactCreate, ContactUpdate, ContactDelete, ContactTagUpdate, ContactDndUpdate:
		ev = &ContactEvent{}
	case NoteCreate, NoteUpdate, NoteDelete:
		ev = &NoteEvent{}
	case TaskCreate, TaskComplete, TaskDelete:
		ev = &TaskEvent{}
	case AppointmentCreate, AppointmentUpdate, AppointmentDelete:
		ev = &AppointmentEvent{}
	case Install:
		ev = &InstallEvent{}
	case Uninstall:
		ev = &UninstallEvent{}
	default:
		u := &UnknownEvent{Raw: append(json.RawMessage(nil), body...)}
		ev = u
	}
	if err := json.Unmarshal(body, ev); err != nil {
		return nil, fmt.Errorf("%w: %s payload: %s", ErrMalformed, head.Type, jsonErr(err))
	}
	return ev, nil
}
