package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/internal/testenv"
)

// syncBuffer is a buffer written by one goroutine and read by another.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestLoginThenUseTheStoredTokens: login prints the choose-location page;
// a person approves it there (ghltest's page, its form posted as a browser
// would); the tokens are kept encrypted, never in clear on disk; later
// commands use them, refreshing when they expire; auth status shows the
// location, scopes and expiry and no secret.
func TestLoginThenUseTheStoredTokens(t *testing.T) {
	t.Parallel()
	clk := ghltest.NewClock(time.Now())
	srv := fake(t, ghltest.WithClock(clk.Now), ghltest.WithTokenLifetime(time.Hour))
	dir := t.TempDir()
	vars := map[string]string{"GHLCTL_CONFIG_DIR": dir, "GHL_BASE_URL": srv.URL(), "GHL_CLIENT_ID": ghltest.DefaultClientID,
		"GHL_CLIENT_SECRET": ghltest.DefaultClientSecret}
	getenv := func(k string) string { return vars[k] }
	var stderr, stdout syncBuffer
	done := make(chan int)
	go func() {
		done <- run(context.Background(), []string{"login", "--no-browser", "--port", "0", "--authorize-url", srv.URL() + ghltest.DefaultAuthorizePath},
			env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: getenv})
	}()
	var authURL string
	testenv.WaitFor(t, "the choose-location page's URL", func() bool {
		for _, line := range strings.Split(stderr.String(), "\n") {
			if strings.HasPrefix(line, srv.URL()) {
				authURL = line
			}
		}
		return authURL != ""
	})
	// The person approves: the page's form, posted; the redirect followed
	// to ghlctl's loopback.
	u, _ := url.Parse(authURL)
	q := u.Query()
	form := url.Values{"client_id": {q.Get("client_id")}, "redirect_uri": {q.Get("redirect_uri")}, "scope": {q.Get("scope")},
		"state": {q.Get("state")}, "location_id": {ghltest.DefaultLocationID}, "decision": {"approve"}}
	resp, err := http.PostForm(srv.URL()+ghltest.DefaultAuthorizePath, form)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if code := <-done; code != 0 || !strings.Contains(string(page), "close this tab") {
		t.Fatalf("login: exit %d, page %q, stderr %s", code, page, stderr.String())
	}
	if !strings.Contains(stdout.String(), "logged in: location "+ghltest.DefaultLocationID) {
		t.Fatalf("login said %q", stdout.String())
	}
	// No secret in clear on disk.
	_ = filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			b, _ := os.ReadFile(path)
			if bytes.Contains(b, []byte(ghltest.DefaultClientSecret)) || bytes.Contains(b, []byte("access_token")) {
				t.Errorf("%s holds a secret in clear", path)
			}
		}
		return nil
	})
	use := []string{"GHLCTL_CONFIG_DIR=" + dir, "GHL_BASE_URL=" + srv.URL(), "GHL_CLIENT_ID=" + ghltest.DefaultClientID,
		"GHL_CLIENT_SECRET=" + ghltest.DefaultClientSecret, "GHL_TOKEN=", "GHL_LOCATION_ID="}
	r := ghlctl(t, nil, "", use, "auth", "status", "-o", "json")
	var rows []map[string]string
	if err := json.Unmarshal([]byte(r.stdout), &rows); r.code != 0 || err != nil || rows[0]["location"] != ghltest.DefaultLocationID ||
		!strings.Contains(rows[0]["scopes"], "contacts.readonly") || rows[0]["accepted"] != "yes" {
		t.Fatalf("auth status: exit %d, %v, %s %s", r.code, err, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, ghltest.DefaultClientSecret) {
		t.Fatal("auth status printed the client secret")
	}
	clk.Advance(2 * time.Hour) // the access token has expired: refreshed on use
	r = ghlctl(t, nil, "", use, "contacts", "search", "--limit", "1")
	if r.code != 0 || srv.TokenGrants("refresh_token") != 1 {
		t.Fatalf("after expiry: exit %d, %d refreshes, %s", r.code, srv.TokenGrants("refresh_token"), r.stderr)
	}
}
