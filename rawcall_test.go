package ghl_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
)

// TestDoRefusesEscapedDotSegments: a server decodes a segment before it
// resolves dots, so %2e%2e is ".." to it; an escaped slash or a backslash
// can hide one inside a segment. Each is refused before anything is sent,
// and ordinary escapes still pass.
func TestDoRefusesEscapedDotSegments(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rec := newRecorder(t, answer{status: 200, body: `{}`})
	c := rec.client()
	for _, path := range []string{
		"/contacts/%2e%2e/oauth/x", "/contacts/%2E%2E/oauth/x", "/contacts/.%2e/oauth/x", "/contacts/%2e./oauth/x",
		"/contacts/%2e/x", "/contacts/a%2f..%2fb", "/contacts/a%2F%2e%2e%2Fb", "/contacts/..%5cb", "/contacts/a%5c..%5cb",
		"/contacts/%zz",
	} {
		assert.ErrorIs(t, c.Do(ctx, "GET", path, nil, nil), ghl.ErrInvalidInput, path)
	}
	assert.Empty(t, rec.requests(), "nothing sent")

	for _, path := range []string{"/contacts/a%20b", "/contacts/...", "/contacts/a.b", "/contacts/%2e%2e%2e"} {
		assert.NoError(t, c.Do(ctx, "GET", path, nil, nil), path)
	}
	assert.Len(t, rec.requests(), 4)
}

// TestDoCallsUnwrappedEndpoints: Client.Do goes through the one request
// path: token, Version per call, retries by class, typed errors.
func TestDoCallsUnwrappedEndpoints(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rec := newRecorder(t, answer{status: 503, body: `{}`}, answer{status: 200, body: `{"tags":[{"id":"t1","name":"vip"}]}`})
	c := rec.client()
	var out struct {
		Tags []struct{ ID, Name string }
	}
	var resp ghl.Response
	err := c.Do(ctx, "GET", "/locations/"+testLocation+"/tags?limit=5", nil, &out, ghl.WithVersion("2021-04-15"),
		ghl.WithHeader("X-Request-Id", "r-1"), ghl.WithHeader("Authorization", "Bearer stolen"), ghl.WithResponse(&resp))
	require.NoError(t, err)
	assert.Equal(t, "vip", out.Tags[0].Name)
	assert.Equal(t, 2, resp.Attempts, "GET is retried")
	r := rec.requests()[1]
	assert.Equal(t, basePath+"/locations/"+testLocation+"/tags", r.Path)
	assert.Equal(t, "limit=5", r.RawQuery)
	assert.Equal(t, "2021-04-15", r.Header.Get("Version"))
	assert.Equal(t, "r-1", r.Header.Get("X-Request-Id"))
	assert.Equal(t, "Bearer "+testToken, r.Header.Get("Authorization"), "WithHeader cannot replace the token")

	// POST is a create unless told otherwise: not resent after a 502.
	rec = newRecorder(t, answer{status: 502, body: `bad gateway`}, answer{status: 201, body: `{"tag":{"id":"t2"}}`})
	c = rec.client()
	err = c.Do(ctx, "POST", "/locations/"+testLocation+"/tags", map[string]string{"name": "new"}, nil)
	assert.ErrorIs(t, err, ghl.ErrMaybeProcessed)
	assert.Len(t, rec.requests(), 1)
	assert.JSONEq(t, `{"name":"new"}`, string(rec.requests()[0].Body))
	err = c.Do(ctx, "POST", "/locations/"+testLocation+"/tags", map[string]string{"name": "new"}, nil, ghl.WithRetryClass(ghl.RetrySafe))
	require.NoError(t, err)

	// Refused before sending.
	rec = newRecorder(t)
	c = rec.client()
	for _, bad := range []struct{ method, path string }{
		{"GET", "https://evil.example/steal"}, {"GET", "//evil.example/x"}, {"GET", "locations"},
		{"GET", "/locations/../oauth/token"}, {"GET", "/x#frag"}, {"TRACE", "/x"},
	} {
		assert.ErrorIs(t, c.Do(ctx, bad.method, bad.path, nil, nil), ghl.ErrInvalidInput, "%s %s", bad.method, bad.path)
	}
	assert.ErrorIs(t, c.Do(ctx, "GET", "/x", map[string]int{"a": 1}, nil), ghl.ErrInvalidInput)
	assert.Empty(t, rec.requests())
}
