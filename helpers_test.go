package ghl_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

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
