package ghl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"iter"
	"net/http"
	"strconv"
	"unicode/utf8"
)

// Limits of POST /contacts/search.
const (
	MaxSearchPageLimit = 500    // largest pageLimit the API accepts
	SearchPageWindow   = 10_000 // page × pageLimit reach; past it only searchAfter works
	maxSearchText      = 75     // longest query or filter value
)

// Operator is a search filter operator.
type Operator string

// The operators of POST /contacts/search.
const (
	OpEq          Operator = "eq"
	OpNotEq       Operator = "not_eq"
	OpContains    Operator = "contains"
	OpNotContains Operator = "not_contains"
	OpExists      Operator = "exists"
	OpNotExists   Operator = "not_exists"
	OpRange       Operator = "range"
)

// Filter is one search condition, or (with Group set) a group of them. Build
// filters with Eq, Contains, Exists, InRange, And, Or and friends.
type Filter struct {
	Field    string
	Operator Operator
	Value    any
	Group    string   // "AND" or "OR" for a group
	Filters  []Filter // the group's members
}

// Range bounds a range filter; set the bounds you need.
type Range struct {
	GTE any `json:"gte,omitempty"`
	LTE any `json:"lte,omitempty"`
	GT  any `json:"gt,omitempty"`
	LT  any `json:"lt,omitempty"`
}

// Eq matches contacts whose field equals value.
func Eq(field string, value any) Filter { return Filter{Field: field, Operator: OpEq, Value: value} }

// NotEq matches contacts whose field differs from value.
func NotEq(field string, value any) Filter {
	return Filter{Field: field, Operator: OpNotEq, Value: value}
}

// Contains matches contacts whose field contains value.
func Contains(field string, value any) Filter {
	return Filter{Field: field, Operator: OpContains, Value: value}
}

// NotContains matches contacts whose field does not contain value.
func NotContains(field string, value any) Filter {
	return Filter{Field: field, Operator: OpNotContains, Value: value}
}

// Exists matches contacts that have the field set.
func Exists(field string) Filter { return Filter{Field: field, Operator: OpExists} }

// NotExists matches contacts that do not have the field set.
func NotExists(field string) Filter { return Filter{Field: field, Operator: OpNotExists} }

// InRange matches contacts whose field lies within r.
func InRange(field string, r Range) Filter {
	return Filter{Field: field, Operator: OpRange, Value: r}
}

// And matches contacts that match every filter.
func And(filters ...Filter) Filter { return Filter{Group: "AND", Filters: filters} }

// Or matches contacts that match any filter.
func Or(filters ...Filter) Filter { return Filter{Group: "OR", Filters: filters} }

// MarshalJSON writes the API's {field, operator, value} or {group, filters}.
func (f Filter) MarshalJSON() ([]byte, error) {
	if f.Group != "" {
		return json.Marshal(struct {
			Group   string   `json:"group"`
			Filters []Filter `json:"filters"`
		}{f.Group, f.Filters})
	}
	return json.Marshal(struct {
		Field    string   `json:"field"`
		Operator Operator `json:"operator"`
		Value    any      `json:"value,omitempty"`
	}{f.Field, f.Operator, f.Value})
}

// UnmarshalJSON reads either form.
func (f *Filter) UnmarshalJSON(b []byte) error {
	var w struct {
		Field    string   `json:"field"`
		Operator Operator `json:"operator"`
		Value    any      `json:"value"`
		Group    string   `json:"group"`
		Filters  []Filter `json:"filters"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*f = Filter{Field: w.Field, Operator: w.Operator, Value: w.Value, Group: w.Group, Filters: w.Filters}
	return nil
}

func (f Filter) check(path string) error {
	if f.Group != "" {
		if f.Group != "AND" && f.Group != "OR" {
			return invalid(path+".group", "%q is not AND or OR", f.Group)
		}
		if len(f.Filters) == 0 {
			return invalid(path+".filters", "a group needs at least one filter")
		}
		for i, sub := range f.Filters {
			if err := sub.check(path + ".filters[" + strconv.Itoa(i) + "]"); err != nil {
				return err
			}
		}
		return nil
	}
	if f.Field == "" {
		return invalid(path+".field", "must not be empty")
	}
	switch f.Operator {
	case OpExists, OpNotExists:
		if f.Value != nil {
			return invalid(path+".value", "%s takes no value", f.Operator)
		}
	case OpRange:
		r, ok := f.Value.(Range)
		if !ok {
			return invalid(path+".value", "range takes a ghl.Range")
		}
		if r == (Range{}) {
			return invalid(path+".value", "range needs at least one bound")
		}
	case OpEq, OpNotEq, OpContains, OpNotContains:
		if f.Value == nil {
			return invalid(path+".value", "%s needs a value", f.Operator)
		}
		if s, ok := f.Value.(string); ok && utf8.RuneCountInString(s) > maxSearchText {
			return invalid(path+".value", "is longer than %d characters", maxSearchText)
		}
	default:
		return invalid(path+".operator", "%q is not a search operator", f.Operator)
	}
	return nil
}

// Sort orders search results.
type Sort struct {
	Field     string `json:"field"`
	Direction string `json:"direction"` // "asc" or "desc"
}

// SearchRequest is the body of POST /contacts/search.
type SearchRequest struct {
	LocationID string `json:"locationId"` // defaults to the client's location
	// PageLimit is the page size, at most 500; 0 means 500.
	PageLimit int `json:"pageLimit"`
	// Page is a 1-based page number; page × PageLimit reaches at most 10,000
	// results. Leave it 0 when sending SearchAfter.
	Page int `json:"page,omitempty"`
	// SearchAfter continues after the hit that carried it (SearchResult.SearchAfter).
	SearchAfter json.RawMessage `json:"searchAfter,omitempty"`
	Filters     []Filter        `json:"filters,omitempty"`
	Sort        []Sort          `json:"sort,omitempty"`
	Query       string          `json:"query,omitempty"` // free text, at most 75 characters
}

// SearchResult is one page of search results.
type SearchResult struct {
	Contacts []Contact
	Total    int // matches in all
	// SearchAfter is the cursor of the page's last hit; nil when the API sent none.
	SearchAfter json.RawMessage
	TraceID     string // HighLevel's trace ID for the call
}

// Search returns one page of contacts matching req. POST /contacts/search
// (contacts.readonly). Results lag writes by a few seconds.
func (s *ContactsService) Search(ctx context.Context, req SearchRequest, opts ...CallOption) (*SearchResult, error) {
	loc, err := s.c.locationOr(req.LocationID)
	if err != nil {
		return nil, err
	}
	req.LocationID = loc
	if req.PageLimit == 0 {
		req.PageLimit = MaxSearchPageLimit
	}
	if err := req.check(); err != nil {
		return nil, err
	}
	var out struct {
		Contacts []Contact `json:"contacts"`
		Total    int       `json:"total"`
		TraceID  string    `json:"traceId"`
	}
	if err := s.c.do(ctx, op{method: http.MethodPost, path: "/contacts/search", body: &req, location: loc, retryable: true}, &out, opts); err != nil {
		return nil, err
	}
	res := &SearchResult{Contacts: out.Contacts, Total: out.Total, TraceID: out.TraceID}
	if n := len(out.Contacts); n > 0 {
		res.SearchAfter = out.Contacts[n-1].SearchAfter
	}
	return res, nil
}

func (r *SearchRequest) check() error {
	switch {
	case r.PageLimit < 1 || r.PageLimit > MaxSearchPageLimit:
		return invalid("pageLimit", "%d is not between 1 and %d", r.PageLimit, MaxSearchPageLimit)
	case r.Page < 0:
		return invalid("page", "must not be negative")
	case r.Page > 0 && len(r.SearchAfter) > 0:
		return invalid("page", "send page or searchAfter, not both")
	case r.Page*r.PageLimit > SearchPageWindow:
		return invalid("page", "page %d × pageLimit %d is past the %d results paging reaches; use searchAfter", r.Page, r.PageLimit, SearchPageWindow)
	case utf8.RuneCountInString(r.Query) > maxSearchText:
		return invalid("query", "is longer than %d characters", maxSearchText)
	}
	for i, f := range r.Filters {
		if err := f.check("filters[" + strconv.Itoa(i) + "]"); err != nil {
			return err
		}
	}
	for i, s := range r.Sort {
		if s.Field == "" {
			return invalid("sort["+strconv.Itoa(i)+"].field", "must not be empty")
		}
		if s.Direction != "asc" && s.Direction != "desc" {
			return invalid("sort["+strconv.Itoa(i)+"].direction", "%q is not asc or desc", s.Direction)
		}
	}
	return nil
}

// Errors that end an iteration early.
var (
	// ErrRepeatedCursor: the API sent the same cursor twice; following it
	// would loop forever.
	ErrRepeatedCursor = errors.New("ghl: the API repeated a pagination cursor")
	// ErrSearchWindow: more results exist past the 10,000 that page numbers
	// reach, and the API sent no searchAfter cursor to reach them.
	ErrSearchWindow = errors.New("ghl: search results past 10,000 need searchAfter cursors, and the API sent none")

	errNoCursor = errors.New("ghl: a full search page ended without a searchAfter cursor")
)

// SearchAll iterates over every contact matching req, fetching pages of
// req.PageLimit (default 500) as the loop asks for them. It pages by number
// and moves to searchAfter cursors as soon as the API sends them, so results
// past 10,000 are reached. It stops on break, on a short page, and with an
// error on a repeated cursor. req is copied, never changed.
//
//	for c, err := range client.Contacts.SearchAll(ctx, ghl.SearchRequest{}) {
//		if err != nil { return err }
//		fmt.Println(c.ID)
//	}
func (s *ContactsService) SearchAll(ctx context.Context, req SearchRequest, opts ...CallOption) iter.Seq2[Contact, error] {
	r := req
	if r.PageLimit == 0 {
		r.PageLimit = MaxSearchPageLimit
	}
	if r.Page == 0 && len(r.SearchAfter) == 0 {
		r.Page = 1
	}
	type cursor struct {
		req  SearchRequest
		seen int
	}
	fromStart := r.Page == 1
	return paginate(cursor{req: r}, func(c cursor) ([]Contact, *cursor, error) {
		res, err := s.Search(ctx, c.req, opts...)
		if err != nil {
			return nil, nil, err
		}
		c.seen += len(res.Contacts)
		r := &c.req
		if len(res.Contacts) < r.PageLimit || (fromStart && res.Total > 0 && c.seen >= res.Total) {
			return res.Contacts, nil, nil
		}
		switch {
		case len(res.SearchAfter) > 0:
			if bytes.Equal(res.SearchAfter, r.SearchAfter) {
				return res.Contacts, nil, ErrRepeatedCursor
			}
			r.SearchAfter, r.Page = res.SearchAfter, 0
		case len(r.SearchAfter) > 0:
			// Paging by cursor, and a full page's last hit carried none.
			return res.Contacts, nil, errNoCursor
		case (r.Page+1)*r.PageLimit > SearchPageWindow:
			return res.Contacts, nil, ErrSearchWindow
		default:
			r.Page++
		}
		return res.Contacts, &c, nil
	})
}
