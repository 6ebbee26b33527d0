package ghl_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
)

const (
	testToken    = "pit-7f3c9a1e-SECRET-token"
	testLocation = "ve9EPM428h8vShlRW1KT"
	contactID    = "ocQHyuzHvysMo5N5VsXc"
	basePath     = "/api-base" // a non-root base path, so absolute-path bugs show
)

// recorded is one request as the test server saw it.
type recorded struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte
}

// answer is what the test server replies.
type answer struct {
	status int
	header map[string]string
	body   string
	cut    bool // declare 64 more bytes than are sent: the body is cut off
	drop   bool // close the connection without answering
}

// recorder is an httptest server that records requests and plays answers in
// order (the last one repeats).
type recorder struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	reqs    []recorded
	answers []answer
}

func newRecorder(t *testing.T, answers ...answer) *recorder {
	t.Helper()
	r := &recorder{t: t, answers: answers}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *recorder) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.reqs = append(r.reqs, recorded{req.Method, req.URL.Path, req.URL.RawQuery, req.Header.Clone(), body})
	n := len(r.reqs)
	a := answer{status: 200, body: "{}"}
	if len(r.answers) > 0 {
		a = r.answers[min(n, len(r.answers))-1]
	}
	r.mu.Unlock()
	if a.drop {
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
		return
	}
	if a.cut {
		w.Header().Set("Content-Length", strconv.Itoa(len(a.body)+64))
	}
	for k, v := range a.header {
		w.Header().Set(k, v)
	}
	if a.header["Content-Type"] == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(a.status)
	_, _ = io.WriteString(w, a.body)
}

func (r *recorder) requests() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.reqs...)
}

// client returns a client for the recorder with fast retries.
func (r *recorder) client(opts ...ghl.Option) *ghl.Client {
	r.t.Helper()
	base := []ghl.Option{
		ghl.WithBaseURL(r.srv.URL + basePath),
		ghl.WithToken(testToken),
		ghl.WithLocation(testLocation),
		ghl.WithRetryPolicy(ghl.RetryPolicy{MaxRetries: 3, MinWait: time.Millisecond, MaxWait: 50 * time.Millisecond}),
	}
	c, err := ghl.NewClient(append(base, opts...)...)
	require.NoError(r.t, err)
	return c
}

var okContact = `{"contact":{"id":"` + contactID + `","email":"a@b.co"}}`

// mockClient returns a client whose HTTP goes to an httpmock transport.
func mockClient(t *testing.T, p ghl.RetryPolicy) (*ghl.Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	c, err := ghl.NewClient(ghl.WithToken(testToken), ghl.WithLocation(testLocation),
		ghl.WithHTTPClient(&http.Client{Transport: mt}), ghl.WithRetryPolicy(p))
	require.NoError(t, err)
	return c, mt
}

// newSlowServer answers every request after 300ms, calling hit first.
func newSlowServer(t *testing.T, hit func()) string {
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hit()
		mu.Unlock()
		select {
		case <-time.After(300 * time.Millisecond):
		case <-r.Context().Done():
		}
		w.WriteHeader(201)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// Payloads shaped like the spec's examples.
const (
	contactJSON = `{"id":"ocQHyuzHvysMo5N5VsXc","name":"rosan Deo","locationId":"ve9EPM428h8vShlRW1KT",
		"firstName":"rosan","lastName":"Deo","email":"rosan@deos.com","emailLowerCase":"rosan@deos.com",
		"timezone":"Asia/Calcutta","companyName":"DGS VolMAX","phone":"+1 888-888-8888","dnd":true,
		"dndSettings":{"Call":{"status":"active","message":"string","code":"string"}},"type":"read",
		"source":"public api","assignedTo":"182goXVW3lIExEQPOnd3","address1":"3535 1st St N","city":"Dolomite",
		"state":"AL","country":"US","postalCode":"35061","website":"https://www.tesla.com","tags":["nisi sint commodo amet","consequat"],
		"dateOfBirth":"1990-09-25","dateAdded":"2021-07-02T05:18:26.704Z","dateUpdated":"2021-07-02T05:18:26.704Z",
		"attachments":"string","ssn":"string","keyword":"test","firstNameLowerCase":"rosan","fullNameLowerCase":"rosan deo",
		"lastNameLowerCase":"deo","lastActivity":"2021-07-16T11:39:30.564Z",
		"customFields":[{"id":"MgobCB14YMVKuE4Ka8p1","value":"name"},{"id":"num","value":42},{"id":"multi","value":["a","b"]}],
		"businessId":"641c094001436dbc2081e642",
		"attributionSource":{"url":"https://example.com","campaign":"","utmSource":"","sessionSource":"CRM UI","medium":"manual"},
		"lastAttributionSource":{"url":"https://example.com/last"},"visitorId":"string","unknownField":{"x":1}}`
	taskJSON        = `{"id":"ve9EPM428h8vShlRW1KT","title":"Task 1","body":"Task description","assignedTo":"ve9EPM428h8vShlRW1KT","dueDate":"2020-10-25T11:00:00.000Z","completed":false,"contactId":"ocQHyuzHvysMo5N5VsXc"}`
	noteJSON        = `{"id":"ve9EPM428h8vShlRW1KT","body":"Note body","userId":"ve9EPM428h8vShlRW1KT","dateAdded":"2024-06-05T11:00:00.000Z","contactId":"ocQHyuzHvysMo5N5VsXc","title":"Call recap","color":"#FFAA00","pinned":true}`
	appointmentJSON = `{"id":"ocQHyuzHvysMo5N5VsXc","calendarId":"BqTwX8QFwXzpegMve9EV","status":"booked","title":"Appointment with GHL Dev team","assignedUserId":"YlWd2wuCAZQzh2cH1fVZ","notes":"Some dummy note","startTime":"2021-07-16 11:00:00","endTime":"2021-07-16 12:00:00","address":"https://meet.google.com/yqp-gogr-wve","locationId":"ve9EPM428h8vShlRW1KT","contactId":"ocQHyuzHvysMo5N5VsXc","groupId":"ocQHyuzHvysMo5N5VsXc","appointmentStatus":"confirmed","users":["YlWd2wuCAZQzh2cH1fVZ"],"dateAdded":"2021-07-16 11:00:00","dateUpdated":"2021-07-16 11:00:00","assignedResources":["ocQHyuzHvysMo5N5VsXc"]}`
)

type opCase struct {
	name      string
	call      func(context.Context, *ghl.Client) (any, error)
	method    string
	path      string // below the base path
	query     url.Values
	body      string // expected JSON body; "" means no body
	status    int
	answer    string
	check     func(t *testing.T, got any)
	operation string // the spec's operationId, to count coverage
}

// runOperations sends every operation of cases and checks the exact
// request and the decoded answer.
func runOperations(t *testing.T, cases []opCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status := tc.status
			if status == 0 {
				status = 200
			}
			rec := newRecorder(t, answer{status: status, body: tc.answer})
			got, err := tc.call(context.Background(), rec.client())
			require.NoError(t, err)
			reqs := rec.requests()
			require.Len(t, reqs, 1)
			r := reqs[0]
			assert.Equal(t, tc.method, r.Method)
			assert.Equal(t, basePath+tc.path, r.Path)
			gotQuery, _ := url.ParseQuery(r.RawQuery)
			if tc.query == nil {
				assert.Empty(t, r.RawQuery)
			} else {
				assert.Equal(t, tc.query, gotQuery)
			}
			assert.Equal(t, "2021-07-28", r.Header.Get("Version"))
			assert.Equal(t, "Bearer "+testToken, r.Header.Get("Authorization"))
			assert.Equal(t, "application/json", r.Header.Get("Accept"))
			if tc.body == "" {
				assert.Empty(t, r.Body)
				assert.Empty(t, r.Header.Get("Content-Type"))
			} else {
				assert.JSONEq(t, tc.body, string(r.Body))
				assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
			}
			if tc.check != nil {
				tc.check(t, got)
			}
		})
	}
}
