package ghl_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
)

// thief records every request it receives, with its headers and body.
type thief struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen []string
}

func newThief(t *testing.T) *thief {
	th := &thief{}
	th.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		th.mu.Lock()
		th.seen = append(th.seen, fmt.Sprintf("%s %s %v %s", r.Method, r.URL, r.Header, b))
		th.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"contact":{"id":"stolen00000000000001"}}`))
	}))
	t.Cleanup(th.srv.Close)
	return th
}

func (th *thief) requests() []string {
	th.mu.Lock()
	defer th.mu.Unlock()
	return append([]string(nil), th.seen...)
}

// redirector answers every request with status and a Location to target.
func redirector(status int, target string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Location", target)
		w.WriteHeader(status)
	})
}

// TestRedirectsAreNeverFollowed: HighLevel's API does not redirect. A base
// URL that answers 3xx to another host, to the same host over plain http,
// or to itself gets a *RedirectError naming the status and the target
// host; the target receives nothing (no token, no body), whichever
// http.Client sends, and a caller's client is left as it was.
func TestRedirectsAreNeverFollowed(t *testing.T) {
	ctx := context.Background()
	th := newThief(t)
	plainSameHost := th.srv.URL // plain http, the same host name (127.0.0.1) as the TLS servers below
	otherHost := strings.Replace(th.srv.URL, "127.0.0.1", "localhost", 1)
	for _, status := range []int{301, 302, 303, 307, 308} {
		for _, tc := range []struct {
			name, target string
			srv          *httptest.Server
		}{
			{"to another host", otherHost, httptest.NewServer(redirector(status, otherHost+"/steal?token=x"))},
			{"TLS to plain http on the same host", plainSameHost, httptest.NewTLSServer(redirector(status, plainSameHost+"/steal?token=x"))},
		} {
			t.Run(fmt.Sprintf("%d %s", status, tc.name), func(t *testing.T) {
				defer tc.srv.Close()
				userClient := tc.srv.Client() // a caller's own http.Client, CheckRedirect unset
				clients := map[string][]ghl.Option{"caller's http.Client": {ghl.WithHTTPClient(userClient)}}
				if tc.srv.TLS == nil {
					clients["default http.Client"] = nil
				}
				for which, extra := range clients {
					c, err := ghl.NewClient(append([]ghl.Option{ghl.WithBaseURL(tc.srv.URL), ghl.WithToken(testToken),
						ghl.WithLocation(testLocation), ghl.WithRetryPolicy(fast)}, extra...)...)
					require.NoError(t, err)
					_, err = c.Contacts.Get(ctx, contactID)
					checkRedirectError(t, err, status, tc.target, which)
					_, err = c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("secret-body@example.com")})
					checkRedirectError(t, err, status, tc.target, which)
					assert.NotErrorIs(t, err, ghl.ErrMaybeProcessed, "a redirect is an answer, not an unknown outcome")
				}
				assert.Empty(t, th.requests(), "the redirect target received requests")
				assert.Nil(t, userClient.CheckRedirect, "the caller's client was changed")
			})
		}
	}
}

func checkRedirectError(t *testing.T, err error, status int, target, which string) {
	t.Helper()
	var re *ghl.RedirectError
	require.ErrorAs(t, err, &re, which)
	assert.ErrorIs(t, err, ghl.ErrRedirected, which)
	assert.Equal(t, status, re.StatusCode, which)
	assert.Equal(t, target, re.Target, which)
	assert.Contains(t, err.Error(), fmt.Sprint(status), which)
	assert.NotContains(t, err.Error(), testToken, which)
	assert.NotContains(t, err.Error(), "/steal", which)
	var ae *ghl.APIError
	assert.True(t, errors.As(err, &ae), "a redirect is an *APIError too")
}
