package ghl_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
)

func TestErrorShapes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		status   int
		header   map[string]string
		body     string
		sentinel error
		messages []string
		check    func(t *testing.T, err error)
	}{
		{name: "400 string message", status: 400, body: `{"statusCode":400,"message":"Bad Request"}`,
			messages: []string{"Bad Request"}},
		{name: "401", status: 401, body: `{"statusCode":401,"message":"Invalid token: access token is invalid","error":"Unauthorized"}`,
			sentinel: ghl.ErrUnauthorized, messages: []string{"Invalid token: access token is invalid"}},
		{name: "403", status: 403, body: `{"statusCode":403,"message":"The token does not have access to this location.","error":"Forbidden"}`,
			sentinel: ghl.ErrForbidden, messages: []string{"The token does not have access to this location."}},
		{name: "404", status: 404, body: `{"statusCode":404,"message":"Contact not found"}`,
			sentinel: ghl.ErrNotFound, messages: []string{"Contact not found"}},
		{name: "400 not found", status: 400, body: `{"statusCode":400,"message":"Contact not found"}`,
			sentinel: ghl.ErrNotFound, messages: []string{"Contact not found"}},
		{name: "422 array message", status: 422, body: `{"statusCode":422,"message":["email must be an email","phone should not exist"],"error":"Unprocessable Entity"}`,
			messages: []string{"email must be an email", "phone should not exist"},
			check: func(t *testing.T, err error) {
				var ae *ghl.APIError
				require.ErrorAs(t, err, &ae)
				assert.Equal(t, "Unprocessable Entity", ae.ErrorText)
			}},
		{name: "429 daily", status: 429, body: `{"statusCode":429,"message":"Too many requests"}`,
			header:   map[string]string{"X-RateLimit-Daily-Remaining": "0", "X-RateLimit-Limit-Daily": "200000", "X-RateLimit-Max": "100", "X-RateLimit-Remaining": "40", "X-RateLimit-Interval-Milliseconds": "10000"},
			sentinel: ghl.ErrRateLimited, messages: []string{"Too many requests"},
			check: func(t *testing.T, err error) {
				var rl *ghl.RateLimitError
				require.ErrorAs(t, err, &rl)
				assert.True(t, rl.Daily)
				assert.Equal(t, 200000, rl.RateLimit.DailyLimit)
				assert.Equal(t, 0, rl.RateLimit.DailyRemaining)
				assert.Equal(t, 10*time.Second, rl.RateLimit.Window)
			}},
		{name: "500 with trace", status: 500, body: `{"statusCode":500,"message":"Internal server error","traceId":"trace-123"}`,
			messages: []string{"Internal server error"},
			check: func(t *testing.T, err error) {
				var ae *ghl.APIError
				require.ErrorAs(t, err, &ae)
				assert.Equal(t, "trace-123", ae.TraceID)
				assert.Contains(t, err.Error(), "trace-123")
			}},
		{name: "502 not JSON", status: 502, header: map[string]string{"Content-Type": "text/html"},
			body: "<html>\n<body>502 Bad Gateway</body>\n</html>", messages: []string{"<html> <body>502 Bad Gateway</body> </html>"}},
		{name: "duplicate contact", status: 400,
			body:     `{"statusCode":400,"message":"This location does not allow duplicated contacts.","meta":{"contactId":"dupe0000000000000001","contactName":"Ann Lee","matchingField":"email"}}`,
			sentinel: ghl.ErrDuplicateContact, messages: []string{"This location does not allow duplicated contacts."},
			check: func(t *testing.T, err error) {
				var de *ghl.DuplicateContactError
				require.ErrorAs(t, err, &de)
				assert.Equal(t, "dupe0000000000000001", de.ContactID)
				assert.Equal(t, "email", de.MatchingField)
				assert.Equal(t, "Ann Lee", de.ContactName)
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecorder(t, answer{status: tc.status, header: tc.header, body: tc.body})
			_, err := rec.client(ghl.WithRetryPolicy(ghl.RetryPolicy{MaxRetries: ghl.NoRetries})).Contacts.Create(context.Background(),
				ghl.CreateContactRequest{Email: ghl.Ptr("a@b.co")})
			require.Error(t, err)
			var ae *ghl.APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tc.status, ae.StatusCode)
			assert.Equal(t, tc.messages, ae.Messages)
			assert.Equal(t, "POST", ae.Method)
			assert.Equal(t, "/contacts/", ae.Path)
			for _, s := range []error{ghl.ErrNotFound, ghl.ErrUnauthorized, ghl.ErrForbidden, ghl.ErrRateLimited, ghl.ErrDuplicateContact} {
				assert.Equal(t, s == tc.sentinel, errors.Is(err, s), "errors.Is(%v)", s)
			}
			assert.NotContains(t, err.Error(), testToken)
			assert.NotContains(t, fmt.Sprintf("%+v %#v", err, err), testToken)
			if tc.check != nil {
				tc.check(t, err)
			}
		})
	}
}

func TestResponseCapturedOnError(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, answer{status: 404, header: map[string]string{"X-RateLimit-Remaining": "97", "X-RateLimit-Max": "100"},
		body: `{"statusCode":404,"message":"Contact not found"}`})
	var resp ghl.Response
	_, err := rec.client().Contacts.Get(context.Background(), contactID, ghl.WithResponse(&resp))
	require.ErrorIs(t, err, ghl.ErrNotFound)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Equal(t, 1, resp.Attempts)
	assert.Equal(t, 97, resp.RateLimit().Remaining)
	assert.Equal(t, 100, resp.RateLimit().Max)
	assert.Equal(t, -1, resp.RateLimit().DailyRemaining)
}

func TestSucceededFalseIsAnError(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, answer{status: 200, body: `{"succeded":false}`})
	err := rec.client().Contacts.Delete(context.Background(), contactID)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "succeded=false")
}

func TestMalformedSuccessBody(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, answer{status: 200, body: `{"contact":{"id":`})
	_, err := rec.client().Contacts.Get(context.Background(), contactID)
	require.Error(t, err)
	var ae *ghl.AnswerError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 200, ae.StatusCode)
	assert.Equal(t, "/contacts/"+contactID, ae.Path)
	assert.ErrorIs(t, err, ghl.ErrBadAnswer)
	assert.NotErrorIs(t, err, ghl.ErrMaybeProcessed, "a read has nothing to reconcile")
}

func TestBadInputSendsNothing(t *testing.T) {
	t.Parallel()
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

// TestEchoedSecretsAreScrubbed: a server that echoes a credential the SDK
// sent (in a 401 body, an OAuth error_description) never gets it into an
// error's text.
func TestEchoedSecretsAreScrubbed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/oauth/token" {
			w.WriteHeader(400)
			fmt.Fprintf(w, `{"error":"invalid_grant","error_description":"bad grant %s for client secret %s code %s"}`,
				r.PostForm.Get("refresh_token"), r.PostForm.Get("client_secret"), r.PostForm.Get("code"))
			return
		}
		w.WriteHeader(401)
		fmt.Fprintf(w, `{"message":"Invalid JWT: %s","error":"%s"}`, r.Header.Get("Authorization"), r.Header.Get("Authorization"))
	}))
	defer echo.Close()

	c, err := ghl.NewClient(ghl.WithToken(testToken), ghl.WithBaseURL(echo.URL))
	require.NoError(t, err)
	_, err = c.Contacts.Get(ctx, contactID)
	require.ErrorIs(t, err, ghl.ErrUnauthorized)
	var ae *ghl.APIError
	require.ErrorAs(t, err, &ae)
	text := fmt.Sprintf("%v %+v %s %q %s", err, err, ae.Body, ae.Messages, ae.ErrorText)
	assert.NotContains(t, text, testToken)
	assert.Contains(t, text, "[redacted]")

	cfg := &ghl.OAuthConfig{ClientID: "app-1", ClientSecret: ghl.NewSecret("client-secret-value"), BaseURL: echo.URL}
	_, err = cfg.Refresh(ctx, "refresh-token-value", "")
	require.Error(t, err)
	_, err2 := cfg.Exchange(ctx, "authorization-code-value")
	require.Error(t, err2)
	_, err3 := cfg.LocationToken(ctx, "agency-access-token", "company-1", "location-1")
	require.Error(t, err3)
	_, err4 := cfg.InstalledLocations(ctx, "agency-access-token", ghl.InstalledLocationsQuery{CompanyID: "company-1", AppID: "app"})
	require.Error(t, err4)
	for _, e := range []error{err, err2, err3, err4} {
		s := fmt.Sprintf("%v %+v", e, e)
		for _, sec := range []string{"client-secret-value", "refresh-token-value", "authorization-code-value", "agency-access-token"} {
			assert.NotContains(t, s, sec)
		}
	}
	assert.Contains(t, err.Error(), "invalid_grant")
}
