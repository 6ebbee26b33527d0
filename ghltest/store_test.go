package ghltest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
)

// TestDuplicateLookupFollowsWrites: the duplicate lookup (indexed by email
// and phone) follows an email changed, a phone cleared and a contact
// deleted, and answers the oldest of two contacts sharing an email.
func TestDuplicateLookupFollowsWrites(t *testing.T) {
	clk := ghltest.NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	srv := ghltest.NewServer(ghltest.WithClock(clk.Now))
	defer srv.Close()
	c, err := srv.Client()
	require.NoError(t, err)
	ctx := context.Background()
	find := func(email, phone string) string {
		got, err := c.Contacts.FindDuplicate(ctx, ghl.DuplicateQuery{Email: email, Phone: phone})
		require.NoError(t, err)
		if got == nil {
			return ""
		}
		return got.ID
	}
	a, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("A@example.com"), Phone: ghl.Ptr("+15550000001")})
	require.NoError(t, err)
	assert.Equal(t, a.ID, find("a@example.com", ""))
	_, err = c.Contacts.Update(ctx, a.ID, ghl.UpdateContactRequest{Email: ghl.Ptr("b@example.com"), Clear: []string{"phone"}})
	require.NoError(t, err)
	assert.Empty(t, find("a@example.com", ""))
	assert.Equal(t, a.ID, find("B@example.com", ""))
	assert.Empty(t, find("", "+15550000001"))
	srv.SetAllowDuplicates(ghltest.DefaultLocationID, true)
	clk.Advance(time.Second)
	second, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("b@example.com")})
	require.NoError(t, err)
	assert.Equal(t, a.ID, find("b@example.com", ""), "the oldest")
	require.NoError(t, c.Contacts.Delete(ctx, a.ID))
	assert.Equal(t, second.ID, find("b@example.com", ""))
}
