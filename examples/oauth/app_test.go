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
	if status, _ := f.approve(t, a, state, ghltest.DefaultLocationID); status != http.StatusSeeOther {
		t.Fatalf("the state in the browser that started it: %d", status)
	}
	if status, _ := f.approve(t, a, state, ghltest.DefaultLocationID); status != http.StatusBadRequest {
		t.Fatalf("a state is single-use: %d", status)
	}
	state = a.connect(f.url)
	now := time.Now()
	f.app.now = func() time.Time { return now.Add(stateTTL + time.Minute) }
	if status, _ := f.approve(t, a, state, ghltest.DefaultLocationID); status != http.StatusBadRequest {
		t.Fatalf("an expired state: %d", status)
	}
	f.app.now = time.Now
	if n := f.srv.TokenGrants("authorization_code"); n != 1 {
		t.Fatalf("%d code exchanges, want 1", n)
	}
}

// TestAnonymousSignInsKeepNothing: 10,000 anonymous visitors pressing
// Connect leave nothing in the app's memory, and a real visitor still
// signs in.
func TestAnonymousSignInsKeepNothing(t *testing.T) {
	f := newFixture(t)
	for range 10_000 {
		req := httptest.NewRequest("GET", "/connect", nil)
		w := httptest.NewRecorder()
		f.app.ServeHTTP(w, req)
		if w.Code != http.StatusFound {
			t.Fatalf("/connect answered %d", w.Code)
		}
	}
	f.app.mu.Lock()
	n := len(f.app.sessions) + len(f.app.clients)
	f.app.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d entries kept for anonymous visitors", n)
	}
	b := newBrowser(t)
	if status, _ := f.approve(t, b, b.connect(f.url), ghltest.DefaultLocationID); status != http.StatusSeeOther {
		t.Fatalf("a real sign-in after the flood: %d", status)
	}
}

// TestSessionsAreIssuedAndRotated: a session cookie the app did not issue
// is replaced, whatever its shape; and the session that connects a
// location is replaced by a new one, so a session ID planted in the
// victim's browser beforehand (fixation) does not see the victim's
// contacts.
func TestSessionsAreIssuedAndRotated(t *testing.T) {
	f := newFixture(t)
	u, _ := url.Parse(f.url)

	forged := newBrowser(t)
	forged.hc.Jar.SetCookies(u, []*http.Cookie{{Name: cookieName, Value: strings.Repeat("a", 32)}})
	forged.get(f.url + "/")
	if c := cookie(forged, u, cookieName); c == strings.Repeat("a", 32) || !strings.Contains(c, ".") {
		t.Fatalf("a forged session cookie was kept: %q", c)
	}

	attacker := newBrowser(t)
	attacker.get(f.url + "/")
	planted := cookie(attacker, u, cookieName) // a genuine, app-issued session of the attacker's
	victim := newBrowser(t)
	victim.hc.Jar.SetCookies(u, []*http.Cookie{{Name: cookieName, Value: planted}})
	if status, _ := f.approve(t, victim, victim.connect(f.url), ghltest.DefaultLocationID); status != http.StatusSeeOther {
		t.Fatalf("the victim's sign-in: %d", status)
	}
	if cookie(victim, u, cookieName) == planted {
		t.Fatal("the session was not replaced when it connected")
	}
	if _, _, page := victim.get(f.url + "/"); !strings.Contains(page, "Contacts of") {
		t.Fatalf("the victim does not see their contacts:\n%s", page)
	}
	if _, _, page := attacker.get(f.url + "/"); strings.Contains(page, "Contacts of") {
		t.Fatalf("the planted session sees the victim's contacts:\n%s", page)
	}
}

// TestCookiesAreSecureBehindATLSProxy: when the app's public URL is https
// (a proxy ends TLS in front of it, so requests arrive over plain http),
// its cookies are still marked Secure.
func TestCookiesAreSecureBehindATLSProxy(t *testing.T) {
	f := newFixture(t)
	app := NewApp(FakeConfig(f.srv, "https://app.example/callback"), ghl.NewMemoryStore())
	w := httptest.NewRecorder()
	app.ServeHTTP(w, httptest.NewRequest("GET", "http://app.internal/connect", nil))
	cookies := w.Result().Cookies()
	if len(cookies) != 2 {
		t.Fatalf("cookies: %v", cookies)
	}
	for _, c := range cookies {
		if !c.Secure || !c.HttpOnly {
			t.Fatalf("cookie %s: Secure %v, HttpOnly %v", c.Name, c.Secure, c.HttpOnly)
		}
	}
}

func cookie(b *browser, u *url.URL, name string) string {
	for _, c := range b.hc.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
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
