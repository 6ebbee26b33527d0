package ghltest

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/ghlkit/ghl"
)

// Notes on an appointment: /calendars/appointments/{appointmentId}/notes.

func listAppointmentNotes(c *call) reply {
	limit, err1 := strconv.Atoi(c.query.Get("limit"))
	offset, err2 := strconv.Atoi(c.query.Get("offset"))
	if err1 != nil || err2 != nil || limit < 1 || offset < 0 {
		return unprocessable("limit must be a number", "offset must be a number")
	}
	if limit > 20 {
		return unprocessable("limit must not be greater than 20")
	}
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
	a, rep, ok := appointmentNotes.parent(c)
	if !ok {
		return rep
	}
	return appointmentNotes.add(a, &ghl.AppointmentNote{ID: c.s.newID(), Body: body, UserID: user, ContactID: a.ContactID, DateAdded: c.s.stamp()})
}

func updateAppointmentNote(c *call) reply {
	body, user, rep, ok := c.noteBody()
	if !ok {
		return rep
	}
	_, list, i, rep, ok := appointmentNotes.find(c)
	if !ok {
		return rep
	}
	n := *(*list)[i]
	n.Body = body
	if user != "" {
		n.UserID = user
	}
	return appointmentNotes.replace(list, i, n)
}
