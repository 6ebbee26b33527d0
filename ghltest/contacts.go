package ghltest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/ghlkit/ghl"
)

// Contacts: create, read, update, delete, upsert, the duplicate lookup, the
// deprecated list, and businesses (search is in search.go).

var (
	createKeys = []string{"firstName", "lastName", "name", "email", "locationId", "gender", "phone", "address1", "city",
		"state", "postalCode", "website", "timezone", "dnd", "dndSettings", "inboundDndSettings", "tags", "customFields",
		"source", "dateOfBirth", "country", "companyName", "assignedTo"}
	upsertKeys = append(slices.Clone(createKeys), "createNewIfDuplicateAllowed")
	updateKeys = slices.DeleteFunc(slices.Clone(createKeys), func(k string) bool {
		return k == "locationId" || k == "gender" || k == "companyName"
	})
)

// clearNulls empties the fields an update body sends as null (the API's
// nullable fields; others were refused by decode's schema check or keep
// their value).
func (c *call) clearNulls(ct *ghl.Contact) {
	var m map[string]json.RawMessage
	if json.Unmarshal(c.body, &m) != nil {
		return
	}
	fields := map[string]*string{"firstName": &ct.FirstName, "lastName": &ct.LastName, "email": &ct.Email,
		"phone": &ct.Phone, "address1": &ct.Address1, "city": &ct.City, "state": &ct.State, "website": &ct.Website,
		"timezone": &ct.Timezone, "source": &ct.Source, "assignedTo": &ct.AssignedTo}
	for k, v := range m {
		if string(v) != "null" {
			continue
		}
		if p := fields[k]; p != nil {
			*p = ""
		}
		switch k {
		case "name":
			ct.FirstName, ct.LastName = "", ""
		case "dateOfBirth":
			ct.DateOfBirth = ghl.Time{}
		}
	}
	ct.EmailLowerCase = strings.ToLower(ct.Email)
	ct.FirstNameLowerCase, ct.LastNameLowerCase = strings.ToLower(ct.FirstName), strings.ToLower(ct.LastName)
	ct.FullNameLowerCase = strings.TrimSpace(ct.FirstNameLowerCase + " " + ct.LastNameLowerCase)
	ct.Name = strings.TrimSpace(ct.FirstName + " " + ct.LastName)
}

// contact finds the path's contact in the token's location. Callers hold s.mu.
func (c *call) contact() (*location, *contact, reply, bool) {
	id := c.params["contactId"]
	l := c.s.locations[c.tok.location]
	if ct := l.byID[id]; ct != nil {
		return l, ct, reply{}, true
	}
	for _, other := range c.s.locations {
		if other.byID[id] != nil {
			return nil, nil, errReply(http.StatusForbidden, forbidden), false
		}
	}
	return nil, nil, errReply(http.StatusNotFound, "Contact not found"), false
}

// checkContactInput validates what the API validates on contact bodies.
func checkContactInput(r *ghl.CreateContactRequest) []string {
	var msgs []string
	if r.Email != nil && *r.Email != "" {
		at := strings.IndexByte(*r.Email, '@')
		if at < 1 || !strings.Contains((*r.Email)[at:], ".") {
			msgs = append(msgs, "email must be an email")
		}
	}
	if r.Phone != nil && *r.Phone != "" {
		digits := 0
		for _, ch := range *r.Phone {
			switch {
			case ch >= '0' && ch <= '9':
				digits++
			case strings.ContainsRune("+ ()-.", ch):
			default:
				digits = -100
			}
		}
		if digits < 7 {
			msgs = append(msgs, "phone must be a valid phone number")
		}
	}
	for i, f := range r.CustomFields {
		if f.ID == "" && f.Key == "" {
			msgs = append(msgs, "customFields."+strconv.Itoa(i)+".id should not be empty")
		}
	}
	if d := r.DNDSettings; d != nil {
		for _, st := range []*ghl.DNDSetting{d.Call, d.Email, d.SMS, d.WhatsApp, d.GMB, d.FB} {
			if st != nil && st.Status != "active" && st.Status != "inactive" && st.Status != "permanent" {
				msgs = append(msgs, "dndSettings status must be one of the following values: active, inactive, permanent")
			}
		}
	}
	return msgs
}

// apply writes the set fields of r onto ct.
func apply(ct *ghl.Contact, r *ghl.CreateContactRequest, now ghl.Time) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&ct.FirstName, r.FirstName)
	set(&ct.LastName, r.LastName)
	set(&ct.Email, r.Email)
	set(&ct.Phone, r.Phone)
	set(&ct.Gender, r.Gender)
	set(&ct.Address1, r.Address1)
	set(&ct.City, r.City)
	set(&ct.State, r.State)
	set(&ct.PostalCode, r.PostalCode)
	set(&ct.Country, r.Country)
	set(&ct.Website, r.Website)
	set(&ct.Timezone, r.Timezone)
	set(&ct.CompanyName, r.CompanyName)
	set(&ct.Source, r.Source)
	set(&ct.AssignedTo, r.AssignedTo)
	if r.Name != nil && r.FirstName == nil && r.LastName == nil {
		first, last, _ := strings.Cut(*r.Name, " ")
		ct.FirstName, ct.LastName = first, last
	}
	ct.Name = strings.TrimSpace(ct.FirstName + " " + ct.LastName)
	ct.FirstNameLowerCase = strings.ToLower(ct.FirstName)
	ct.LastNameLowerCase = strings.ToLower(ct.LastName)
	ct.FullNameLowerCase = strings.ToLower(ct.Name)
	ct.EmailLowerCase = strings.ToLower(ct.Email)
	if r.DateOfBirth != nil {
		ct.DateOfBirth, _ = ghl.ParseTime(*r.DateOfBirth)
	}
	if r.DND != nil {
		ct.DND = *r.DND
	}
	if r.DNDSettings != nil {
		d := *r.DNDSettings
		ct.DNDSettings = &d
	}
	if r.Tags != nil {
		ct.Tags = dedupe(r.Tags)
	}
	if r.CustomFields != nil {
		fields := slices.Clone(ct.CustomFields)
		for _, in := range r.CustomFields {
			id := in.ID
			if id == "" {
				id = in.Key
			}
			raw, _ := json.Marshal(in.Value)
			i := slices.IndexFunc(fields, func(f ghl.CustomField) bool { return f.ID == id })
			if string(raw) == `""` || string(raw) == "null" {
				// Emptied: ghltest's choice, matching what the SDK sends to
				// clear a custom field (HighLevel does not document it).
				if i >= 0 {
					fields = slices.Delete(fields, i, i+1)
				}
				continue
			}
			if i < 0 {
				fields = append(fields, ghl.CustomField{ID: id, Value: raw})
			} else {
				fields[i] = ghl.CustomField{ID: id, Value: raw}
			}
		}
		ct.CustomFields = fields
	}
	ct.DateUpdated = now
}

// dedupe returns tags without repeats, in first-seen order.
func dedupe(tags []string) []string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		t = strings.TrimSpace(t)
		if t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

func duplicate(existing *contact, field string) reply {
	return jsonReply(http.StatusBadRequest, map[string]any{
		"statusCode": http.StatusBadRequest, "message": "This location does not allow duplicated contacts.",
		"meta": map[string]any{"contactId": existing.ID, "contactName": existing.Name, "matchingField": field}})
}

// newContact stores a contact built from r. Callers hold s.mu.
func (c *call) newContact(l *location, r *ghl.CreateContactRequest) *contact {
	now := c.s.stamp()
	ct := &contact{Contact: ghl.Contact{ID: c.s.newID(), LocationID: l.id, Type: "lead", DateAdded: now, Tags: []string{}},
		campaigns: map[string]bool{}, workflows: map[string]string{}}
	apply(&ct.Contact, r, now)
	defer c.s.written(ct)
	l.insert(ct)
	return ct
}

func createContact(c *call) reply {
	var r ghl.CreateContactRequest
	if rep, ok := c.decode(&r, createKeys...); !ok {
		return rep
	}
	if msgs := checkContactInput(&r); len(msgs) > 0 {
		return unprocessable(msgs...)
	}
	l, rep, ok := c.location(r.LocationID)
	if !ok {
		return rep
	}
	if !l.allowDuplicates {
		if m, field := l.findMatch(str(r.Email), str(r.Phone), ""); m != nil {
			return duplicate(m, field)
		}
	}
	ct := c.newContact(l, &r)
	c.emit("ContactCreate", ct.Contact)
	// The create answer is CreateContactSchema, which has no "name".
	created := struct {
		ghl.Contact
		Name string `json:"name,omitempty"`
	}{Contact: ct.Contact}
	return jsonReply(http.StatusCreated, map[string]any{"contact": created})
}

func getContact(c *call) reply {
	_, ct, rep, ok := c.contact()
	if !ok {
		return rep
	}
	return jsonReply(http.StatusOK, map[string]any{"contact": ct.Contact})
}

func updateContact(c *call) reply {
	var r ghl.CreateContactRequest
	if rep, ok := c.decode(&r, updateKeys...); !ok {
		return rep
	}
	if msgs := checkContactInput(&r); len(msgs) > 0 {
		return unprocessable(msgs...)
	}
	l, ct, rep, ok := c.contact()
	if !ok {
		return rep
	}
	if !l.allowDuplicates {
		if m, field := l.findMatch(str(r.Email), str(r.Phone), ct.ID); m != nil {
			return duplicate(m, field)
		}
	}
	apply(&ct.Contact, &r, c.s.stamp())
	c.clearNulls(&ct.Contact)
	c.s.written(ct)
	c.emit("ContactUpdate", ct.Contact)
	if r.Tags != nil {
		c.emit("ContactTagUpdate", ct.Contact)
	}
	if r.DNDSettings != nil || r.DND != nil {
		c.emit("ContactDndUpdate", ct.Contact)
	}
	return jsonReply(http.StatusOK, map[string]any{"succeded": true, "contact": ct.Contact})
}

func deleteContact(c *call) reply {
	l, ct, rep, ok := c.contact()
	if !ok {
		return rep
	}
	l.remove(ct)
	c.emit("ContactDelete", ct.Contact)
	return jsonReply(http.StatusOK, map[string]any{"succeded": true})
}

func upsertContact(c *call) reply {
	var r ghl.UpsertContactRequest
	if rep, ok := c.decode(&r, upsertKeys...); !ok {
		return rep
	}
	if msgs := checkContactInput(&r.CreateContactRequest); len(msgs) > 0 {
		return unprocessable(msgs...)
	}
	l, rep, ok := c.location(r.LocationID)
	if !ok {
		return rep
	}
	traceID := newSecret("trace-")
	alwaysNew := l.allowDuplicates && r.CreateNewIfDuplicateAllowed != nil && *r.CreateNewIfDuplicateAllowed
	if !alwaysNew {
		if m, _ := l.findMatch(str(r.Email), str(r.Phone), ""); m != nil {
			apply(&m.Contact, &r.CreateContactRequest, c.s.stamp())
			c.s.written(m)
			c.emit("ContactUpdate", m.Contact)
			return jsonReply(http.StatusOK, map[string]any{"new": false, "contact": m.Contact, "traceId": traceID})
		}
	}
	ct := c.newContact(l, &r.CreateContactRequest)
	c.emit("ContactCreate", ct.Contact)
	return jsonReply(http.StatusOK, map[string]any{"new": true, "contact": ct.Contact, "traceId": traceID})
}

func findDuplicate(c *call) reply {
	l, rep, ok := c.location(c.query.Get("locationId"))
	if !ok {
		return rep
	}
	m, _ := l.findMatch(c.query.Get("email"), c.query.Get("number"), "")
	if m == nil {
		return jsonReply(http.StatusOK, map[string]any{"contact": nil})
	}
	return jsonReply(http.StatusOK, map[string]any{"contact": m.Contact})
}

// queryMatch reports whether free text q matches a contact's name, email,
// phone or company, as the API's "query" does.
func queryMatch(ct *ghl.Contact, q string) bool {
	if q == "" {
		return true
	}
	q = strings.ToLower(q)
	return strings.Contains(ct.FullNameLowerCase, q) || strings.Contains(ct.EmailLowerCase, q) ||
		strings.Contains(ct.Phone, q) || strings.Contains(strings.ToLower(ct.CompanyName), q)
}

func listContacts(c *call) reply {
	limit := 20
	if v := c.query.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return unprocessable("limit must not be greater than 100", "limit must be a positive number")
		}
		limit = n
	}
	var after int64
	if v := c.query.Get("startAfter"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return unprocessable("startAfter must be a number")
		}
		after = n
	}
	afterID, q := c.query.Get("startAfterId"), c.query.Get("query")
	l, rep, ok := c.location(c.query.Get("locationId"))
	if !ok {
		return rep
	}
	var matched []*contact
	for _, ct := range l.list {
		if queryMatch(&ct.Contact, q) {
			matched = append(matched, ct)
		}
	}
	start := 0
	if afterID != "" || after > 0 {
		start = sort.Search(len(matched), func(i int) bool {
			ms := matched[i].DateAdded.UnixMilli()
			return ms > after || (ms == after && matched[i].ID > afterID)
		})
	}
	end := min(start+limit, len(matched))
	page := make([]ghl.Contact, 0, end-start)
	for _, ct := range matched[start:end] {
		page = append(page, ct.Contact)
	}
	meta := map[string]any{"total": len(matched), "currentPage": start/limit + 1, "prevPage": nil}
	if start >= limit {
		meta["prevPage"] = start / limit
	}
	if end < len(matched) && len(page) > 0 {
		last := page[len(page)-1]
		meta["startAfterId"] = last.ID
		meta["startAfter"] = last.DateAdded.UnixMilli()
		meta["nextPage"] = start/limit + 2
		v := url.Values{"locationId": {l.id}, "limit": {strconv.Itoa(limit)}, "startAfterId": {last.ID},
			"startAfter": {strconv.FormatInt(last.DateAdded.UnixMilli(), 10)}}
		if q != "" {
			v.Set("query", q)
		}
		meta["nextPageUrl"] = "/contacts/?" + v.Encode()
	}
	return jsonReply(http.StatusOK, map[string]any{"contacts": page, "count": len(matched), "meta": meta})
}

func listByBusiness(c *call) reply {
	limit, skip := 25, 0
	for _, p := range []struct {
		key string
		dst *int
	}{{"limit", &limit}, {"skip", &skip}} {
		if v := c.query.Get(p.key); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return unprocessable(p.key + " must be a number string")
			}
			*p.dst = n
		}
	}
	l, rep, ok := c.location(c.query.Get("locationId"))
	if !ok {
		return rep
	}
	biz, q := c.params["businessId"], c.query.Get("query")
	var matched []ghl.Contact
	for _, ct := range l.list {
		if ct.BusinessID == biz && queryMatch(&ct.Contact, q) {
			matched = append(matched, ct.Contact)
		}
	}
	page := matched[min(skip, len(matched)):min(skip+limit, len(matched))]
	return jsonReply(http.StatusOK, map[string]any{"contacts": slices.Clip(page), "count": len(matched)})
}

func bulkBusiness(c *call) reply {
	var r struct {
		LocationID string   `json:"locationId"`
		IDs        []string `json:"ids"`
		BusinessID *string  `json:"businessId"`
	}
	if rep, ok := c.decode(&r, "locationId", "ids", "businessId"); !ok {
		return rep
	}
	if r.IDs == nil || !c.has("businessId") {
		return unprocessable("ids must be an array", "businessId must be a string or null")
	}
	l, rep, ok := c.location(r.LocationID)
	if !ok {
		return rep
	}
	done := []string{}
	for _, id := range r.IDs {
		if ct := l.byID[id]; ct != nil {
			ct.BusinessID = str(r.BusinessID)
			done = append(done, id)
		}
	}
	return jsonReply(http.StatusOK, map[string]any{"success": true, "ids": done})
}
