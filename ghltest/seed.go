package ghltest

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ghlkit/ghl"
)

var (
	firstNames = []string{"Ava", "Liam", "Maya", "Noah", "Zoe", "Ethan", "Isla", "Lucas", "Chloe", "Mateo", "Priya", "Omar",
		"Hana", "Diego", "Sofia", "Kai", "Amara", "Leo", "Nora", "Ravi", "Elena", "Jonah", "Lina", "Theo"}
	lastNames = []string{"Nguyen", "Smith", "Garcia", "Okafor", "Kowalski", "Patel", "Johnson", "Rossi", "Kim", "Silva",
		"Müller", "Haddad", "Brown", "Tanaka", "Moreau", "Lopez", "Novak", "Walker", "Cohen", "Rahman"}
	companies = []string{"Brightline Plumbing", "Summit Fitness", "Cedar & Co", "Northwind HVAC", "Lumen Dental",
		"Harbor Realty", "Oak Street Bakery", "Pinnacle Roofing", "Blue Fern Yoga", "Atlas Movers"}
	cities = []struct{ city, state, zip string }{{"Austin", "TX", "78701"}, {"Denver", "CO", "80202"},
		{"Portland", "OR", "97205"}, {"Raleigh", "NC", "27601"}, {"Tampa", "FL", "33602"}, {"Columbus", "OH", "43215"}}
	tagPool    = []string{"lead", "customer", "vip", "newsletter", "webinar", "referral", "trial", "churn-risk", "event-2026"}
	sources    = []string{"website form", "facebook ad", "referral", "public api", "walk-in"}
	seedEpoch  = time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC)
	taskTitles = []string{"Call back", "Send quote", "Follow up on invoice", "Schedule site visit", "Renewal check-in"}
)

// Seed adds n realistic contacts to a location (created if missing), with
// tags, custom fields and, for some, tasks, notes and appointments. The
// same server seed gives the same data. It returns the new contacts' IDs.
func (s *Server) Seed(locationID string, n int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.locations[locationID]
	if l == nil {
		l = s.addLocation(locationID, DefaultCompanyID)
	}
	start := len(l.list)
	ids := make([]string, 0, n)
	for i := range n {
		ct := s.fixture(l, start+i)
		l.insert(ct)
		ids = append(ids, ct.ID)
	}
	return ids
}

// fixture builds the i-th seeded contact. Callers hold s.mu.
func (s *Server) fixture(l *location, i int) *contact {
	r := s.rng
	first, last := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
	place := cities[r.IntN(len(cities))]
	added := ghl.Time{Time: seedEpoch.Add(time.Duration(i) * 7 * time.Minute).Add(time.Duration(r.IntN(60_000)) * time.Millisecond)}
	name := first + " " + last
	email := fmt.Sprintf("%s.%s%d@example.com", strings.ToLower(first), strings.ToLower(strings.ReplaceAll(last, "ü", "u")), i)
	tags := []string{tagPool[r.IntN(len(tagPool))]}
	if t := tagPool[r.IntN(len(tagPool))]; t != tags[0] {
		tags = append(tags, t)
	}
	score, _ := json.Marshal(r.IntN(100))
	plan, _ := json.Marshal([]string{"basic", "plus", "pro"}[r.IntN(3)])
	ct := &contact{
		Contact: ghl.Contact{
			ID: s.newID(), LocationID: l.id, Type: "lead", Source: sources[r.IntN(len(sources))],
			FirstName: first, LastName: last, Name: name,
			FirstNameLowerCase: strings.ToLower(first), LastNameLowerCase: strings.ToLower(last), FullNameLowerCase: strings.ToLower(name),
			Email: email, EmailLowerCase: email, Phone: fmt.Sprintf("+1555%07d", i%10_000_000),
			CompanyName: companies[r.IntN(len(companies))], City: place.city, State: place.state, PostalCode: place.zip,
			Country: "US", Timezone: "America/Chicago", Tags: tags, DateAdded: added, DateUpdated: added,
			CustomFields: []ghl.CustomField{{ID: "cfScore000000000000a", Value: score}, {ID: "cfPlan0000000000000b", Value: plan}},
		},
		campaigns: map[string]bool{}, workflows: map[string]string{},
	}
	if r.IntN(10) < 3 {
		ct.tasks = []*ghl.Task{{ID: s.newID(), ContactID: ct.ID, Title: taskTitles[r.IntN(len(taskTitles))],
			DueDate: ghl.Time{Time: added.AddDate(0, 0, 7)}, Completed: r.IntN(2) == 0}}
	}
	if r.IntN(10) < 3 {
		ct.notes = []*ghl.Note{{ID: s.newID(), ContactID: ct.ID, Body: "Met at the spring open house; prefers email.", DateAdded: added}}
	}
	if r.IntN(10) < 2 {
		startAt := added.AddDate(0, 0, 3).Truncate(time.Hour)
		ct.appointments = []ghl.Appointment{{ID: s.newID(), CalendarID: "ghltestCalendar00001", LocationID: l.id, ContactID: ct.ID,
			Title: "Consultation with " + name, Status: "booked", AppointmentStatus: "confirmed",
			StartTime: ghl.Time{Time: startAt}, EndTime: ghl.Time{Time: startAt.Add(time.Hour)}, DateAdded: added, DateUpdated: added}}
	}
	return ct
}
