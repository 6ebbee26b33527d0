package ghl

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// CustomField is a custom field value on a contact. Value keeps the JSON as
// sent: the API uses strings, numbers, arrays and objects depending on the
// field's type. Map IDs to field keys with the location's custom-field list.
type CustomField struct {
	ID    string          `json:"id"`
	Value json.RawMessage `json:"value,omitempty"`
}

// String returns the value as text: a JSON string as is, a number formatted.
func (f CustomField) String() (string, bool) {
	var s string
	if json.Unmarshal(f.Value, &s) == nil {
		return s, true
	}
	var n json.Number
	if json.Unmarshal(f.Value, &n) == nil {
		return n.String(), true
	}
	return "", false
}

// Number returns a numeric value, also when it was sent as a numeric string.
func (f CustomField) Number() (float64, bool) {
	var n float64
	if json.Unmarshal(f.Value, &n) == nil {
		return n, true
	}
	var s string
	if json.Unmarshal(f.Value, &s) == nil {
		if v, err := strconv.ParseFloat(s, 64); err == nil {
			return v, true
		}
	}
	return 0, false
}

// Strings returns a list value (checkbox, multi-select); a single string
// becomes a list of one.
func (f CustomField) Strings() ([]string, bool) {
	var l []string
	if json.Unmarshal(f.Value, &l) == nil {
		return l, true
	}
	if s, ok := f.String(); ok {
		return []string{s}, true
	}
	return nil, false
}

// CustomFieldInput sets a custom field on create, update or upsert. Name the
// field by ID or by key (e.g. "contact.my_field"); Value is a string, number,
// []string or file object depending on the field's type.
type CustomFieldInput struct {
	ID    string `json:"id,omitempty"`
	Key   string `json:"key,omitempty"`
	Value any    `json:"field_value"`
}

// DNDSetting is the do-not-disturb state of one channel.
type DNDSetting struct {
	Status  string `json:"status"` // "active", "inactive" or "permanent"
	Message string `json:"message,omitempty"`
	Code    string `json:"code,omitempty"`
}

// DNDSettings holds per-channel do-not-disturb states. The wire keys are
// case-sensitive: Call, Email, SMS, WhatsApp, GMB, FB.
type DNDSettings struct {
	Call     *DNDSetting `json:"Call,omitempty"`
	Email    *DNDSetting `json:"Email,omitempty"`
	SMS      *DNDSetting `json:"SMS,omitempty"`
	WhatsApp *DNDSetting `json:"WhatsApp,omitempty"`
	GMB      *DNDSetting `json:"GMB,omitempty"`
	FB       *DNDSetting `json:"FB,omitempty"`
}

// InboundDNDSettings blocks inbound messages on every channel.
type InboundDNDSettings struct {
	All *InboundDNDSetting `json:"all,omitempty"`
}

// InboundDNDSetting is the inbound do-not-disturb state.
type InboundDNDSetting struct {
	Status  string `json:"status"` // "active" or "inactive"
	Message string `json:"message,omitempty"`
}

// Attribution is where a contact came from (first or latest touch).
type Attribution struct {
	URL        string `json:"url,omitempty"`
	Campaign   string `json:"campaign,omitempty"`
	UTMSource  string `json:"utmSource,omitempty"`
	UTMMedium  string `json:"utmMedium,omitempty"`
	UTMContent string `json:"utmContent,omitempty"`
	Referrer   string `json:"referrer,omitempty"`
	CampaignID string `json:"campaignId,omitempty"`
	FBCLID     string `json:"fbclid,omitempty"`
	GCLID      string `json:"gclid,omitempty"`
	MSCLKID    string `json:"msclikid,omitempty"`
	DCLID      string `json:"dclid,omitempty"`
	FBC        string `json:"fbc,omitempty"`
	FBP        string `json:"fbp,omitempty"`
	FBEventID  string `json:"fbEventId,omitempty"`
	UserAgent  string `json:"userAgent,omitempty"`
	IP         string `json:"ip,omitempty"`
	Medium     string `json:"medium,omitempty"`
	MediumID   string `json:"mediumId,omitempty"`
}

// StringList decodes a list of strings that the API sometimes sends as a
// single string.
type StringList []string

// UnmarshalJSON accepts an array of strings, one string, or null.
func (l *StringList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*l = StringList{s}
		return nil
	}
	if string(b) == "null" {
		*l = nil
		return nil
	}
	return json.Unmarshal(b, (*[]string)(l))
}

// checkDND refuses statuses the API does not know, naming the channel.
func checkDND(d *DNDSettings, in *InboundDNDSettings) error {
	if d != nil {
		for _, ch := range []struct {
			name string
			s    *DNDSetting
		}{{"Call", d.Call}, {"Email", d.Email}, {"SMS", d.SMS}, {"WhatsApp", d.WhatsApp}, {"GMB", d.GMB}, {"FB", d.FB}} {
			if ch.s != nil && ch.s.Status != "active" && ch.s.Status != "inactive" && ch.s.Status != "permanent" {
				return invalid("dndSettings."+ch.name+".status", "%q is not active, inactive or permanent", ch.s.Status)
			}
		}
	}
	if in != nil && in.All != nil && in.All.Status != "active" && in.All.Status != "inactive" {
		return invalid("inboundDndSettings.all.status", "%q is not active or inactive", in.All.Status)
	}
	return nil
}

// checkCustomFields refuses inputs that name no field.
func checkCustomFields(fields []CustomFieldInput) error {
	for i, f := range fields {
		if f.ID == "" && f.Key == "" {
			return invalid("customFields["+strconv.Itoa(i)+"]", "needs an id or a key")
		}
	}
	return nil
}

// checkTags refuses empty tag names.
func checkTags(field string, tags []string) error {
	for i, t := range tags {
		if t == "" {
			return invalid(field+"["+strconv.Itoa(i)+"]", "must not be empty")
		}
	}
	return nil
}

// checkIDs checks every ID of a list.
func checkIDs(field string, ids []string) error {
	if len(ids) == 0 {
		return invalid(field, "must list at least one ID")
	}
	for i, id := range ids {
		if err := checkID(field+"["+strconv.Itoa(i)+"]", id); err != nil {
			return err
		}
	}
	return nil
}
