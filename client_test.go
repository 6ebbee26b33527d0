package ghl_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
)

// TestRequestCounter: a counter on the context counts every request its
// calls send, retries included, and nothing of calls made without it or
// refused before sending.
func TestRequestCounter(t *testing.T) {
	rec := newRecorder(t, answer{status: 503, body: `{}`}, answer{status: 200, body: okContact})
	c := rec.client()
	var n ghl.RequestCounter
	ctx := ghl.ContextWithRequestCounter(context.Background(), &n)
	_, err := c.Contacts.Get(ctx, contactID)
	require.NoError(t, err)
	assert.EqualValues(t, 2, n.Count(), "a 503 and its retry")
	_, err = c.Contacts.Get(ctx, "a/b")
	require.Error(t, err)
	assert.EqualValues(t, 2, n.Count(), "refused before sending: nothing sent")
	_, err = c.Contacts.Get(context.Background(), contactID)
	require.NoError(t, err)
	assert.EqualValues(t, 2, n.Count(), "a call without the counter")
}
