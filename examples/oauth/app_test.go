package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
)

// browser is a cookie-keeping HTTP client that does not follow redirects.
type browser struct {
	t  *testing.T
	hc *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *browser) get(u string) (int, string, string) {
	b.t.Helper()
	resp, err := b.hc.Get(u)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

// connect starts a sign-in and returns the state the app put in the
// authorize URL.
func (b *browser) connect(app string) string {
	b.t.Helper()
	status, loc, _ := b.get(app + "/connect")
	if status != http.StatusFound {
		b.t.Fatalf("/connect answered %d", status)
	}
	u, err := url.Parse(loc)
	if err != nil {
		b.t.Fatal(err)
	}
	return u.Query().Get("state")
}

type fixture struct {
	srv      *ghltest.Server
	app      *App
	url      string
	redirect string
}

func newFixture(t *testing.T, opts ...ghltest.Option) *fixture {
	srv := ghltest.NewServer(append([]ghltest.Option{ghltest.WithContacts(3)}, opts...)...)
	t.Cleanup(srv.Close)
	hs := httptest.NewUnstartedServer(nil)
	redirect := "http://" + hs.Listener.Addr().String() + "/callback"
	app := NewApp(FakeConfig(srv, redirect), ghl.NewMemoryStore())
	hs.Config.Handler = app
	hs.Start()
	t.Cleanup(hs.Close)
	return &fixture{srv: srv, app: app, url: hs.URL, redirect: redirect}
}

// approve plays HighLevel's choose-location page: a code for location.
func (f *fixture) approve(t *testing.T, b *browser, state, location string) (int, string) {
	t.Helper()
	code, err := f.srv.AuthorizationCode(ghltest.DefaultClientID, f.redirect, location, "contacts.readonly")
	if err != nil {
		t.Fatal(err)
	}
	status, _, body := b.get(f.url + "/callback?" + url.Values{"code": {code}, "state": {state}}.Encode())
	return status, body
}

// TestEachVisitorSeesOnlyTheirLocation: two browsers connect two locations;
// each sees its own contacts, and a third browser sees the Connect page.
func TestEachVisitorSeesOnlyTheirLocation(t *testing.T) {
	const loc2 = "SecondLocation000001"
	f := newFixture(t, ghltest.WithLocations(ghltest.DefaultLocationID, loc2))
	f.srv.Seed(loc2, 2)
	a, b := newBrowser(t), newBrowser(t)
	if status, _ := f.approve(t, a, a.connect(f.url), ghltest.DefaultLocationID); status != http.StatusSeeOther {
		t.Fatalf("a's callback: %d", status)
	}
	if status, _ := f.approve(t, b, b.connect(f.url), loc2); status != http.StatusSeeOther {
		t.Fatalf("b's callback: %d", status)
	}
	_, _, pa := a.get(f.url + "/")
	_, _, pb := b.get(f.url + "/")
	_, _, pc := newBrowser(t).get(f.url + "/")
	if !strings.Contains(pa, "Contacts of "+ghltest.DefaultLocationID) || !strings.Contains(pb, "Contacts of "+loc2) {
		t.Fatalf("each visitor must see their own location:\nA: %s\nB: %s", pa, pb)
	}
	if !strings.Contains(pc, `href="/connect"`) || strings.Contains(pc, "Contacts of") {
		t.Fatalf("a new visitor must see the Connect page:\n%s", pc)
	}
}

// TestStateIsBoundToTheBrowser: a state started in one browser cannot be
// completed in another, nor used twice, nor after it expired.
func TestStateIsBoundToTheBrowser(t *testing.T) {
	f := newFixture(t)
	a, mallory := newBrowser(t), newBrowser(t)
	state := a.connect(f.url)
	mallory.get(f.url + "/") // mallory has a session of her own
	if status, body := f.approve(t, mallory, state, ghltest.DefaultLocationID); status != http.StatusBadRequest || !strings.Contains(body, "another browser") {
		t.Fatalf("a state from another browser: %d\n%s", status, body)
	}
	if status, _ := f.approve(t, a, state, ghltest.DefaultLocationID); status != http.StatusBadRequest {
		t.Fatalf("a state is single-use, even after a refused attempt: %d", status)
	}
	state = a.connect(f.url)
	now := time.Now()
	f.app.now = func() time.Time { return now.Add(stateTTL + time.Minute) }
	if status, _ := f.approve(t, a, state, ghltest.DefaultLocationID); status != http.StatusBadRequest {
		t.Fatalf("an expired state: %d", status)
	}
	f.app.now = time.Now
	if status, _ := f.approve(t, a, a.connect(f.url), ghltest.DefaultLocationID); status != http.StatusSeeOther {
		t.Fatalf("a fresh state in the right browser: %d", status)
	}
	if n := f.srv.TokenGrants("authorization_code"); n != 1 {
		t.Fatalf("%d code exchanges, want 1", n)
	}
}

// TestPendingStatesAreBounded: a flood of /connect never grows the pending
// states past the bound, and expired ones are dropped.
func TestPendingStatesAreBounded(t *testing.T) {
	f := newFixture(t)
	b := newBrowser(t)
	now := time.Now()
	f.app.now = func() time.Time { return now }
	for range 50 {
		b.connect(f.url)
	}
	now = now.Add(stateTTL + time.Second)
	b.connect(f.url)
	f.app.mu.Lock()
	n := len(f.app.states)
	f.app.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d pending states after the others expired, want 1", n)
	}
}

// TestDeclineAndFailuresShowNoRawErrors: a user who declines is told so;
// a failed exchange shows a message and a reference, never the error text.
func TestDeclineAndFailuresShowNoRawErrors(t *testing.T) {
	f := newFixture(t)
	b := newBrowser(t)
	state := b.connect(f.url)
	status, _, body := b.get(f.url + "/callback?error=access_denied&state=" + state)
	if status != http.StatusOK || !strings.Contains(body, "You declined the connection") || !strings.Contains(body, `href="/connect"`) {
		t.Fatalf("declined: %d\n%s", status, body)
	}
	state = b.connect(f.url)
	status, _, body = b.get(f.url + "/callback?code=not-a-real-code&state=" + state)
	if status != http.StatusBadGateway || strings.Contains(body, "ghl:") || strings.Contains(body, "invalid_grant") || !strings.Contains(body, "ref ") {
		t.Fatalf("a failed exchange must show a plain message with a reference: %d\n%s", status, body)
	}
}
