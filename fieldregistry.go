package ghl

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// FieldRegistry reads and writes a location's contact custom fields by key,
// with typed values checked against each field's definition before anything
// is sent. HighLevel's contact endpoints take custom fields by ID (setting
// them by key is not guaranteed), so the registry keeps the location's
// definitions, fetched once and refreshed after TTL or when a key is not
// found, with one request however many goroutines ask at once.
//
// Keys are the field's key with or without its model prefix ("pincode" or
// "contact.pincode"); a field's name or ID is accepted too.
type FieldRegistry struct {
	c   *Client
	loc string
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	defs    []CustomFieldDefinition
	fetched time.Time
	gen     int // fetches so far
	flight  singleflight.Group
}

// RegistryOption configures a FieldRegistry.
type RegistryOption func(*FieldRegistry)

// WithRegistryClock makes the registry read the time from now instead of
// the system clock, so that tests decide when its definitions go stale.
func WithRegistryClock(now func() time.Time) RegistryOption {
	return func(r *FieldRegistry) {
		if now != nil {
			r.now = now
		}
	}
}

// NewFieldRegistry returns a registry of the location's contact fields
// (locationID "" means the client's), refreshed every ttl (default 5
// minutes).
func (s *CustomFieldsService) NewFieldRegistry(locationID string, ttl time.Duration, opts ...RegistryOption) (*FieldRegistry, error) {
	loc, err := s.c.locationOr(locationID)
	if err != nil {
		return nil, err
	}
	if ttl <= 0 {
		ttl = 5 * time.Minute
	}
	r := &FieldRegistry{c: s.c, loc: loc, ttl: ttl, now: time.Now}
	for _, o := range opts {
		o(r)
	}
	return r, nil
}

// Field returns the definition of the field with key.
func (r *FieldRegistry) Field(ctx context.Context, key string) (*CustomFieldDefinition, error) {
	defs, fresh, err := r.definitions(ctx, false)
	if err != nil {
		return nil, err
	}
	if d := find(defs, key); d != nil {
		return d, nil
	}
	if !fresh { // a field created since the last fetch
		if defs, _, err = r.definitions(ctx, true); err != nil {
			return nil, err
		}
		if d := find(defs, key); d != nil {
			return d, nil
		}
	}
	return nil, &InputError{Field: "customFields." + key, Reason: "no custom field of location " + r.loc + " has this key"}
}

// definitions returns the cached definitions, fetching them when they are
// missing, stale, or force is set (and they were not fetched just now).
// fresh says they were fetched by this call.
func (r *FieldRegistry) definitions(ctx context.Context, force bool) ([]CustomFieldDefinition, bool, error) {
	r.mu.Lock()
	defs, at, gen := r.defs, r.fetched, r.gen
	r.mu.Unlock()
	if defs != nil && r.now().Sub(at) < r.ttl && !force {
		return defs, false, nil
	}
	ch := r.flight.DoChan("defs", func() (any, error) {
		r.mu.Lock()
		if r.gen != gen { // fetched since this caller looked: as new as it needs
			got := r.defs
			r.mu.Unlock()
			return got, nil
		}
		r.mu.Unlock()
		got, err := r.c.CustomFields.List(context.WithoutCancel(ctx), r.loc, "contact")
		if err != nil {
			return nil, err
		}
		if got == nil {
			got = []CustomFieldDefinition{}
		}
		r.mu.Lock()
		r.defs, r.fetched = got, r.now()
		r.gen++
		r.mu.Unlock()
		return got, nil
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, false, res.Err
		}
		return res.Val.([]CustomFieldDefinition), true, nil
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
}

func find(defs []CustomFieldDefinition, key string) *CustomFieldDefinition {
	key = strings.TrimSpace(key)
	for i := range defs {
		d := &defs[i]
		if d.ID == key || d.FieldKey == key || d.Key() == key || d.FieldKey == "contact."+key {
			return d
		}
	}
	for i := range defs {
		if strings.EqualFold(defs[i].Name, key) {
			return &defs[i]
		}
	}
	return nil
}

// Input returns the custom-field input that sets the field with key to
// value, in the ID form the API takes, after checking value against the
// field's type: a string for TEXT, LARGE_TEXT, PHONE; a number for NUMERICAL
// and MONETORY; a time.Time (sent as YYYY-MM-DD) or a "YYYY-MM-DD" string for
// DATE; one of the options for SINGLE_OPTIONS and RADIO; a []string of
// options for CHECKBOX and MULTIPLE_OPTIONS. nil clears the field: it is
// sent as "" whatever the field's type (HighLevel documents no way to
// empty a custom field, and its schema types field_value as a string, a
// number or a list, never null; standard fields differ: UpdateContactRequest.
// Clear sends null, which the contact schema declares). Anything else is an
// *InputError naming the field, and nothing is sent.
func (r *FieldRegistry) Input(ctx context.Context, key string, value any) (CustomFieldInput, error) {
	d, err := r.Field(ctx, key)
	if err != nil {
		return CustomFieldInput{}, err
	}
	v, err := checkFieldValue(d, value)
	if err != nil {
		return CustomFieldInput{}, err
	}
	return CustomFieldInput{ID: d.ID, Value: v}, nil
}

// Inputs is Input for several fields, by key; the result is sorted by key.
func (r *FieldRegistry) Inputs(ctx context.Context, values map[string]any) ([]CustomFieldInput, error) {
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]CustomFieldInput, 0, len(keys))
	for _, k := range keys {
		in, err := r.Input(ctx, k, values[k])
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, nil
}

// Value reads the field with key from a contact, typed by the field's
// definition: string, float64, time.Time or []string (see Input); nil when
// the contact has no value for it.
func (r *FieldRegistry) Value(ctx context.Context, c *Contact, key string) (any, error) {
	d, err := r.Field(ctx, key)
	if err != nil {
		return nil, err
	}
	for _, cf := range c.CustomFields {
		if cf.ID == d.ID {
			return typedValue(d, cf)
		}
	}
	return nil, nil
}

// Filter returns a search filter on the field with key (custom fields are
// searched as customFields.<id>).
func (r *FieldRegistry) Filter(ctx context.Context, key string, op Operator, value any) (Filter, error) {
	d, err := r.Field(ctx, key)
	if err != nil {
		return Filter{}, err
	}
	return Filter{Field: "customFields." + d.ID, Operator: op, Value: value}, nil
}

// checkFieldValue checks a value against a definition and returns what to
// send.
func checkFieldValue(d *CustomFieldDefinition, value any) (any, error) {
	bad := func(format string, args ...any) error {
		return &InputError{Field: "customFields." + d.Key(), Reason: fmt.Sprintf(format, args...)}
	}
	if value == nil {
		return "", nil
	}
	switch d.DataType {
	case FieldText, FieldLargeText, FieldPhone:
		s, ok := value.(string)
		if !ok {
			return nil, bad("a %s field takes a string, not %T", d.DataType, value)
		}
		return s, nil
	case FieldNumerical, FieldMonetary:
		n, ok := number(value)
		if !ok {
			return nil, bad("a %s field takes a number, not %T", d.DataType, value)
		}
		return n, nil
	case FieldDate:
		switch v := value.(type) {
		case time.Time:
			return v.Format(time.DateOnly), nil
		case string:
			if _, err := time.Parse(time.DateOnly, v); err != nil {
				return nil, bad("a DATE field takes a time.Time or YYYY-MM-DD, not %q", v)
			}
			return v, nil
		}
		return nil, bad("a DATE field takes a time.Time or YYYY-MM-DD, not %T", value)
	case FieldSingleOptions, FieldRadio:
		s, ok := value.(string)
		if !ok {
			return nil, bad("a %s field takes one option as a string, not %T", d.DataType, value)
		}
		if err := checkOption(d, s); err != nil {
			return nil, bad("%s", err)
		}
		return s, nil
	case FieldCheckbox, FieldMultipleOptions:
		list, ok := value.([]string)
		if !ok {
			return nil, bad("a %s field takes a []string of options, not %T", d.DataType, value)
		}
		for _, s := range list {
			if err := checkOption(d, s); err != nil {
				return nil, bad("%s", err)
			}
		}
		return list, nil
	}
	return nil, bad("a %s field cannot be set by key; send a CustomFieldInput with its ID", d.DataType)
}

func checkOption(d *CustomFieldDefinition, s string) error {
	if d.IsAllowedCustomOption || slices.Contains(d.PicklistOptions, s) {
		return nil
	}
	return fmt.Errorf("%q is not one of its options (%s)", s, strings.Join(d.PicklistOptions, ", "))
}

// number reads Go's numeric types and json.Number as a float64.
func number(v any) (float64, bool) {
	var f float64
	switch n := v.(type) {
	case int:
		f = float64(n)
	case int32:
		f = float64(n)
	case int64:
		f = float64(n)
	case uint:
		f = float64(n)
	case uint32:
		f = float64(n)
	case uint64:
		f = float64(n)
	case float32:
		f = float64(n)
	case float64:
		f = n
	case json.Number:
		x, err := n.Float64()
		if err != nil {
			return 0, false
		}
		f = x
	default:
		return 0, false
	}
	return f, !math.IsNaN(f) && !math.IsInf(f, 0)
}

// typedValue reads a stored value by the definition's type. HighLevel
// returns numbers and dates as strings in some answers; both are read.
func typedValue(d *CustomFieldDefinition, cf CustomField) (any, error) {
	bad := fmt.Errorf("ghl: custom field %s (%s) holds %s, which is not of its type", d.Key(), d.DataType, excerpt(string(cf.Value), 60))
	switch d.DataType {
	case FieldNumerical, FieldMonetary:
		if n, ok := cf.Number(); ok {
			return n, nil
		}
		return nil, bad
	case FieldDate:
		if s, ok := cf.String(); ok {
			if t, ok := ParseTime(s); ok {
				return t.Time, nil
			}
		}
		return nil, bad
	case FieldCheckbox, FieldMultipleOptions:
		if l, ok := cf.Strings(); ok {
			return l, nil
		}
		return nil, bad
	}
	if s, ok := cf.String(); ok {
		return s, nil
	}
	return nil, bad
}
