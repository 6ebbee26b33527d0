package ghl_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
)

// TestLocationTagOperationsOnTheWire: method, path, Version and body of the
// five location tag operations, and their input checks.
func TestLocationTagOperationsOnTheWire(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tag := `{"tag":{"id":"tag00000000000000001","name":"VIP","locationId":"` + testLocation + `"}}`
	rec := newRecorder(t, answer{status: 200, body: `{"tags":[{"id":"tag00000000000000001","name":"VIP"}]}`},
		answer{status: 200, body: tag}, answer{status: 200, body: tag}, answer{status: 200, body: tag},
		answer{status: 200, body: `{"succeded":true}`})
	c := rec.client()
	tags, err := c.Tags.ListLocation(ctx, "")
	require.NoError(t, err)
	assert.Equal(t, "VIP", tags[0].Name)
	_, err = c.Tags.CreateLocation(ctx, "", "VIP")
	require.NoError(t, err)
	_, err = c.Tags.GetLocation(ctx, "", "tag00000000000000001")
	require.NoError(t, err)
	_, err = c.Tags.UpdateLocation(ctx, "", "tag00000000000000001", "Gold")
	require.NoError(t, err)
	require.NoError(t, c.Tags.DeleteLocation(ctx, "", "tag00000000000000001"))

	want := []struct{ method, path, body string }{
		{"GET", "/locations/" + testLocation + "/tags", ""},
		{"POST", "/locations/" + testLocation + "/tags", `{"name":"VIP"}`},
		{"GET", "/locations/" + testLocation + "/tags/tag00000000000000001", ""},
		{"PUT", "/locations/" + testLocation + "/tags/tag00000000000000001", `{"name":"Gold"}`},
		{"DELETE", "/locations/" + testLocation + "/tags/tag00000000000000001", ""},
	}
	reqs := rec.requests()
	require.Len(t, reqs, len(want))
	for i, w := range want {
		assert.Equal(t, w.method, reqs[i].Method)
		assert.Equal(t, basePath+w.path, reqs[i].Path)
		assert.Equal(t, "2021-07-28", reqs[i].Header.Get("Version"))
		if w.body != "" {
			assert.JSONEq(t, w.body, string(reqs[i].Body))
		}
	}

	for _, err := range []error{
		func() error { _, err := c.Tags.CreateLocation(ctx, "", " "); return err }(),
		func() error { _, err := c.Tags.UpdateLocation(ctx, "", "removeAll", "x"); return err }(),
		func() error { _, err := c.Tags.GetLocation(ctx, "", ""); return err }(),
		c.Tags.DeleteLocation(ctx, "a/b", "tag00000000000000001"),
	} {
		assert.ErrorIs(t, err, ghl.ErrInvalidInput)
	}
	assert.Len(t, rec.requests(), len(want), "refused calls send nothing")
}

// tagOperations are the requests of every TagsService method, as contacts.json
// specifies them, with answers shaped like its examples.
func tagOperations() []opCase {
	return []opCase{
		{name: "Tags.Add", operation: "add-tags", method: "POST", path: "/contacts/" + contactID + "/tags",
			call: func(ctx context.Context, c *ghl.Client) (any, error) {
				return c.Tags.Add(ctx, contactID, []string{"minim"})
			},
			body: `{"tags":["minim"]}`, status: 201, answer: `{"tags":["minim","old"]}`,
			check: func(t *testing.T, got any) { assert.Equal(t, []string{"minim", "old"}, got) }},
		{name: "Tags.Remove", operation: "remove-tags", method: "DELETE", path: "/contacts/" + contactID + "/tags",
			call: func(ctx context.Context, c *ghl.Client) (any, error) {
				return c.Tags.Remove(ctx, contactID, []string{"minim"})
			},
			body: `{"tags":["minim"]}`, answer: `{"tags":["old"]}`},
	}
}

// TestTagsOperations sends every Tags operation and checks the
// exact request and the decoded answer.
func TestTagsOperations(t *testing.T) { runOperations(t, tagOperations()) }
