package ghl_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
)

// TestBadIDsSendNothing: every invalid ID form is refused before a request
// is sent, with an error that names the parameter.
func TestBadIDsSendNothing(t *testing.T) {
	bad := map[string]string{
		"empty": "", "slash": "abc/def", "query": "abc?x=1", "fragment": "abc#x", "dotdot": "..",
		"dotdot inside": "a..b", "space": "abc def", "newline": "abc\n", "nul": "abc\x00", "tab": "a\tb",
		"percent": "abc%2F", "backslash": `a\b`, "non-ascii": "abcé",
	}
	calls := map[string]func(*ghl.Client, string) error{
		"Contacts.Get contactId": func(c *ghl.Client, id string) error {
			_, err := c.Contacts.Get(context.Background(), id)
			return err
		},
		"Contacts.Delete contactId": func(c *ghl.Client, id string) error { return c.Contacts.Delete(context.Background(), id) },
		"Tasks.Get taskId": func(c *ghl.Client, id string) error {
			_, err := c.Tasks.Get(context.Background(), contactID, id)
			return err
		},
		"Notes.Delete noteId": func(c *ghl.Client, id string) error { return c.Notes.Delete(context.Background(), contactID, id) },
		"Contacts.AddToWorkflow workflowId": func(c *ghl.Client, id string) error {
			return c.Contacts.AddToWorkflow(context.Background(), contactID, id, timeZero)
		},
		"Contacts.ListByBusiness businessId": func(c *ghl.Client, id string) error {
			_, err := c.Contacts.ListByBusiness(context.Background(), id, ghl.BusinessListOptions{})
			return err
		},
		"ghl.WithLocation locationId": func(_ *ghl.Client, id string) error {
			_, err := ghl.NewClient(ghl.WithToken("t"), ghl.WithLocation(id))
			return err
		},
		"Contacts.BulkAddTags contacts": func(c *ghl.Client, id string) error {
			_, err := c.Contacts.BulkAddTags(context.Background(), ghl.BulkTagsRequest{ContactIDs: []string{contactID, id}, Tags: []string{"t"}})
			return err
		},
	}
	rec := newRecorder(t)
	c := rec.client()
	for cname, call := range calls {
		for bname, id := range bad {
			err := call(c, id)
			require.ErrorIs(t, err, ghl.ErrInvalidInput, "%s with %s ID", cname, bname)
			param := cname[strings.LastIndexByte(cname, ' ')+1:]
			assert.Contains(t, err.Error(), param, "%s with %s ID names the parameter", cname, bname)
		}
	}
	assert.Empty(t, rec.requests(), "no request was sent")
}

func TestBadInputSendsNothing(t *testing.T) {
	rec := newRecorder(t)
	c := rec.client()
	noLoc, err := ghl.NewClient(ghl.WithToken(testToken), ghl.WithBaseURL(rec.srv.URL))
	require.NoError(t, err)
	ctx := context.Background()
	long := strings.Repeat("x", 76)
	cases := []struct {
		field string
		call  func() error
	}{
		{"locationId", func() error { _, err := noLoc.Contacts.Create(ctx, ghl.CreateContactRequest{}); return err }},
		{"locationId", func() error { _, err := noLoc.Contacts.Search(ctx, ghl.SearchRequest{}); return err }},
		{"pageLimit", func() error { _, err := c.Contacts.Search(ctx, ghl.SearchRequest{PageLimit: 501}); return err }},
		{"page", func() error {
			_, err := c.Contacts.Search(ctx, ghl.SearchRequest{PageLimit: 500, Page: 21})
			return err
		}},
		{"page", func() error {
			_, err := c.Contacts.Search(ctx, ghl.SearchRequest{Page: 2, SearchAfter: []byte(`[1]`)})
			return err
		}},
		{"query", func() error { _, err := c.Contacts.Search(ctx, ghl.SearchRequest{Query: long}); return err }},
		{"filters[0].value", func() error {
			_, err := c.Contacts.Search(ctx, ghl.SearchRequest{Filters: []ghl.Filter{ghl.Eq("email", long)}})
			return err
		}},
		{"filters[0].filters[1].operator", func() error {
			_, err := c.Contacts.Search(ctx, ghl.SearchRequest{Filters: []ghl.Filter{ghl.Or(ghl.Exists("email"), ghl.Filter{Field: "x", Operator: "like", Value: "y"})}})
			return err
		}},
		{"filters[0].value", func() error {
			_, err := c.Contacts.Search(ctx, ghl.SearchRequest{Filters: []ghl.Filter{{Field: "email", Operator: ghl.OpExists, Value: "x"}}})
			return err
		}},
		{"sort[0].direction", func() error {
			_, err := c.Contacts.Search(ctx, ghl.SearchRequest{Sort: []ghl.Sort{{Field: "dateAdded", Direction: "up"}}})
			return err
		}},
		{"dndSettings.SMS.status", func() error {
			_, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{DNDSettings: &ghl.DNDSettings{SMS: &ghl.DNDSetting{Status: "on"}}})
			return err
		}},
		{"customFields[0]", func() error {
			_, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{CustomFields: []ghl.CustomFieldInput{{Value: "x"}}})
			return err
		}},
		{"email", func() error { _, err := c.Contacts.Upsert(ctx, ghl.UpsertContactRequest{}); return err }},
		{"tags", func() error { _, err := c.Tags.Add(ctx, contactID, nil); return err }},
		{"tags[1]", func() error { _, err := c.Tags.Add(ctx, contactID, []string{"a", ""}); return err }},
		{"title", func() error {
			_, err := c.Tasks.Create(ctx, contactID, ghl.CreateTaskRequest{DueDate: timeZero.AddDate(2000, 0, 0)})
			return err
		}},
		{"dueDate", func() error { _, err := c.Tasks.Create(ctx, contactID, ghl.CreateTaskRequest{Title: "x"}); return err }},
		{"body", func() error { _, err := c.Notes.Create(ctx, contactID, ghl.CreateNoteRequest{}); return err }},
		{"limit", func() error { _, err := c.Contacts.List(ctx, ghl.ListOptions{Limit: 101}); return err }},
		{"followers", func() error { _, err := c.Contacts.AddFollowers(ctx, contactID, nil); return err }},
		{"removeAllTags", func() error {
			_, err := c.Contacts.BulkAddTags(ctx, ghl.BulkTagsRequest{ContactIDs: []string{contactID}, RemoveAllTags: true})
			return err
		}},
		{"ids", func() error { _, err := c.Contacts.BulkRemoveFromBusiness(ctx, ghl.BulkBusinessRequest{}); return err }},
	}
	for _, tc := range cases {
		err := tc.call()
		require.ErrorIs(t, err, ghl.ErrInvalidInput, tc.field)
		var ie *ghl.InputError
		require.ErrorAs(t, err, &ie)
		assert.Equal(t, tc.field, ie.Field)
	}
	assert.Empty(t, rec.requests(), "no request was sent")
}

func TestNewClientOptions(t *testing.T) {
	cases := map[string][]ghl.Option{
		"no token":            nil,
		"empty token":         {ghl.WithToken(" ")},
		"malformed base":      {ghl.WithToken("t"), ghl.WithBaseURL("://nope")},
		"relative base":       {ghl.WithToken("t"), ghl.WithBaseURL("/v2")},
		"plain http remote":   {ghl.WithToken("t"), ghl.WithBaseURL("http://services.leadconnectorhq.com")},
		"base with query":     {ghl.WithToken("t"), ghl.WithBaseURL("https://x.example/?a=1")},
		"bad location":        {ghl.WithToken("t"), ghl.WithLocation("a/b")},
		"nil http client":     {ghl.WithToken("t"), ghl.WithHTTPClient(nil)},
		"negative wait":       {ghl.WithToken("t"), ghl.WithRetryPolicy(ghl.RetryPolicy{MinWait: -1})},
		"token and source":    {ghl.WithToken("t"), ghl.WithTokenSource(staticSource("x"))},
		"multi-line agent":    {ghl.WithToken("t"), ghl.WithUserAgent("a\r\nb")},
		"whitespace in token": {ghl.WithToken("a b")},
	}
	for name, opts := range cases {
		_, err := ghl.NewClient(opts...)
		assert.Error(t, err, name)
	}
	for _, ok := range []string{"https://services.leadconnectorhq.com", "http://127.0.0.1:8080/base/", "http://localhost:1", "http://[::1]:9/x"} {
		_, err := ghl.NewClient(ghl.WithToken("t"), ghl.WithBaseURL(ok))
		assert.NoError(t, err, ok)
	}
}

type staticSource string

func (s staticSource) AccessToken(context.Context) (string, error) { return string(s), nil }

func TestTokenSourceIsAskedPerCall(t *testing.T) {
	rec := newRecorder(t, answer{status: 200, body: `{"contact":{"id":"x"}}`})
	c, err := ghl.NewClient(ghl.WithBaseURL(rec.srv.URL), ghl.WithTokenSource(staticSource("dyn-token")))
	require.NoError(t, err)
	_, err = c.Contacts.Get(context.Background(), contactID)
	require.NoError(t, err)
	assert.Equal(t, "Bearer dyn-token", rec.requests()[0].Header.Get("Authorization"))
}

func TestClientNeverPrintsToken(t *testing.T) {
	c, err := ghl.NewClient(ghl.WithToken(testToken))
	require.NoError(t, err)
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c)} {
		assert.NotContains(t, s, testToken)
		assert.NotContains(t, s, "SECRET")
	}
}

// TestAnEmailThatIsNotOneSendsNothing: Create, Update, Upsert and
// Validate refuse what HighLevel answers "email must be an email" for,
// naming the field; real addresses pass.
func TestAnEmailThatIsNotOneSendsNothing(t *testing.T) {
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
