// Package ghlsync holds the building blocks that keep an app's people in step
// with a HighLevel location:
//
//   - Ensure: create-or-update on the app's key that never makes a second
//     contact, and sends nothing when nothing differs.
//   - Feed: the contacts changed since a checkpoint, by polling search, with
//     nothing missed or repeated under ties, concurrent writes and index lag.
//   - Stream: webhook deliveries and polling as one ordered stream of changes.
//   - Merge: a pure field-level three-way merge with conflict policies.
//   - Syncer: two-way contact sync on stored base records (echoes cost no
//     write); SyncTasks and SyncNotes do the same for tasks and notes.
//   - Reconcile and Sweep: what differs, and what was deleted, found by a
//     complete read.
//   - State: checkpoints, base records and ID links, in memory or a file.
//
// It sits on top of package ghl (and never the other way round): records
// come from ghl.Contact values and go back as ghl requests, so every write
// goes through the client's request path, rate limiter and retries.
package ghlsync

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/ghlkit/ghl"
)

// Field names of a Record, as HighLevel names them on the wire. Custom
// fields are "customFields.<id>", DND channels "dndSettings.<Channel>".
const (
	FieldFirstName  = "firstName"
	FieldLastName   = "lastName"
	FieldEmail      = "email"
	FieldPhone      = "phone"
	FieldAddress1   = "address1"
	FieldCity       = "city"
	FieldState      = "state"
	FieldPostalCode = "postalCode"
	FieldCountry    = "country"
	FieldWebsite    = "website"
	FieldTimezone   = "timezone"
	FieldSource     = "source"
	FieldAssignedTo = "assignedTo"
	FieldDND        = "dnd"

	customPrefix = "customFields."
	dndPrefix    = "dndSettings."
)

// scalar maps a field to its value on a contact and its place in an update.
type scalar struct {
	name string
	get  func(*ghl.Contact) string
	set  func(*ghl.UpdateContactRequest, string)
}

// scalars are the plain fields a sync keeps in step: those PUT
// /contacts/{id} can write.
var scalars = []scalar{
	{FieldFirstName, func(c *ghl.Contact) string { return c.FirstName }, func(u *ghl.UpdateContactRequest, v string) { u.FirstName = &v }},
	{FieldLastName, func(c *ghl.Contact) string { return c.LastName }, func(u *ghl.UpdateContactRequest, v string) { u.LastName = &v }},
	{FieldEmail, func(c *ghl.Contact) string { return strings.ToLower(c.Email) }, func(u *ghl.UpdateContactRequest, v string) { u.Email = &v }},
	{FieldPhone, func(c *ghl.Contact) string { return c.Phone }, func(u *ghl.UpdateContactRequest, v string) { u.Phone = &v }},
	{FieldAddress1, func(c *ghl.Contact) string { return c.Address1 }, func(u *ghl.UpdateContactRequest, v string) { u.Address1 = &v }},
	{FieldCity, func(c *ghl.Contact) string { return c.City }, func(u *ghl.UpdateContactRequest, v string) { u.City = &v }},
	{FieldState, func(c *ghl.Contact) string { return c.State }, func(u *ghl.UpdateContactRequest, v string) { u.State = &v }},
	{FieldPostalCode, func(c *ghl.Contact) string { return c.PostalCode }, func(u *ghl.UpdateContactRequest, v string) { u.PostalCode = &v }},
	{FieldCountry, func(c *ghl.Contact) string { return c.Country }, func(u *ghl.UpdateContactRequest, v string) { u.Country = &v }},
	{FieldWebsite, func(c *ghl.Contact) string { return c.Website }, func(u *ghl.UpdateContactRequest, v string) { u.Website = &v }},
	{FieldTimezone, func(c *ghl.Contact) string { return c.Timezone }, func(u *ghl.UpdateContactRequest, v string) { u.Timezone = &v }},
	{FieldSource, func(c *ghl.Contact) string { return c.Source }, func(u *ghl.UpdateContactRequest, v string) { u.Source = &v }},
	{FieldAssignedTo, func(c *ghl.Contact) string { return c.AssignedTo }, func(u *ghl.UpdateContactRequest, v string) { u.AssignedTo = &v }},
	// DND off is no value: an app that never set it agrees with HighLevel.
	{FieldDND, func(c *ghl.Contact) string { return map[bool]string{true: "true"}[c.DND] }, func(u *ghl.UpdateContactRequest, v string) { b := v == "true"; u.DND = &b }},
}

// Record is the part of a contact that a sync keeps in step, normalized so
// that two sides compare field by field: plain fields and custom fields as
// text (a custom field's value is its JSON), tags as a set, DND per channel.
// An absent field and an empty one are the same.
type Record struct {
	Fields map[string]string // by field name; custom fields and DND channels included
	Tags   []string          // sorted, lower-cased, without duplicates
	// UpdatedAt is when this side last changed the record: HighLevel's
	// dateUpdated, or the app's own time. Last-write-wins compares it.
	UpdatedAt time.Time
}

// FromContact returns the Record of a HighLevel contact.
func FromContact(c ghl.Contact) Record {
	r := Record{Fields: map[string]string{}, UpdatedAt: c.DateUpdated.Time}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = c.DateAdded.Time
	}
	for _, s := range scalars {
		r.set(s.name, s.get(&c))
	}
	for _, cf := range c.CustomFields {
		r.set(customPrefix+cf.ID, customText(cf.Value))
	}
	if d := c.DNDSettings; d != nil {
		for ch, s := range map[string]*ghl.DNDSetting{"Call": d.Call, "Email": d.Email, "SMS": d.SMS, "WhatsApp": d.WhatsApp,
			"GMB": d.GMB, "FB": d.FB} {
			if s != nil {
				r.set(dndPrefix+ch, s.Status)
			}
		}
	}
	r.Tags = NormalizeTags(c.Tags)
	return r
}

// customText is a custom field's value as comparable text: its JSON, with a
// string unquoted, so "13" and 13 (HighLevel returns numbers as strings in
// search hits) compare equal.
func customText(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	if string(v) == "null" {
		return ""
	}
	return string(v)
}

// set stores v under name; an empty value is the same as none.
func (r *Record) set(name, v string) {
	if r.Fields == nil {
		r.Fields = map[string]string{}
	}
	if v = strings.TrimSpace(v); v == "" {
		delete(r.Fields, name)
		return
	}
	if name == FieldEmail {
		v = strings.ToLower(v) // HighLevel matches emails case-insensitively
	}
	r.Fields[name] = v
}

// clone returns a copy of r that shares nothing with it.
func (r Record) clone() Record {
	r.Fields, r.Tags = maps.Clone(r.Fields), slices.Clone(r.Tags)
	if r.Fields == nil {
		r.Fields = map[string]string{}
	}
	return r
}

// Get returns a field's value ("" when absent).
func (r Record) Get(name string) string { return r.Fields[name] }

// Set returns a copy of r with the field set ("" removes it).
func (r Record) Set(name, v string) Record {
	r.Fields = maps.Clone(r.Fields)
	r.set(name, v)
	return r
}

// HasTag reports whether the record carries tag (case-insensitive).
func (r Record) HasTag(tag string) bool {
	_, ok := slices.BinarySearch(r.Tags, strings.ToLower(strings.TrimSpace(tag)))
	return ok
}

// NormalizeTags returns tags lower-cased, trimmed, sorted and without
// duplicates or empties: HighLevel stores tags lower-case.
func NormalizeTags(tags []string) []string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		if t = strings.ToLower(strings.TrimSpace(t)); t != "" {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Equal reports whether two records hold the same fields and tags
// (UpdatedAt is not compared).
func (r Record) Equal(o Record) bool {
	return maps.Equal(nonEmpty(r.Fields), nonEmpty(o.Fields)) && slices.Equal(NormalizeTags(r.Tags), NormalizeTags(o.Tags))
}

func nonEmpty(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

// Diff returns the names of the fields whose values differ between r and o,
// sorted, with "tags" when the tag sets differ.
func (r Record) Diff(o Record) []string {
	var out []string
	for _, k := range fieldNames(r, o) {
		if r.Fields[k] != o.Fields[k] {
			out = append(out, k)
		}
	}
	if !slices.Equal(NormalizeTags(r.Tags), NormalizeTags(o.Tags)) {
		out = append(out, "tags")
	}
	return out
}

// fieldNames returns the union of the records' field names, sorted.
func fieldNames(recs ...Record) []string {
	var names []string
	for _, r := range recs {
		for k := range r.Fields {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// UpdateRequest returns the PUT /contacts/{id} body that turns a contact
// holding from into one holding to: only the fields that differ, tags (the
// whole set, as PUT replaces them) only when they differ. ok is false when
// nothing differs, so no request is needed.
//
// A field present in from and absent in to is sent as null
// (UpdateContactRequest.Clear) when HighLevel accepts null for it; others
// cannot be emptied by an update: they are left out, and cleared reports
// them. DND goes as the whole object of the record's channels whenever one
// changes; a channel present in from and absent in to is reported in
// cleared (it is not sent, and HighLevel may keep it).
func UpdateRequest(from, to Record) (req ghl.UpdateContactRequest, ok bool, cleared []string) {
	for _, s := range scalars {
		a, b := from.Fields[s.name], to.Fields[s.name]
		if a == b {
			continue
		}
		if b == "" && s.name != FieldDND { // DND off is sent as false
			if slices.Contains(ghl.ClearableFields, s.name) {
				req.Clear = append(req.Clear, s.name)
				ok = true
			} else {
				cleared = append(cleared, s.name)
			}
			continue
		}
		s.set(&req, b)
		ok = true
	}
	dndChanged := false
	var dndRemoved []string
	for _, k := range fieldNames(from, to) {
		a, b := from.Fields[k], to.Fields[k]
		if a == b {
			continue
		}
		switch {
		case strings.HasPrefix(k, customPrefix):
			req.CustomFields = append(req.CustomFields, ghl.CustomFieldInput{ID: strings.TrimPrefix(k, customPrefix), Value: customValue(b)})
			ok = true
		case strings.HasPrefix(k, dndPrefix) && b == "":
			dndRemoved = append(dndRemoved, k)
		case strings.HasPrefix(k, dndPrefix):
			dndChanged = true
		}
	}
	if dndChanged {
		// The whole object, every channel the record holds: right whether
		// HighLevel replaces dndSettings (ghltest does) or merges it by
		// channel (HighLevel does not say).
		req.DNDSettings = &ghl.DNDSettings{}
		for k, v := range to.Fields {
			if strings.HasPrefix(k, dndPrefix) {
				setDND(req.DNDSettings, strings.TrimPrefix(k, dndPrefix), v)
			}
		}
		ok = true
	}
	// A channel only one side dropped cannot be removed for sure (HighLevel
	// may merge by channel) and no status means "none": report it, never
	// send a status nobody set.
	cleared = append(cleared, dndRemoved...)
	if !slices.Equal(NormalizeTags(from.Tags), NormalizeTags(to.Tags)) {
		req.Tags = append([]string{}, NormalizeTags(to.Tags)...)
		ok = true
	}
	return req, ok, cleared
}

// customValue is the value to send for a custom field's text: JSON arrays
// and objects as such, anything else as the text.
func customValue(s string) any {
	if s == "" {
		return ""
	}
	if s[0] == '[' || s[0] == '{' {
		var v any
		if json.Unmarshal([]byte(s), &v) == nil {
			return v
		}
	}
	return s
}

func setDND(d *ghl.DNDSettings, channel, status string) {
	s := &ghl.DNDSetting{Status: status}
	switch channel {
	case "Call":
		d.Call = s
	case "Email":
		d.Email = s
	case "SMS":
		d.SMS = s
	case "WhatsApp":
		d.WhatsApp = s
	case "GMB":
		d.GMB = s
	case "FB":
		d.FB = s
	}
}
