package ghlsync_test

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghlsync"
)

func rec(at int, kv ...string) ghlsync.Record {
	r := ghlsync.Record{Fields: map[string]string{}, UpdatedAt: time.Unix(int64(1_800_000_000+at), 0)}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i] == "tags" {
			r.Tags = ghlsync.NormalizeTags(splitTags(kv[i+1]))
			continue
		}
		r = r.Set(kv[i], kv[i+1])
	}
	return r
}

func splitTags(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}

// TestMergeTruthTable: the five cases per field.
func TestMergeTruthTable(t *testing.T) {
	base := rec(0, "city", "Paris")
	cases := []struct {
		name              string
		local, remote     ghlsync.Record
		want              string
		conflict          bool
		toLocal, toRemote []string
	}{
		{"neither changed", rec(1, "city", "Paris"), rec(1, "city", "Paris"), "Paris", false, nil, nil},
		{"local changed", rec(1, "city", "Lyon"), rec(1, "city", "Paris"), "Lyon", false, nil, []string{"city"}},
		{"remote changed", rec(1, "city", "Paris"), rec(1, "city", "Nice"), "Nice", false, []string{"city"}, nil},
		{"both the same", rec(1, "city", "Lyon"), rec(2, "city", "Lyon"), "Lyon", false, nil, nil},
		{"both differently, remote newer", rec(1, "city", "Lyon"), rec(2, "city", "Nice"), "Nice", true, []string{"city"}, nil},
		{"both differently, local newer", rec(3, "city", "Lyon"), rec(2, "city", "Nice"), "Lyon", true, nil, []string{"city"}},
		{"local cleared it", rec(1), rec(1, "city", "Paris"), "", false, nil, []string{"city"}},
	}
	for _, tc := range cases {
		res := ghlsync.Merge(base, tc.local, tc.remote, ghlsync.MergeOptions{})
		assert.Equal(t, tc.want, res.Merged.Get("city"), tc.name)
		assert.Equal(t, tc.conflict, len(res.Conflicts) == 1, tc.name)
		assert.Equal(t, tc.toLocal, res.ToLocal, tc.name)
		assert.Equal(t, tc.toRemote, res.ToRemote, tc.name)
	}
}

// TestMergePolicies: each policy on the same conflict, and the tie rule.
func TestMergePolicies(t *testing.T) {
	base := rec(0, "email", "a@x.co", "city", "Paris")
	local := rec(5, "email", "b@x.co", "city", "Lyon")
	remote := rec(9, "email", "c@x.co", "city", "Paris")
	for _, tc := range []struct {
		opts      ghlsync.MergeOptions
		want      string
		winner    ghlsync.Side
		rule      string
		sameTimes bool
	}{
		{ghlsync.MergeOptions{}, "c@x.co", ghlsync.Remote, "last write wins", false},
		{ghlsync.MergeOptions{Policy: ghlsync.RemoteWins}, "c@x.co", ghlsync.Remote, "remote wins", false},
		{ghlsync.MergeOptions{Policy: ghlsync.LocalWins}, "b@x.co", ghlsync.Local, "local wins", false},
		{ghlsync.MergeOptions{}, "c@x.co", ghlsync.Remote, "tie: remote", true},
		{ghlsync.MergeOptions{Tie: ghlsync.Local}, "b@x.co", ghlsync.Local, "tie: local", true},
		{ghlsync.MergeOptions{Policy: ghlsync.RemoteWins, Fields: map[string]ghlsync.Resolver{
			ghlsync.FieldEmail: func(c ghlsync.Conflict) (string, ghlsync.Side) { return c.Local, ghlsync.Local },
		}}, "b@x.co", ghlsync.Local, "resolver", false},
	} {
		l, r := local, remote
		if tc.sameTimes {
			r.UpdatedAt = l.UpdatedAt
		}
		res := ghlsync.Merge(base, l, r, tc.opts)
		require.Len(t, res.Conflicts, 1, tc.rule)
		c := res.Conflicts[0]
		assert.Equal(t, ghlsync.FieldEmail, c.Field)
		assert.Equal(t, "a@x.co", c.Base)
		assert.Equal(t, tc.want, c.Value, tc.rule)
		assert.Equal(t, tc.winner, c.Winner, tc.rule)
		assert.Equal(t, tc.rule, c.Rule)
		assert.Equal(t, tc.want, res.Merged.Get(ghlsync.FieldEmail))
		assert.Equal(t, "Lyon", res.Merged.Get("city"), "a field only one side changed is no conflict")
	}
}

// TestMergeTagsAsSets: added on either side stays added, removed on either
// side stays removed.
func TestMergeTagsAsSets(t *testing.T) {
	base := rec(0, "tags", "a,b,c")
	local := rec(1, "tags", "a,b,x")  // removed c, added x
	remote := rec(2, "tags", "b,c,y") // removed a, added y
	res := ghlsync.Merge(base, local, remote, ghlsync.MergeOptions{})
	assert.Equal(t, []string{"b", "x", "y"}, res.Merged.Tags)
	assert.Empty(t, res.Conflicts, "tag sets never conflict")
	assert.Equal(t, []string{"tags"}, res.ToLocal)
	assert.Equal(t, []string{"tags"}, res.ToRemote)

	// Both add and remove the same tags: nothing to write.
	res = ghlsync.Merge(base, rec(1, "tags", "a,VIP"), rec(2, "tags", "vip, a"), ghlsync.MergeOptions{})
	assert.Equal(t, []string{"a", "vip"}, res.Merged.Tags)
	assert.Empty(t, res.ToLocal)
	assert.Empty(t, res.ToRemote)
}

// TestMergeCustomFieldsAndDND: custom fields by ID and DND channels are
// fields of their own.
func TestMergeCustomFieldsAndDND(t *testing.T) {
	base := rec(0, "customFields.cf1", "gold", "customFields.cf2", "10", "dndSettings.SMS", "inactive")
	local := rec(1, "customFields.cf1", "platinum", "customFields.cf2", "10", "dndSettings.SMS", "active")
	remote := rec(2, "customFields.cf1", "gold", "customFields.cf2", "12", "dndSettings.Email", "active", "dndSettings.SMS", "inactive")
	res := ghlsync.Merge(base, local, remote, ghlsync.MergeOptions{})
	assert.Empty(t, res.Conflicts)
	assert.Equal(t, "platinum", res.Merged.Get("customFields.cf1"))
	assert.Equal(t, "12", res.Merged.Get("customFields.cf2"))
	assert.Equal(t, "active", res.Merged.Get("dndSettings.SMS"))
	assert.Equal(t, "active", res.Merged.Get("dndSettings.Email"))

	req, ok, _ := ghlsync.UpdateRequest(remote, res.Merged)
	require.True(t, ok)
	require.Len(t, req.CustomFields, 1)
	assert.Equal(t, "cf1", req.CustomFields[0].ID)
	assert.Equal(t, "platinum", req.CustomFields[0].Value)
	require.NotNil(t, req.DNDSettings)
	assert.Equal(t, "active", req.DNDSettings.SMS.Status)
	assert.Nil(t, req.Tags, "tags unchanged: not sent, as PUT would replace them")
}

// TestFromContactAndUpdateRequest: a contact's record, and the update that
// turns one record into another.
func TestFromContactAndUpdateRequest(t *testing.T) {
	c := ghl.Contact{ID: "c1", FirstName: "Ada", Email: "Ada@Example.com", Tags: []string{"VIP", "vip", " b "},
		CustomFields: []ghl.CustomField{{ID: "cf1", Value: []byte(`"13"`)}, {ID: "cf2", Value: []byte(`13`)}, {ID: "cf3", Value: []byte(`["x","y"]`)}},
		DNDSettings:  &ghl.DNDSettings{SMS: &ghl.DNDSetting{Status: "active"}}, DateUpdated: ghl.Time{Time: time.Unix(5, 0)}}
	r := ghlsync.FromContact(c)
	assert.Equal(t, "ada@example.com", r.Get(ghlsync.FieldEmail))
	assert.Equal(t, []string{"b", "vip"}, r.Tags)
	assert.Equal(t, "13", r.Get("customFields.cf1"))
	assert.Equal(t, "13", r.Get("customFields.cf2"), "a number and its string compare equal")
	assert.Equal(t, `["x","y"]`, r.Get("customFields.cf3"))
	assert.Equal(t, "active", r.Get("dndSettings.SMS"))
	assert.Equal(t, "", r.Get(ghlsync.FieldDND), "DND off is no value: an app that never set it agrees")
	on := ghlsync.FromContact(ghl.Contact{DND: true})
	assert.Equal(t, "true", on.Get(ghlsync.FieldDND))
	off, ok, _ := ghlsync.UpdateRequest(on, on.Set(ghlsync.FieldDND, ""))
	require.True(t, ok)
	require.NotNil(t, off.DND, "turning DND off sends false")
	assert.False(t, *off.DND)
	assert.Empty(t, off.Clear)
	assert.Equal(t, time.Unix(5, 0), r.UpdatedAt)

	_, ok, _ = ghlsync.UpdateRequest(r, r)
	assert.False(t, ok, "nothing differs: no request")
	to := r.Set(ghlsync.FieldCity, "London").Set(ghlsync.FieldFirstName, "").Set("customFields.cf3", `["z"]`)
	req, ok, cleared := ghlsync.UpdateRequest(r, to)
	require.True(t, ok)
	assert.Equal(t, "London", *req.City)
	assert.Nil(t, req.FirstName)
	assert.Equal(t, []string{ghlsync.FieldFirstName}, req.Clear, "an emptied field is sent as null")
	assert.Empty(t, cleared)
	// A field HighLevel takes no null for is reported, not silently dropped.
	r2 := r.Set(ghlsync.FieldPostalCode, "75001")
	_, _, cleared = ghlsync.UpdateRequest(r2, r2.Set(ghlsync.FieldPostalCode, ""))
	assert.Equal(t, []string{ghlsync.FieldPostalCode}, cleared)
	assert.Equal(t, []any{"z"}, req.CustomFields[0].Value)
}

// randomRecord draws a record from a small space, so that sides often agree.
func randomRecord(rng *rand.Rand) ghlsync.Record {
	r := ghlsync.Record{Fields: map[string]string{}, UpdatedAt: time.Unix(int64(rng.IntN(4)), 0)}
	for _, f := range []string{"firstName", "city", "customFields.cf1", "dndSettings.SMS"} {
		if v := rng.IntN(4); v > 0 {
			r = r.Set(f, f+strconv.Itoa(v))
		}
	}
	for _, t := range []string{"a", "b", "c", "d"} {
		if rng.IntN(2) == 0 {
			r.Tags = append(r.Tags, t)
		}
	}
	r.Tags = ghlsync.NormalizeTags(r.Tags)
	return r
}

// TestMergeProperties: over many random records, merging a side with the
// base returns that side, identical sides merge to themselves, a merge is
// idempotent, and the result agrees with each side wherever that side is
// the only one that changed.
func TestMergeProperties(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, opts := range []ghlsync.MergeOptions{{}, {Policy: ghlsync.RemoteWins}, {Policy: ghlsync.LocalWins, Tie: ghlsync.Local}} {
		for range 3000 {
			b, l, r := randomRecord(rng), randomRecord(rng), randomRecord(rng)
			assert.True(t, ghlsync.Merge(b, l, b, opts).Merged.Equal(l), "merge(b, l, b) = l")
			assert.True(t, ghlsync.Merge(b, b, r, opts).Merged.Equal(r), "merge(b, b, r) = r")
			assert.True(t, ghlsync.Merge(b, l, l, opts).Merged.Equal(l), "merge(b, x, x) = x")
			m := ghlsync.Merge(b, l, r, opts)
			again := ghlsync.Merge(b, m.Merged, m.Merged, opts)
			assert.True(t, again.Merged.Equal(m.Merged))
			assert.Empty(t, again.ToLocal)
			assert.Empty(t, again.ToRemote)
			// After both sides take the merge, a new merge with it as the base
			// has nothing to do.
			next := ghlsync.Merge(m.Merged, m.Merged, m.Merged, opts)
			assert.Empty(t, next.Conflicts)
			for _, f := range []string{"firstName", "city", "customFields.cf1", "dndSettings.SMS"} {
				if l.Get(f) == b.Get(f) {
					assert.Equal(t, r.Get(f), m.Merged.Get(f), "only remote changed %s", f)
				}
				if r.Get(f) == b.Get(f) {
					assert.Equal(t, l.Get(f), m.Merged.Get(f), "only local changed %s", f)
				}
			}
			if t.Failed() {
				t.Fatalf("base %+v\nlocal %+v\nremote %+v\nmerged %+v", b, l, r, m.Merged)
			}
		}
	}
}
