package ghl_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
)

func TestErrorShapes(t *testing.T) {
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
	rec := newRecorder(t, answer{status: 200, body: `{"succeded":false}`})
	err := rec.client().Contacts.Delete(context.Background(), contactID)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "succeded=false")
}

func TestMalformedSuccessBody(t *testing.T) {
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
