package ghl_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
)

// TestCustomFieldOperationsOnTheWire: method, path, query, Version and body
// of the five custom-field definition operations.
func TestCustomFieldOperationsOnTheWire(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	field := `{"customField":{"id":"cf00000000000000001","name":"Tier","fieldKey":"contact.tier","dataType":"SINGLE_OPTIONS","picklistOptions":["gold"]}}`
	rec := newRecorder(t, answer{status: 200, body: `{"customFields":[]}`}, answer{status: 201, body: field},
		answer{status: 200, body: field}, answer{status: 200, body: field}, answer{status: 200, body: `{"succeded":true}`})
	c := rec.client()
	_, err := c.CustomFields.List(ctx, "", "all")
	require.NoError(t, err)
	got, err := c.CustomFields.Create(ctx, "", ghl.CreateCustomFieldRequest{Name: "Tier", DataType: ghl.FieldSingleOptions,
		Options: []ghl.CustomFieldOption{{Label: "gold"}}})
	require.NoError(t, err)
	assert.Equal(t, "tier", got.Key())
	assert.Equal(t, []string{"gold"}, got.PicklistOptions)
	_, err = c.CustomFields.Get(ctx, "", "cf00000000000000001")
	require.NoError(t, err)
	_, err = c.CustomFields.Update(ctx, "", "cf00000000000000001", ghl.UpdateCustomFieldRequest{Name: "Level"})
	require.NoError(t, err)
	require.NoError(t, c.CustomFields.Delete(ctx, "", "cf00000000000000001"))

	base := "/locations/" + testLocation + "/customFields"
	want := []struct{ method, path, query, body string }{
		{"GET", base, "model=all", ""},
		{"POST", base, "", `{"name":"Tier","dataType":"SINGLE_OPTIONS","model":"contact","textBoxListOptions":[{"label":"gold"}]}`},
		{"GET", base + "/cf00000000000000001", "", ""},
		{"PUT", base + "/cf00000000000000001", "", `{"name":"Level"}`},
		{"DELETE", base + "/cf00000000000000001", "", ""},
	}
	reqs := rec.requests()
	require.Len(t, reqs, len(want))
	for i, w := range want {
		assert.Equal(t, w.method, reqs[i].Method)
		assert.Equal(t, basePath+w.path, reqs[i].Path)
		assert.Equal(t, w.query, reqs[i].RawQuery)
		assert.Equal(t, "2021-07-28", reqs[i].Header.Get("Version"))
		if w.body != "" {
			assert.JSONEq(t, w.body, string(reqs[i].Body))
		}
	}
	_, err = c.CustomFields.Create(ctx, "", ghl.CreateCustomFieldRequest{Name: "x", DataType: "COLOUR"})
	assert.ErrorIs(t, err, ghl.ErrInvalidInput)
	_, err = c.CustomFields.List(ctx, "", "deals")
	assert.ErrorIs(t, err, ghl.ErrInvalidInput)
	assert.Len(t, rec.requests(), len(want))
}
