package ghltest

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/ghlkit/ghl"
)

type tokenKind int

const (
	kindStatic   tokenKind = iota // a Private Integration Token
	kindLocation                  // an OAuth token for one location
	kindCompany                   // an OAuth agency token
)

// token is an access token the server accepts.
type token struct {
	value    string
	kind     tokenKind
	location string
	company  string
	app      string // rate-limit key part: the app ID, or "pit:<token>"
	scope    string
	expires  time.Time // zero: never
}

// grant is what an authorization code or refresh token stands for.
type grant struct {
	clientID    string
	kind        tokenKind
	location    string
	company     string
	scope       string
	redirectURI string
	userID      string
}

// location is one sub-account's data.
type location struct {
	id, company     string
	allowDuplicates bool
	byID            map[string]*contact
	byEmail         map[string][]*contact // lower-cased email → contacts; see reindex
	byPhone         map[string][]*contact
	list            []*contact         // ordered by dateAdded, then ID
	tags            []*ghl.LocationTag // the location's tag definitions, in creation order
	fields          []*ghl.CustomFieldDefinition
}

// contact is a stored contact with the state the API records but does not
// return.
type contact struct {
	ghl.Contact
	indexedEmail, indexedPhone string // the keys byEmail and byPhone hold it under
	tasks                      []*ghl.Task
	notes                      []*ghl.Note
	appointments               []ghl.Appointment
	campaigns                  map[string]bool
	workflows                  map[string]string // workflow ID -> eventStartTime

	// enc caches the contact's JSON for search pages; it is valid while
	// encGen equals the server's write generation.
	enc    []byte
	encGen uint64

	// versions are the contact's states as written, oldest first, kept
	// while the search index may still be serving them (WithSearchLag).
	versions []indexVersion
}

// indexVersion is a contact's state from one write on.
type indexVersion struct {
	at time.Time
	c  ghl.Contact
}

// written records a write of ct for the lagging search index. Callers hold
// s.mu.
func (s *Server) written(ct *contact) {
	if l := s.locations[ct.LocationID]; l != nil && l.byID[ct.ID] == ct {
		l.reindex(ct)
	}
	lag := s.cfg.searchLag
	if lag <= 0 {
		return
	}
	now := s.now()
	snap := ct.Contact
	snap.Tags = slices.Clone(ct.Tags)
	snap.CustomFields = slices.Clone(ct.CustomFields)
	ct.versions = append(ct.versions, indexVersion{at: now, c: snap})
	// Keep the newest version the index already shows, and those after it.
	for len(ct.versions) > 1 && !now.Before(ct.versions[1].at.Add(lag)) {
		ct.versions = ct.versions[1:]
	}
}

// searchView is ct as the lagging search index shows it at now, or nil when
// the index does not have it yet.
func (ct *contact) searchView(now time.Time, lag time.Duration) *ghl.Contact {
	if lag <= 0 || len(ct.versions) == 0 {
		return &ct.Contact
	}
	for i := len(ct.versions) - 1; i >= 0; i-- {
		if !now.Before(ct.versions[i].at.Add(lag)) {
			if i == len(ct.versions)-1 {
				return &ct.Contact // the index has caught up
			}
			return &ct.versions[i].c
		}
	}
	return nil
}

// encoded returns the contact's JSON, from the cache when no write happened
// since it was made. Callers hold s.mu.
func (c *contact) encoded(gen uint64) []byte {
	if c.enc == nil || c.encGen != gen {
		c.enc, _ = json.Marshal(&c.Contact)
		c.encGen = gen
	}
	return c.enc
}

func (s *Server) addLocation(id, company string) *location {
	l := &location{id: id, company: company, allowDuplicates: s.cfg.allowDup, byID: map[string]*contact{},
		fields: seedFields(id)}
	s.locations[id] = l
	return l
}

// AddLocation adds a location to DefaultCompanyID, with its duplicate rule.
func (s *Server) AddLocation(id string, allowDuplicates bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.locations[id]
	if l == nil {
		l = s.addLocation(id, DefaultCompanyID)
	}
	l.allowDuplicates = allowDuplicates
}

// SetAllowDuplicates changes a location's "Allow Duplicate Contact" setting.
func (s *Server) SetAllowDuplicates(locationID string, allow bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l := s.locations[locationID]; l != nil {
		l.allowDuplicates = allow
	}
}

// Contact returns a stored contact as the API would, and whether it exists.
func (s *Server) Contact(locationID, contactID string) (ghl.Contact, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l := s.locations[locationID]; l != nil {
		if c := l.byID[contactID]; c != nil {
			return c.Contact, true
		}
	}
	return ghl.Contact{}, false
}

// ContactCount returns how many contacts a location holds.
func (s *Server) ContactCount(locationID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l := s.locations[locationID]; l != nil {
		return len(l.list)
	}
	return 0
}

// Enrollments returns the campaigns and workflows (with their event start
// times) a contact was added to.
func (s *Server) Enrollments(locationID, contactID string) (campaigns []string, workflows map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.locations[locationID]
	if l == nil || l.byID[contactID] == nil {
		return nil, nil
	}
	c := l.byID[contactID]
	for id := range c.campaigns {
		campaigns = append(campaigns, id)
	}
	slices.Sort(campaigns)
	workflows = map[string]string{}
	for k, v := range c.workflows {
		workflows[k] = v
	}
	return campaigns, workflows
}

// insert adds c in dateAdded order. Callers hold s.mu.
func (l *location) insert(c *contact) {
	l.byID[c.ID] = c
	i, _ := slices.BinarySearchFunc(l.list, c, compareAdded)
	l.list = slices.Insert(l.list, i, c)
	l.reindex(c)
}

// remove deletes a contact. Callers hold s.mu.
func (l *location) remove(c *contact) {
	delete(l.byID, c.ID)
	if i, found := slices.BinarySearchFunc(l.list, c, compareAdded); found {
		l.list = slices.Delete(l.list, i, i+1)
	}
	unindex(l.byEmail, c.indexedEmail, c)
	unindex(l.byPhone, c.indexedPhone, c)
	c.indexedEmail, c.indexedPhone = "", ""
}

// reindex files c under its current email and phone (after a write).
// Callers hold s.mu.
func (l *location) reindex(c *contact) {
	if l.byEmail == nil {
		l.byEmail, l.byPhone = map[string][]*contact{}, map[string][]*contact{}
	}
	if c.indexedEmail != c.EmailLowerCase {
		unindex(l.byEmail, c.indexedEmail, c)
		if c.EmailLowerCase != "" {
			l.byEmail[c.EmailLowerCase] = append(l.byEmail[c.EmailLowerCase], c)
		}
		c.indexedEmail = c.EmailLowerCase
	}
	if c.indexedPhone != c.Phone {
		unindex(l.byPhone, c.indexedPhone, c)
		if c.Phone != "" {
			l.byPhone[c.Phone] = append(l.byPhone[c.Phone], c)
		}
		c.indexedPhone = c.Phone
	}
}

func unindex(m map[string][]*contact, k string, c *contact) {
	if k == "" {
		return
	}
	m[k] = slices.DeleteFunc(m[k], func(x *contact) bool { return x == c })
	if len(m[k]) == 0 {
		delete(m, k)
	}
}

func compareAdded(a, b *contact) int {
	if c := a.DateAdded.Compare(b.DateAdded.Time); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// findMatch returns the contact whose email, then phone, matches, skipping
// except. Callers hold s.mu.
func (l *location) findMatch(email, phone, except string) (*contact, string) {
	first := func(cands []*contact, match func(*contact) bool) *contact {
		var best *contact
		for _, c := range cands {
			if c.ID != except && match(c) && l.byID[c.ID] == c && (best == nil || compareAdded(c, best) < 0) {
				best = c
			}
		}
		return best
	}
	if email != "" {
		e := strings.ToLower(email)
		if c := first(l.byEmail[e], func(c *contact) bool { return c.EmailLowerCase == e }); c != nil {
			return c, "email"
		}
	}
	if phone != "" {
		if c := first(l.byPhone[phone], func(c *contact) bool { return c.Phone == phone }); c != nil {
			return c, "phone"
		}
	}
	return nil, ""
}
