package ghlsync_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl/ghlsync"
)

// TestUpdateRequestDND (defects 8 and 9): a changed DND channel sends the
// whole object of the record's channels (right whether HighLevel replaces
// dndSettings or merges it); a channel only dropped sends nothing, never a
// status nobody set, and is reported in cleared.
func TestUpdateRequestDND(t *testing.T) {
	from := rec(0, "dndSettings.SMS", "inactive", "dndSettings.Email", "inactive", "dndSettings.Call", "active")

	to := from.Set("dndSettings.Email", "active")
	req, ok, cleared := ghlsync.UpdateRequest(from, to)
	require.True(t, ok)
	assert.Empty(t, cleared)
	b, err := json.Marshal(req)
	require.NoError(t, err)
	assert.JSONEq(t, `{"dndSettings":{"SMS":{"status":"inactive"},"Email":{"status":"active"},"Call":{"status":"active"}}}`, string(b))

	to = from.Set("dndSettings.Call", "")
	req, ok, cleared = ghlsync.UpdateRequest(from, to)
	assert.False(t, ok, "nothing to send")
	assert.Nil(t, req.DNDSettings)
	assert.Equal(t, []string{"dndSettings.Call"}, cleared)

	to = from.Set("dndSettings.Call", "").Set("dndSettings.SMS", "active")
	req, ok, cleared = ghlsync.UpdateRequest(from, to)
	require.True(t, ok)
	b, _ = json.Marshal(req)
	assert.JSONEq(t, `{"dndSettings":{"SMS":{"status":"active"},"Email":{"status":"inactive"}}}`, string(b), "the whole object, without the dropped channel")
	assert.NotContains(t, string(b), `"Call"`)
	assert.Equal(t, []string{"dndSettings.Call"}, cleared)
}
