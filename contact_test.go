package ghl_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
)

// TestAnEmailThatIsNotOneSendsNothing: Create, Update, Upsert and
// Validate refuse what HighLevel answers "email must be an email" for,
// naming the field; real addresses pass.
func TestAnEmailThatIsNotOneSendsNothing(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	c := rec.client()
	ctx := context.Background()
	for _, bad := range []string{"bob at example.com", "bob", "@example.com", "bob@", "bob@@example.com", "a@b@example.com",
		"bob@localhost", "bob @example.com", "bob@exa mple.com", "bob@example.com\n"} {
		_, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr(bad)})
		var ie *ghl.InputError
		require.ErrorAs(t, err, &ie, "create %q", bad)
		assert.Equal(t, "email", ie.Field)
		_, err = c.Contacts.Update(ctx, contactID, ghl.UpdateContactRequest{Email: ghl.Ptr(bad)})
		require.ErrorIs(t, err, ghl.ErrInvalidInput, "update %q", bad)
		_, err = c.Contacts.Upsert(ctx, ghl.UpsertContactRequest{CreateContactRequest: ghl.CreateContactRequest{Email: ghl.Ptr(bad)}})
		require.ErrorIs(t, err, ghl.ErrInvalidInput, "upsert %q", bad)
		require.ErrorIs(t, (&ghl.CreateContactRequest{Email: ghl.Ptr(bad)}).Validate(), ghl.ErrInvalidInput, "validate %q", bad)
	}
	assert.Empty(t, rec.requests(), "no request was sent")
	for _, good := range []string{"ada@example.com", "Ada.Lovelace+crm@mail.example.co.uk", "o'brien@example.ie"} {
		assert.NoError(t, (&ghl.CreateContactRequest{Email: ghl.Ptr(good)}).Validate(), good)
	}
}

func TestUnknownAndOddFieldsDecode(t *testing.T) {
	var c ghl.Contact
	require.NoError(t, json.Unmarshal([]byte(`{"id":"x","dateOfBirth":"Date format YYYY-MM-DD","dateAdded":1625203106704,
		"followers":"u1","attachments":[{"url":"a"}],"newThing":[1,2]}`), &c))
	assert.Equal(t, "Date format YYYY-MM-DD", c.DateOfBirth.Raw)
	assert.True(t, c.DateOfBirth.IsZero())
	assert.Equal(t, int64(1625203106704), c.DateAdded.UnixMilli())
	assert.Equal(t, ghl.StringList{"u1"}, c.Followers)
}
