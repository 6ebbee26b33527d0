package ghlsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ghlkit/ghl"
)

// KeyKind is what Ensure matches a record on.
type KeyKind int

const (
	// ByEmail matches on the request's email, case-insensitively.
	ByEmail KeyKind = iota
	// ByPhone matches on the request's phone (E.164).
	ByPhone
	// ByExternalID matches on the app's own ID, kept in the custom field
	// EnsureOptions.ExternalField; the request must set that field.
	ByExternalID
)

// Action is what Ensure did.
type Action int

const (
	// Unchanged: the contact already held every requested value; nothing
	// was written.
	Unchanged Action = iota
	// Created: a new contact was created.
	Created
	// Updated: an existing contact was updated.
	Updated
)

// String returns "unchanged", "created" or "updated".
func (a Action) String() string {
	return [...]string{"unchanged", "created", "updated"}[a]
}

// EnsureOptions configures Ensure.
type EnsureOptions struct {
	By KeyKind
	// ExternalField is the ID of the custom field that holds the app's own
	// ID, with ByExternalID.
	ExternalField string
	// Probes are the waits before each lookup that follows a create whose
	// outcome is unknown (default 0, 2 s, 8 s: three looks over 10 s, as
	// HighLevel's search may lag a write by seconds).
	Probes []time.Duration
	// Claim, when set, is asked before Ensure writes to a contact it found
	// (by the key, a duplicate answer or a probe): an error stops Ensure,
	// which then writes nothing and returns it. A Syncer refuses a contact
	// linked to another app record this way.
	Claim func(ctx context.Context, contact ghl.Contact) error
}

// EnsureResult says what Ensure did.
type EnsureResult struct {
	Contact ghl.Contact // the contact as HighLevel answered (or held it, when Unchanged)
	Action  Action
	// Recovered says how a failed create was resolved: "duplicate" (the
	// location refused a duplicate and named the existing contact) or
	// "unknown outcome" (the create's answer was lost and a lookup found
	// the contact it had made). Empty otherwise.
	Recovered string
	// Dropped lists requested fields that HighLevel's answer does not
	// reflect (the API is known to drop some silently, e.g. a phone that
	// another contact holds).
	Dropped []string
	// Unwritable lists requested fields that differ on an existing contact
	// but that HighLevel's update cannot write (companyName, gender).
	Unwritable []string
}

// ErrAmbiguousKey: more than one contact matches the key; Ensure writes
// nothing rather than pick one.
var ErrAmbiguousKey = errors.New("ghlsync: more than one contact matches the key")

// ErrUnresolved: a create's outcome is unknown and no contact with the key
// was found after probing. Nothing was created twice; run Ensure again later
// (it will find the contact, or create it).
var ErrUnresolved = errors.New("ghlsync: the create's outcome is unknown and the contact was not found yet")

// Ensure creates the contact described by req, or updates the one that
// matches its key, and never makes a second contact for one key:
//
//   - it looks the key up first; when the contact exists and already holds
//     every requested value it sends nothing more (Unchanged);
//   - when it exists and differs, it updates only the differing fields, and
//     adds requested tags to the contact's own (Updated);
//   - when it does not exist, it creates it (Created). A location that
//     refuses duplicates names the existing contact, which is then updated;
//     a create whose outcome is unknown (ghl.ErrMaybeProcessed, or a 422,
//     which HighLevel has been seen to answer while creating the contact) is
//     never sent again: the key is looked up until the contact appears, or
//     ErrUnresolved.
//
// Fields HighLevel did not apply are listed in the result's Dropped.
func Ensure(ctx context.Context, c *ghl.Client, req ghl.CreateContactRequest, opts EnsureOptions) (*EnsureResult, error) {
	if err := req.Validate(); err != nil {
		return nil, err // before any lookup
	}
	k, err := keyOf(req, opts)
	if err != nil {
		return nil, err
	}
	want, names := wanted(req)
	existing, err := k.lookup(ctx, c)
	if err != nil {
		return nil, err
	}
	if existing != nil {
		if err := opts.claim(ctx, *existing); err != nil {
			return nil, err
		}
		return update(ctx, c, *existing, want, names, "")
	}
	created, err := c.Contacts.Create(ctx, req)
	var dup *ghl.DuplicateContactError
	switch {
	case err == nil:
		return &EnsureResult{Contact: *created, Action: Created, Dropped: dropped(FromContact(*created), want, names)}, nil
	case errors.As(err, &dup):
		cur, gerr := c.Contacts.Get(ctx, dup.ContactID)
		if gerr != nil {
			return nil, fmt.Errorf("ghlsync: the location holds a duplicate %s, which could not be read: %w", dup.ContactID, gerr)
		}
		if err := opts.claim(ctx, *cur); err != nil {
			return nil, err
		}
		return update(ctx, c, *cur, want, names, "duplicate")
	case errors.Is(err, ghl.ErrMaybeProcessed) || isUnprocessable(err):
		found, perr := k.probe(ctx, c, opts.Probes)
		if perr != nil {
			return nil, perr
		}
		if found == nil {
			return nil, fmt.Errorf("%w (%s %q): %w", ErrUnresolved, k.name, k.value, err)
		}
		if err := opts.claim(ctx, *found); err != nil {
			return nil, err
		}
		res, uerr := update(ctx, c, *found, want, names, "unknown outcome")
		if res != nil && res.Action == Unchanged {
			res.Action = Created
		}
		return res, uerr
	}
	return nil, err
}

func (o EnsureOptions) claim(ctx context.Context, c ghl.Contact) error {
	if o.Claim == nil {
		return nil
	}
	return o.Claim(ctx, c)
}

// isUnprocessable: a 422, which HighLevel has answered to creates that it
// carried out (docs repo issue #64).
func isUnprocessable(err error) bool {
	var ae *ghl.APIError
	return errors.As(err, &ae) && ae.StatusCode == 422
}

// update brings an existing contact to the requested values.
func update(ctx context.Context, c *ghl.Client, cur ghl.Contact, want Record, names []string, recovered string) (*EnsureResult, error) {
	have := FromContact(cur)
	target := have
	target.Fields = map[string]string{}
	for k, v := range have.Fields {
		target.Fields[k] = v
	}
	var unwritable []string
	for _, n := range names {
		switch n {
		case "tags":
			target.Tags = NormalizeTags(append(slices.Clone(have.Tags), want.Tags...))
		case "companyName", "gender":
			if !strings.EqualFold(want.Get(n), extraField(cur, n)) {
				unwritable = append(unwritable, n)
			}
		default:
			target = target.Set(n, want.Get(n))
		}
	}
	req, changed, _ := UpdateRequest(have, target)
	if !changed {
		return &EnsureResult{Contact: cur, Action: Unchanged, Recovered: recovered, Unwritable: unwritable}, nil
	}
	got, err := c.Contacts.Update(ctx, cur.ID, req)
	if err != nil {
		return nil, err
	}
	return &EnsureResult{Contact: *got, Action: Updated, Recovered: recovered, Unwritable: unwritable,
		Dropped: dropped(FromContact(*got), target, names)}, nil
}

// extraField reads the requested fields that Record does not keep.
func extraField(c ghl.Contact, name string) string {
	if name == "companyName" {
		return c.CompanyName
	}
	return c.Gender
}

// dropped lists the requested fields whose value the answer does not hold.
func dropped(got, want Record, names []string) []string {
	var out []string
	for _, n := range names {
		switch n {
		case "tags":
			for _, t := range want.Tags {
				if !got.HasTag(t) {
					out = append(out, "tags")
					break
				}
			}
		case "companyName", "gender":
		default:
			if got.Get(n) != want.Get(n) {
				out = append(out, n)
			}
		}
	}
	return out
}

// wanted returns the record a request asks for and the names of the fields
// it sets (custom fields and DND channels one by one, "tags" for tags).
func wanted(req ghl.CreateContactRequest) (Record, []string) {
	b, _ := json.Marshal(req)
	var present map[string]json.RawMessage
	_ = json.Unmarshal(b, &present)
	var c ghl.Contact
	_ = json.Unmarshal(b, &c)
	c.CustomFields = nil
	for _, cf := range req.CustomFields {
		v, _ := json.Marshal(cf.Value)
		c.CustomFields = append(c.CustomFields, ghl.CustomField{ID: cf.ID, Value: v})
	}
	r := FromContact(c)
	var names []string
	for _, s := range scalars {
		if _, ok := present[s.name]; ok {
			names = append(names, s.name)
		}
	}
	for _, n := range []string{"companyName", "gender"} {
		if _, ok := present[n]; ok {
			names = append(names, n)
			r = r.Set(n, strings.TrimSpace(string(unquote(present[n]))))
		}
	}
	for _, cf := range req.CustomFields {
		if cf.ID != "" {
			names = append(names, customPrefix+cf.ID)
		}
	}
	for k := range r.Fields {
		if strings.HasPrefix(k, dndPrefix) {
			names = append(names, k)
		}
	}
	if len(req.Tags) > 0 {
		names = append(names, "tags")
	}
	slices.Sort(names)
	return r, slices.Compact(names)
}

func unquote(b json.RawMessage) []byte {
	var s string
	if json.Unmarshal(b, &s) == nil {
		return []byte(s)
	}
	return b
}

// key is a request's match key.
type key struct {
	kind  KeyKind
	name  string // for messages
	value string
	field string // custom field ID, ByExternalID
	loc   string
}

func keyOf(req ghl.CreateContactRequest, opts EnsureOptions) (key, error) {
	k := key{kind: opts.By, loc: req.LocationID}
	switch opts.By {
	case ByEmail:
		k.name = "email"
		if req.Email != nil {
			k.value = strings.ToLower(strings.TrimSpace(*req.Email))
		}
	case ByPhone:
		k.name = "phone"
		if req.Phone != nil {
			k.value = strings.TrimSpace(*req.Phone)
		}
	case ByExternalID:
		if opts.ExternalField == "" {
			return k, &ghl.InputError{Field: "ExternalField", Reason: "ByExternalID needs the custom field's ID"}
		}
		k.name, k.field = "customFields."+opts.ExternalField, opts.ExternalField
		for _, cf := range req.CustomFields {
			if cf.ID == opts.ExternalField {
				k.value = strings.TrimSpace(fmt.Sprint(cf.Value))
			}
		}
	default:
		return k, &ghl.InputError{Field: "By", Reason: "unknown key kind"}
	}
	if k.value == "" {
		return k, &ghl.InputError{Field: k.name, Reason: "the key is empty: Ensure matches on it"}
	}
	return k, nil
}

// lookup returns the one contact holding the key, or nil.
func (k key) lookup(ctx context.Context, c *ghl.Client) (*ghl.Contact, error) {
	if k.kind != ByExternalID {
		q := ghl.DuplicateQuery{LocationID: k.loc}
		if k.kind == ByEmail {
			q.Email = k.value
		} else {
			q.Phone = k.value
		}
		found, err := c.Contacts.FindDuplicate(ctx, q)
		if err != nil || found == nil {
			return nil, err
		}
		// The duplicate rules may match on the other field: only a match on
		// the key itself counts.
		if k.kind == ByEmail && !strings.EqualFold(found.Email, k.value) || k.kind == ByPhone && found.Phone != k.value {
			return nil, nil
		}
		// The duplicate lookup may answer with a partial contact: read it whole.
		return c.Contacts.Get(ctx, found.ID)
	}
	res, err := c.Contacts.Search(ctx, ghl.SearchRequest{LocationID: k.loc, PageLimit: 2,
		Filters: []ghl.Filter{ghl.Eq(k.name, k.value)}})
	if err != nil {
		return nil, err
	}
	switch len(res.Contacts) {
	case 0:
		return nil, nil
	case 1:
		return c.Contacts.Get(ctx, res.Contacts[0].ID)
	}
	return nil, fmt.Errorf("%w: %s %q", ErrAmbiguousKey, k.name, k.value)
}

// probe looks the key up after each wait until the contact appears.
func (k key) probe(ctx context.Context, c *ghl.Client, waits []time.Duration) (*ghl.Contact, error) {
	if len(waits) == 0 {
		waits = []time.Duration{0, 2 * time.Second, 8 * time.Second}
	}
	for _, w := range waits {
		if w > 0 {
			t := time.NewTimer(w)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, ctx.Err()
			case <-t.C:
			}
		}
		found, err := k.lookup(ctx, c)
		if err != nil || found != nil {
			return found, err
		}
	}
	return nil, nil
}
