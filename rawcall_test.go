package ghl_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ghlkit/ghl"
)

// TestDoRefusesEscapedDotSegments: a server decodes a segment before it
// resolves dots, so %2e%2e is ".." to it; an escaped slash or a backslash
// can hide one inside a segment. Each is refused before anything is sent,
// and ordinary escapes still pass.
func TestDoRefusesEscapedDotSegments(t *testing.T) {
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
