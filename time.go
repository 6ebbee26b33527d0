package ghl

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
)

// Time is a timestamp as HighLevel sends it. The API uses several formats
// (ISO 8601 with or without milliseconds or zone, "2006-01-02 15:04:05",
// plain dates, epoch milliseconds); Time accepts all of them. A value it
// cannot read never fails the answer: Time is then zero and Raw keeps the text.
type Time struct {
	time.Time
	Raw string // the text as sent, when it could not be parsed
	// Floating says the text was a date and time of day without a zone
	// (appointments under /contacts send "2021-07-16 11:00:00"): the
	// embedded time holds that wall clock as if it were UTC, which is
	// rarely the instant meant. Read it with In and the location's or
	// calendar's zone.
	Floating bool
}

// layouts are tried in order; floating marks the zone-less date-times.
var layouts = []struct {
	layout   string
	floating bool
}{
	{time.RFC3339Nano, false},
	{"2006-01-02T15:04:05.999999999", true},
	{"2006-01-02 15:04:05.999999999Z07:00", false},
	{"2006-01-02 15:04:05.999999999", true},
	{"2006-01-02", false},
	{"2006/01/02", false},
}

// ParseTime reads s in any format the API uses.
func ParseTime(s string) (Time, bool) {
	for _, l := range layouts {
		if t, err := time.Parse(l.layout, s); err == nil {
			return Time{Time: t, Floating: l.floating}, true
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return Time{Time: epoch(n)}, true
	}
	return Time{Raw: s}, false
}

// epoch reads seconds or milliseconds since 1970, told apart by size.
func epoch(n int64) time.Time {
	if n > 1e11 || n < -1e11 {
		return time.UnixMilli(n).UTC()
	}
	return time.Unix(n, 0).UTC()
}

// UnmarshalJSON accepts a string in any API format, a number of epoch
// milliseconds, or null.
func (t *Time) UnmarshalJSON(b []byte) error {
	*t = Time{}
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	if b[0] == '"' {
		s, ok := unquote(b)
		if !ok {
			t.Raw = string(b)
			return nil
		}
		if s == "" {
			return nil
		}
		*t, _ = ParseTime(s)
		return nil
	}
	if f, err := strconv.ParseFloat(string(b), 64); err == nil {
		t.Time = epoch(int64(f))
		return nil
	}
	t.Raw = string(b)
	return nil
}

// unquote reads a JSON string; the common case, without escapes, is sliced
// directly.
func unquote(b []byte) (string, bool) {
	if len(b) >= 2 && b[len(b)-1] == '"' && bytes.IndexByte(b, '\\') < 0 {
		return string(b[1 : len(b)-1]), true
	}
	var s string
	err := json.Unmarshal(b, &s)
	return s, err == nil
}

// MarshalJSON writes ISO 8601 in UTC with milliseconds, as the API does; a
// floating time is written as the wall clock it was, without a zone, and an
// unparsed value as it came.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.Time.IsZero() {
		if t.Raw != "" {
			return json.Marshal(t.Raw)
		}
		return []byte("null"), nil
	}
	b := make([]byte, 0, 26)
	b = append(b, '"')
	if t.Floating {
		b = t.Time.AppendFormat(b, "2006-01-02 15:04:05")
	} else {
		b = t.Time.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
	}
	return append(b, '"'), nil
}

// In returns the instant t stands for, shown in loc. A floating time (sent
// without a zone) is taken as a wall clock in loc, the zone of the location
// or calendar it belongs to; any other time is the same instant, shown in
// loc.
func (t Time) In(loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	if !t.Floating {
		return t.Time.In(loc)
	}
	w := t.Time
	return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), loc)
}

// IsZero reports whether the API sent no usable time.
func (t Time) IsZero() bool { return t.Time.IsZero() }

// String formats the time as RFC 3339, or returns the raw text.
func (t Time) String() string {
	if t.Time.IsZero() {
		return t.Raw
	}
	return t.Time.Format(time.RFC3339Nano)
}
