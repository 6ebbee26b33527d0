package ghl

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

// MaxListLimit is the largest page GET /contacts/ serves.
const MaxListLimit = 100

// ListOptions are the query parameters of the deprecated GET /contacts/.
type ListOptions struct {
	LocationID   string // defaults to the client's location
	Query        string
	Limit        int    // page size, at most 100; 0 means 100
	StartAfterID string // cursor: the last contact of the previous page
	StartAfter   int64  // cursor: its dateAdded in epoch milliseconds
}

// ListMeta is the paging block the deprecated list answers with.
type ListMeta struct {
	Total        int    `json:"total"`
	NextPageURL  string `json:"nextPageUrl"`
	StartAfterID string `json:"startAfterId"`
	StartAfter   int64  `json:"startAfter"`
	CurrentPage  int    `json:"currentPage"`
	NextPage     int    `json:"nextPage"`
	PrevPage     *int   `json:"prevPage"`
}

// ListResult is one page of the deprecated contact list.
type ListResult struct {
	Contacts []Contact
	Total    int      // meta.total, or count when the answer had no meta
	Meta     ListMeta // zero when the answer had none
}

// List returns one page of contacts. GET /contacts/ (contacts.readonly).
//
// HighLevel has deprecated this endpoint in favour of Search; it remains for
// code that pages by startAfterId.
func (s *ContactsService) List(ctx context.Context, o ListOptions, opts ...CallOption) (*ListResult, error) {
	loc, err := s.c.locationOr(o.LocationID)
	if err != nil {
		return nil, err
	}
	if o.Limit == 0 {
		o.Limit = MaxListLimit
	}
	if o.Limit < 1 || o.Limit > MaxListLimit {
		return nil, invalid("limit", "%d is not between 1 and %d", o.Limit, MaxListLimit)
	}
	if o.StartAfter < 0 {
		return nil, invalid("startAfter", "must not be negative")
	}
	v := url.Values{"locationId": {loc}, "limit": {strconv.Itoa(o.Limit)}}
	if o.Query != "" {
		v.Set("query", o.Query)
	}
	if o.StartAfterID != "" {
		v.Set("startAfterId", o.StartAfterID)
	}
	if o.StartAfter > 0 {
		v.Set("startAfter", strconv.FormatInt(o.StartAfter, 10))
	}
	var out struct {
		Contacts []Contact `json:"contacts"`
		Count    int       `json:"count"`
		Meta     *ListMeta `json:"meta"`
	}
	if err := s.c.do(ctx, op{method: http.MethodGet, path: "/contacts/", query: v, retryable: true}, &out, opts); err != nil {
		return nil, err
	}
	res := &ListResult{Contacts: out.Contacts, Total: out.Count}
	if out.Meta != nil {
		res.Meta = *out.Meta
		res.Total = out.Meta.Total
	}
	return res, nil
}

// ListAll iterates over every contact through the deprecated GET /contacts/,
// following meta.startAfterId/startAfter (or, without meta, the last
// contact's ID and dateAdded). It stops on break, on a short page, on an
// empty cursor, and with ErrRepeatedCursor on a repeated one. Every range
// over the sequence starts again from o; o is never changed.
func (s *ContactsService) ListAll(ctx context.Context, o ListOptions, opts ...CallOption) iter.Seq2[Contact, error] {
	if o.Limit == 0 {
		o.Limit = MaxListLimit
	}
	return paginate(o, func(o ListOptions) ([]Contact, *ListOptions, error) {
		res, err := s.List(ctx, o, opts...)
		if err != nil {
			return nil, nil, err
		}
		n := len(res.Contacts)
		if n < o.Limit {
			return res.Contacts, nil, nil
		}
		nextID, nextAt := res.Meta.StartAfterID, res.Meta.StartAfter
		if nextID == "" && res.Meta == (ListMeta{}) {
			last := res.Contacts[n-1]
			nextID, nextAt = last.ID, last.DateAdded.UnixMilli()
		}
		if nextID == "" {
			return res.Contacts, nil, nil
		}
		if nextID == o.StartAfterID && nextAt == o.StartAfter {
			return res.Contacts, nil, ErrRepeatedCursor
		}
		o.StartAfterID, o.StartAfter = nextID, nextAt
		return res.Contacts, &o, nil
	})
}

// BusinessListOptions are the query parameters of GET /contacts/business/{businessId}.
type BusinessListOptions struct {
	LocationID string // defaults to the client's location
	Query      string
	Limit      int // page size; 0 means 100
	Skip       int // contacts to skip
}

// BusinessListResult is one page of a business's contacts.
type BusinessListResult struct {
	Contacts []Contact `json:"contacts"`
	Count    int       `json:"count"` // contacts of the business in all
}

// defaultBusinessLimit is the page size the business iterator asks for. The
// API documents a default of 25 and no maximum.
const defaultBusinessLimit = 100

// ListByBusiness returns one page of the contacts of a business. GET
// /contacts/business/{businessId} (contacts.readonly).
func (s *ContactsService) ListByBusiness(ctx context.Context, businessID string, o BusinessListOptions, opts ...CallOption) (*BusinessListResult, error) {
	if err := checkID("businessId", businessID); err != nil {
		return nil, err
	}
	loc, err := s.c.locationOr(o.LocationID)
	if err != nil {
		return nil, err
	}
	if o.Limit == 0 {
		o.Limit = defaultBusinessLimit
	}
	if o.Limit < 1 {
		return nil, invalid("limit", "must be positive")
	}
	if o.Skip < 0 {
		return nil, invalid("skip", "must not be negative")
	}
	v := url.Values{"locationId": {loc}, "limit": {strconv.Itoa(o.Limit)}, "skip": {strconv.Itoa(o.Skip)}}
	if o.Query != "" {
		v.Set("query", o.Query)
	}
	var out BusinessListResult
	if err := s.c.do(ctx, op{method: http.MethodGet, path: "/contacts/business/" + businessID, query: v, retryable: true}, &out, opts); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListByBusinessAll iterates over every contact of a business, page by page.
// It stops on break, on a short page, or once count contacts were skipped.
// Every range over the sequence starts again from o.
func (s *ContactsService) ListByBusinessAll(ctx context.Context, businessID string, o BusinessListOptions, opts ...CallOption) iter.Seq2[Contact, error] {
	if o.Limit == 0 {
		o.Limit = defaultBusinessLimit
	}
	return paginate(o, func(o BusinessListOptions) ([]Contact, *BusinessListOptions, error) {
		res, err := s.ListByBusiness(ctx, businessID, o, opts...)
		if err != nil {
			return nil, nil, err
		}
		o.Skip += len(res.Contacts)
		if len(res.Contacts) < o.Limit || (res.Count > 0 && o.Skip >= res.Count) {
			return res.Contacts, nil, nil
		}
		return res.Contacts, &o, nil
	})
}

// paginate is the one pagination loop behind every iterator. fetch returns a
// page, the request for the next page (nil after the last) and an error to
// yield after the page's items. Each range starts from first, a value the
// loop copies, so ranging twice reads the collection twice from its start.
func paginate[T, R any](first R, fetch func(R) ([]T, *R, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		next := &first
		for next != nil {
			items, following, err := fetch(*next)
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if err != nil {
				yield(zero, err)
				return
			}
			next = following
		}
	}
}
