package ghltest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ghlkit/ghl"
)

type searchReq struct {
	LocationID  string            `json:"locationId"`
	PageLimit   *int              `json:"pageLimit"`
	Page        int               `json:"page"`
	SearchAfter []json.RawMessage `json:"searchAfter"`
	Filters     []json.RawMessage `json:"filters"`
	Sort        []sortSpec        `json:"sort"`
	Query       string            `json:"query"`
}

type sortSpec struct {
	Field     string `json:"field"`
	Direction string `json:"direction"`
}

// fnode is a parsed filter or group.
type fnode struct {
	field, op, group string
	value            any
	subs             []fnode
}

var stringFields = map[string]func(*ghl.Contact) string{
	"id": func(c *ghl.Contact) string { return c.ID }, "firstName": func(c *ghl.Contact) string { return c.FirstName },
	"lastName": func(c *ghl.Contact) string { return c.LastName }, "firstNameLowerCase": func(c *ghl.Contact) string { return c.FirstNameLowerCase },
	"lastNameLowerCase": func(c *ghl.Contact) string { return c.LastNameLowerCase }, "fullNameLowerCase": func(c *ghl.Contact) string { return c.FullNameLowerCase },
	"email": func(c *ghl.Contact) string { return c.EmailLowerCase }, "phone": func(c *ghl.Contact) string { return c.Phone },
	"companyName": func(c *ghl.Contact) string { return c.CompanyName }, "city": func(c *ghl.Contact) string { return c.City },
	"state": func(c *ghl.Contact) string { return c.State }, "country": func(c *ghl.Contact) string { return c.Country },
	"postalCode": func(c *ghl.Contact) string { return c.PostalCode }, "source": func(c *ghl.Contact) string { return c.Source },
	"type": func(c *ghl.Contact) string { return c.Type }, "assignedTo": func(c *ghl.Contact) string { return c.AssignedTo },
	"businessId": func(c *ghl.Contact) string { return c.BusinessID }, "address1": func(c *ghl.Contact) string { return c.Address1 },
	"website": func(c *ghl.Contact) string { return c.Website }, "timezone": func(c *ghl.Contact) string { return c.Timezone },
}

var timeFields = map[string]func(*ghl.Contact) time.Time{
	"dateAdded": func(c *ghl.Contact) time.Time { return c.DateAdded.Time }, "dateUpdated": func(c *ghl.Contact) time.Time { return c.DateUpdated.Time },
	"dateOfBirth": func(c *ghl.Contact) time.Time { return c.DateOfBirth.Time }, "lastActivity": func(c *ghl.Contact) time.Time { return c.LastActivity.Time },
}

func knownField(f string) bool {
	_, s := stringFields[f]
	_, t := timeFields[f]
	return s || t || f == "tags" || f == "dnd" || strings.HasPrefix(f, "customFields.")
}

func parseFilter(raw json.RawMessage, path string) (fnode, []string) {
	var w struct {
		Field    string            `json:"field"`
		Operator string            `json:"operator"`
		Value    any               `json:"value"`
		Group    string            `json:"group"`
		Filters  []json.RawMessage `json:"filters"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return fnode{}, []string{path + " must be an object"}
	}
	if w.Group != "" {
		if w.Group != "AND" && w.Group != "OR" {
			return fnode{}, []string{path + ".group must be one of the following values: AND, OR"}
		}
		n := fnode{group: w.Group}
		var msgs []string
		for i, sub := range w.Filters {
			s, m := parseFilter(sub, fmt.Sprintf("%s.filters.%d", path, i))
			n.subs, msgs = append(n.subs, s), append(msgs, m...)
		}
		if len(w.Filters) == 0 {
			msgs = append(msgs, path+".filters should not be empty")
		}
		return n, msgs
	}
	n := fnode{field: w.Field, op: w.Operator, value: w.Value}
	if !knownField(w.Field) {
		return n, []string{fmt.Sprintf("%s.field %q is not supported", path, w.Field)}
	}
	switch w.Operator {
	case "exists", "not_exists":
	case "eq", "not_eq", "contains", "not_contains":
		if w.Value == nil {
			return n, []string{path + ".value should not be empty"}
		}
		if s, ok := w.Value.(string); ok && utf8.RuneCountInString(s) > 75 {
			return n, []string{path + ".value must be shorter than or equal to 75 characters"}
		}
	case "range":
		if _, ok := w.Value.(map[string]any); !ok {
			return n, []string{path + ".value must be an object with gte, lte, gt or lt"}
		}
	default:
		return n, []string{fmt.Sprintf("%s.operator %q is not supported", path, w.Operator)}
	}
	return n, nil
}

// fieldValue returns a contact's value for a filter field.
func fieldValue(c *ghl.Contact, field string) (any, bool) {
	if f, ok := stringFields[field]; ok {
		v := f(c)
		return v, v != ""
	}
	if f, ok := timeFields[field]; ok {
		v := f(c)
		return v, !v.IsZero()
	}
	switch field {
	case "tags":
		return c.Tags, len(c.Tags) > 0
	case "dnd":
		return c.DND, true
	}
	id := strings.TrimPrefix(field, "customFields.")
	for _, cf := range c.CustomFields {
		if cf.ID == id {
			var v any
			if json.Unmarshal(cf.Value, &v) == nil && v != nil && v != "" {
				return v, true
			}
		}
	}
	return nil, false
}

func (n *fnode) match(c *ghl.Contact) bool {
	if n.group != "" {
		for i := range n.subs {
			m := n.subs[i].match(c)
			if n.group == "OR" && m {
				return true
			}
			if n.group == "AND" && !m {
				return false
			}
		}
		return n.group == "AND"
	}
	v, present := fieldValue(c, n.field)
	switch n.op {
	case "exists":
		return present
	case "not_exists":
		return !present
	case "eq":
		return present && anyValue(v, func(x any) bool { return equal(x, n.value) })
	case "not_eq":
		return !present || !anyValue(v, func(x any) bool { return equal(x, n.value) })
	case "contains":
		return present && anyValue(v, func(x any) bool { return contains(x, n.value) })
	case "not_contains":
		return !present || !anyValue(v, func(x any) bool { return contains(x, n.value) })
	case "range":
		return present && inRange(v, n.value.(map[string]any))
	}
	return false
}

// anyValue applies f to v, or to each element when v is a list.
func anyValue(v any, f func(any) bool) bool {
	switch l := v.(type) {
	case []string:
		return slices.ContainsFunc(l, func(s string) bool { return f(s) })
	case []any:
		return slices.ContainsFunc(l, f)
	}
	return f(v)
}

func text(v any) string {
	switch x := v.(type) {
	case string:
		return strings.ToLower(x)
	case time.Time:
		return x.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	return strings.ToLower(fmt.Sprint(v))
}

func equal(have, want any) bool {
	if t, ok := have.(time.Time); ok {
		if w, ok := toMillis(want); ok {
			return t.UnixMilli() == w
		}
	}
	return text(have) == text(want)
}

func contains(have, want any) bool { return strings.Contains(text(have), text(want)) }

// toMillis reads a bound given as epoch milliseconds or an API date string.
func toMillis(v any) (int64, bool) {
	switch x := v.(type) {
	case float64:
		return int64(x), true
	case string:
		if t, ok := ghl.ParseTime(x); ok {
			return t.UnixMilli(), true
		}
	}
	return 0, false
}

func inRange(v any, r map[string]any) bool {
	cmp := func(bound any) (int, bool) {
		switch x := v.(type) {
		case time.Time:
			b, ok := toMillis(bound)
			if !ok {
				return 0, false
			}
			m := x.UnixMilli()
			return compareOrdered(m, b), true
		case float64:
			b, ok := bound.(float64)
			return compareOrdered(x, b), ok
		default:
			return strings.Compare(text(v), text(bound)), true
		}
	}
	for op, bound := range r {
		c, ok := cmp(bound)
		if !ok {
			return false
		}
		switch op {
		case "gte":
			ok = c >= 0
		case "gt":
			ok = c > 0
		case "lte":
			ok = c <= 0
		case "lt":
			ok = c < 0
		}
		if !ok {
			return false
		}
	}
	return true
}

func compareOrdered[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// sortKey is a hit's position under the sort: the sorted fields' values, then its ID.
func sortKey(c *ghl.Contact, sorts []sortSpec) []any {
	key := make([]any, 0, len(sorts)+1)
	for _, s := range sorts {
		v, _ := fieldValue(c, s.Field)
		switch x := v.(type) {
		case time.Time:
			key = append(key, float64(x.UnixMilli()))
		case bool:
			key = append(key, map[bool]float64{false: 0, true: 1}[x])
		case float64:
			key = append(key, x)
		case nil:
			key = append(key, "")
		default:
			key = append(key, text(x))
		}
	}
	return append(key, c.ID)
}

func compareKeys(a, b []any, sorts []sortSpec) int {
	for i := range min(len(a), len(b)) {
		var c int
		switch x := a[i].(type) {
		case float64:
			y, _ := b[i].(float64)
			c = compareOrdered(x, y)
		case string:
			y, ok := b[i].(string)
			if !ok {
				y = fmt.Sprint(b[i])
			}
			c = strings.Compare(x, y)
		default:
			c = strings.Compare(fmt.Sprint(a[i]), fmt.Sprint(b[i]))
		}
		if i < len(sorts) && sorts[i].Direction == "desc" {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return len(a) - len(b)
}

var defaultSort = []sortSpec{{Field: "dateAdded", Direction: "asc"}}

func searchContacts(c *call) reply {
	var r searchReq
	if rep, ok := c.decode(&r, "locationId", "pageLimit", "page", "searchAfter", "filters", "sort", "query"); !ok {
		return rep
	}
	var msgs []string
	switch {
	case r.PageLimit == nil || *r.PageLimit < 1:
		msgs = append(msgs, "pageLimit must not be less than 1")
	case *r.PageLimit > 500:
		msgs = append(msgs, "pageLimit must not be greater than 500")
	case r.Page > 0 && len(r.SearchAfter) > 0:
		msgs = append(msgs, "page and searchAfter cannot be used together")
	case r.Page*(*r.PageLimit) > 10000:
		msgs = append(msgs, "page * pageLimit must not exceed 10000; use searchAfter to go further")
	}
	if utf8.RuneCountInString(r.Query) > 75 {
		msgs = append(msgs, "query must be shorter than or equal to 75 characters")
	}
	filters := make([]fnode, 0, len(r.Filters))
	for i, raw := range r.Filters {
		f, m := parseFilter(raw, fmt.Sprintf("filters.%d", i))
		filters, msgs = append(filters, f), append(msgs, m...)
	}
	for i, s := range r.Sort {
		if !knownField(s.Field) || (s.Direction != "asc" && s.Direction != "desc") {
			msgs = append(msgs, fmt.Sprintf("sort.%d must name a supported field and asc or desc", i))
		}
	}
	if len(msgs) > 0 {
		return unprocessable(msgs...)
	}
	sorts := r.Sort
	if len(sorts) == 0 {
		sorts = defaultSort
	}
	var cursor []any
	if len(r.SearchAfter) > 0 {
		for _, raw := range r.SearchAfter {
			var v any
			if json.Unmarshal(raw, &v) != nil {
				return unprocessable("searchAfter must be the array a previous search returned")
			}
			cursor = append(cursor, v)
		}
	}
	limit := *r.PageLimit

	l, rep, ok := c.location(r.LocationID)
	if !ok {
		return rep
	}
	hits := l.indexed(c.s.now(), c.s.cfg.searchLag) // already in the default order
	if len(filters) > 0 || r.Query != "" {
		all := hits
		hits = nil
		for _, ct := range all {
			if matchAll(filters, &ct.Contact) && queryMatch(&ct.Contact, r.Query) {
				hits = append(hits, ct)
			}
		}
	}
	if len(r.Sort) > 0 {
		// Every key ends with the contact's ID, so no two are equal and an
		// unstable sort gives the one order.
		type keyed struct {
			key []any
			c   *contact
		}
		ks := make([]keyed, len(hits))
		for i, h := range hits {
			ks[i] = keyed{sortKey(&h.Contact, sorts), h}
		}
		slices.SortFunc(ks, func(a, b keyed) int { return compareKeys(a.key, b.key, sorts) })
		hits = make([]*contact, len(ks))
		for i, k := range ks {
			hits[i] = k.c
		}
	}
	start := 0
	switch {
	case cursor != nil:
		start = sort.Search(len(hits), func(i int) bool {
			return compareKeys(sortKey(&hits[i].Contact, sorts), cursor, sorts) > 0
		})
	case r.Page > 1:
		start = (r.Page - 1) * limit
	}
	start = min(start, len(hits))
	end := min(start+limit, len(hits))
	// The page is assembled from each contact's cached JSON, with its
	// searchAfter cursor spliced in before the closing brace.
	buf := make([]byte, 0, 1024*(end-start)+64)
	buf = append(buf, `{"contacts":[`...)
	for i, h := range hits[start:end] {
		if i > 0 {
			buf = append(buf, ',')
		}
		enc := h.encoded(c.s.gen)
		buf = append(buf, enc[:len(enc)-1]...)
		buf = append(buf, `,"searchAfter":`...)
		buf = appendKey(buf, sortKey(&h.Contact, sorts))
		buf = append(buf, '}')
	}
	total := len(hits)
	buf = append(buf, `],"total":`...)
	buf = strconv.AppendInt(buf, int64(total), 10)
	buf = append(buf, `,"traceId":`...)
	buf = strconv.AppendQuote(buf, newSecret("trace-"))
	buf = append(buf, '}')
	return reply{status: http.StatusOK, header: http.Header{"Content-Type": {"application/json; charset=utf-8"}}, body: buf}
}

// indexed is the location's contacts as the search index shows them at now:
// with a lag, each as of its last write at least lag ago, and without the
// ones created since. Callers hold s.mu.
func (l *location) indexed(now time.Time, lag time.Duration) []*contact {
	if lag <= 0 {
		return l.list
	}
	out := make([]*contact, 0, len(l.list))
	for _, ct := range l.list {
		switch v := ct.searchView(now, lag); {
		case v == nil:
		case v == &ct.Contact:
			out = append(out, ct)
		default:
			out = append(out, &contact{Contact: *v})
		}
	}
	return out
}

// appendKey writes a sort key as a JSON array.
func appendKey(buf []byte, key []any) []byte {
	buf = append(buf, '[')
	for i, v := range key {
		if i > 0 {
			buf = append(buf, ',')
		}
		switch x := v.(type) {
		case float64:
			buf = strconv.AppendFloat(buf, x, 'f', -1, 64)
		case string:
			b, _ := json.Marshal(x)
			buf = append(buf, b...)
		}
	}
	return append(buf, ']')
}

func matchAll(filters []fnode, c *ghl.Contact) bool {
	for i := range filters {
		if !filters[i].match(c) {
			return false
		}
	}
	return true
}
