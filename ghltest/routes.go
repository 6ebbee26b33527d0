package ghltest

import (
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/ghlkit/ghl"
)

// call is one authenticated API request.
type call struct {
	s      *Server
	r      *http.Request
	body   []byte
	tok    *token
	params map[string]string
	query  url.Values
}

type handler func(*call) reply

type routeDef struct {
	method  string
	pattern []string // segments; "{name}" matches any one segment
	h       handler
	version string // the Version header the operation requires
}

// routes lists the 32 operations of contacts.json and those of
// locations.json that ghltest serves. Literal segments come
// before parameters where both could match.
var routes = func() []routeDef {
	defs := []struct {
		method, pattern string
		h               handler
	}{
		{"POST", "/contacts/search", searchContacts},
		{"GET", "/contacts/search/duplicate", findDuplicate},
		{"POST", "/contacts/upsert", upsertContact},
		{"POST", "/contacts/bulk/tags/update/{type}", bulkTags},
		{"POST", "/contacts/bulk/business", bulkBusiness},
		{"GET", "/contacts/business/{businessId}", listByBusiness},
		{"GET", "/contacts/", listContacts},
		{"POST", "/contacts/", createContact},
		{"GET", "/contacts/{contactId}", getContact},
		{"PUT", "/contacts/{contactId}", updateContact},
		{"DELETE", "/contacts/{contactId}", deleteContact},
		{"GET", "/contacts/{contactId}/tasks", contactTasks.list},
		{"POST", "/contacts/{contactId}/tasks", createTask},
		{"GET", "/contacts/{contactId}/tasks/{taskId}", contactTasks.get},
		{"PUT", "/contacts/{contactId}/tasks/{taskId}", updateTask},
		{"DELETE", "/contacts/{contactId}/tasks/{taskId}", contactTasks.delete},
		{"PUT", "/contacts/{contactId}/tasks/{taskId}/completed", completeTask},
		{"GET", "/contacts/{contactId}/appointments", listAppointments},
		{"POST", "/contacts/{contactId}/tags", addTags},
		{"DELETE", "/contacts/{contactId}/tags", removeTags},
		{"GET", "/contacts/{contactId}/notes", contactNotes.list},
		{"POST", "/contacts/{contactId}/notes", createNote},
		{"GET", "/contacts/{contactId}/notes/{id}", contactNotes.get},
		{"PUT", "/contacts/{contactId}/notes/{id}", updateNote},
		{"DELETE", "/contacts/{contactId}/notes/{id}", contactNotes.delete},
		{"POST", "/contacts/{contactId}/followers", addFollowers},
		{"DELETE", "/contacts/{contactId}/followers", removeFollowers},
		{"DELETE", "/contacts/{contactId}/campaigns/removeAll", removeAllCampaigns},
		{"POST", "/contacts/{contactId}/campaigns/{campaignId}", addCampaign},
		{"DELETE", "/contacts/{contactId}/campaigns/{campaignId}", removeCampaign},
		{"POST", "/contacts/{contactId}/workflow/{workflowId}", addWorkflow},
		{"DELETE", "/contacts/{contactId}/workflow/{workflowId}", removeWorkflow},

		// locations.json: location tags (locationtags.go).
		{"GET", "/locations/{locationId}/tags", locationTags.list},
		{"POST", "/locations/{locationId}/tags", createLocationTag},
		{"GET", "/locations/{locationId}/tags/{tagId}", locationTags.get},
		{"PUT", "/locations/{locationId}/tags/{tagId}", updateLocationTag},
		{"DELETE", "/locations/{locationId}/tags/{tagId}", locationTags.delete},

		// locations.json: tasks across the location (tasks.go).
		{"POST", "/locations/{locationId}/tasks/search", searchLocationTasks},

		// locations.json: custom-field definitions (customfields.go).
		{"GET", "/locations/{locationId}/customFields", listCustomFields},
		{"POST", "/locations/{locationId}/customFields", createCustomField},
		{"GET", "/locations/{locationId}/customFields/{id}", customFields.get},
		{"PUT", "/locations/{locationId}/customFields/{id}", updateCustomField},
		{"DELETE", "/locations/{locationId}/customFields/{id}", customFields.delete},

		// calendars.json (Version 2021-04-15; calendars.go).
		{"GET", "/calendars/events", listCalendarEvents},
		{"POST", "/calendars/events/appointments", createAppointment},
		{"GET", "/calendars/events/appointments/{eventId}", getAppointment},
		{"PUT", "/calendars/events/appointments/{eventId}", updateAppointment},
		{"DELETE", "/calendars/events/{eventId}", deleteEvent},
		{"GET", "/calendars/{calendarId}/free-slots", freeSlots},
		{"GET", "/calendars/appointments/{appointmentId}/notes", listAppointmentNotes},
		{"POST", "/calendars/appointments/{appointmentId}/notes", createAppointmentNote},
		{"PUT", "/calendars/appointments/{appointmentId}/notes/{noteId}", updateAppointmentNote},
		{"DELETE", "/calendars/appointments/{appointmentId}/notes/{noteId}", appointmentNotes.delete},
	}
	out := make([]routeDef, len(defs))
	for i, d := range defs {
		version := ghl.APIVersion
		if strings.HasPrefix(d.pattern, "/calendars/") {
			version = ghl.CalendarsVersion
		}
		out[i] = routeDef{d.method, strings.Split(d.pattern, "/"), d.h, version}
	}
	return out
}()

// route finds the handler of method and path, and the Version it requires.
func route(method, p string) (handler, map[string]string, string, bool) {
	segs := strings.Split(p, "/")
next:
	for _, rd := range routes {
		if rd.method != method || len(rd.pattern) != len(segs) {
			continue
		}
		var params map[string]string
		for i, want := range rd.pattern {
			if strings.HasPrefix(want, "{") {
				if segs[i] == "" {
					continue next
				}
				if params == nil {
					params = map[string]string{}
				}
				v, err := url.PathUnescape(segs[i])
				if err != nil {
					continue next
				}
				params[strings.Trim(want, "{}")] = v
			} else if segs[i] != want {
				continue next
			}
		}
		return rd.h, params, rd.version, true
	}
	return nil, nil, "", false
}

// matches reports whether a request matches a method ("" any) and a
// path.Match pattern ("" any).
func matches(method, pattern, gotMethod, gotPath string) bool {
	if method != "" && method != gotMethod {
		return false
	}
	if pattern == "" {
		return true
	}
	ok, _ := path.Match(pattern, gotPath)
	return ok
}

// serve routes one request through version, auth and rate checks.
func (s *Server) serve(r *http.Request, body []byte) reply {
	p := r.URL.Path
	switch {
	case p == s.cfg.authorizePath:
		return s.authorizePage(r, body)
	case p == "/oauth/token":
		return s.tokenEndpoint(r, body)
	case p == "/oauth/locationToken":
		return s.locationTokenEndpoint(r, body)
	case p == "/oauth/installedLocations":
		return s.installedLocations(r)
	case p == "/contacts" || strings.HasPrefix(p, "/contacts/"), strings.HasPrefix(p, "/locations/"), strings.HasPrefix(p, "/calendars/"):
	default:
		return errReply(http.StatusNotFound, "Cannot "+r.Method+" "+p)
	}
	h, params, version, ok := route(r.Method, p)
	if !ok {
		return errReply(http.StatusNotFound, "Cannot "+r.Method+" "+p)
	}
	if v := r.Header.Get("Version"); v != version {
		if v == "" {
			return errReply(http.StatusBadRequest, "version header was not found")
		}
		return errReply(http.StatusBadRequest, "version "+v+" is not supported")
	}
	tok, rep, ok := s.authenticate(r)
	if !ok {
		return rep
	}
	if tok.kind == kindCompany {
		return errReply(http.StatusForbidden, "The token does not have access to this location.")
	}
	limit, rep, ok := s.admit(tok)
	if !ok {
		return rep
	}
	// Every handler runs under the server's lock, taken here once: a
	// handler reads and writes the store as it likes, and calls nothing
	// that takes the lock.
	c := &call{s: s, r: r, body: body, tok: tok, params: params, query: r.URL.Query()}
	s.mu.Lock()
	rep = h(c)
	if r.Method != http.MethodGet && p != "/contacts/search" {
		// After the write and before its answer: no read that starts after
		// the answer can be served a cached encoding from before it.
		s.gen++
	}
	s.mu.Unlock()
	if rep.header == nil {
		rep.header = http.Header{}
	}
	limit.apply(rep.header)
	return rep
}
