// Command oauth is a small web app that connects to HighLevel with OAuth 2.0:
// a "Connect HighLevel" page, the redirect callback, tokens saved in an
// encrypted file store, then a list of contacts.
//
// With no environment it runs the whole flow against ghltest's authorize
// page, so no marketplace app is needed:
//
//	cd examples/oauth && go run .   # then open http://127.0.0.1:8090
//
// For a real app set GHL_CLIENT_ID, GHL_CLIENT_SECRET and GHL_REDIRECT_URL
// (the callback, e.g. http://127.0.0.1:8090/callback, registered with the
// app), and GHL_TOKEN_KEY (64 hex characters) so saved tokens survive a
// restart.
package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	dir := flag.String("tokens", "", "token directory (default: ghl-oauth-example in your user config directory, private to you)")
	flag.Parse()
	if *dir == "" {
		d, err := defaultTokenDir()
		if err != nil {
			log.Fatal(err)
		}
		*dir = d
	}
	if err := run(*addr, *dir); err != nil {
		log.Fatal(err)
	}
}

// defaultTokenDir is a directory of the user's own (not the shared system
// temporary directory, where another user could plant a link or a directory
// first).
func defaultTokenDir() (string, error) {
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no user config directory (%w); pass -tokens DIR", err)
	}
	return filepath.Join(base, "ghl-oauth-example"), nil
}

func run(addr, dir string) error {
	key, err := tokenKey()
	if err != nil {
		return err
	}
	store, err := ghl.NewFileStore(dir, key)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	cfg := &ghl.OAuthConfig{
		ClientID: os.Getenv("GHL_CLIENT_ID"), ClientSecret: ghl.NewSecret(os.Getenv("GHL_CLIENT_SECRET")),
		RedirectURL: os.Getenv("GHL_REDIRECT_URL"),
		Scopes:      []ghl.Scope{ghl.ScopeContactsReadOnly},
	}
	if cfg.ClientID == "" {
		srv := ghltest.NewServer(ghltest.WithContacts(25))
		defer srv.Close()
		cfg = FakeConfig(srv, "http://"+ln.Addr().String()+"/callback")
		fmt.Println("No GHL_CLIENT_ID: using ghltest's authorize page at", srv.URL())
	}
	fmt.Printf("Open http://%s and click Connect HighLevel. Tokens are saved encrypted in %s\n", ln.Addr(), dir)
	hs := &http.Server{Handler: NewApp(cfg, store), ReadHeaderTimeout: 10 * time.Second}
	return hs.Serve(ln)
}

// FakeConfig is the OAuth config of ghltest's built-in app.
func FakeConfig(srv *ghltest.Server, redirect string) *ghl.OAuthConfig {
	return &ghl.OAuthConfig{ClientID: ghltest.DefaultClientID, ClientSecret: ghl.NewSecret(ghltest.DefaultClientSecret),
		RedirectURL: redirect, BaseURL: srv.URL(), AuthorizeURL: srv.URL() + ghltest.DefaultAuthorizePath,
		Scopes: []ghl.Scope{ghl.ScopeContactsReadOnly}}
}

// tokenKey reads GHL_TOKEN_KEY, or makes a key for this run only.
func tokenKey() ([]byte, error) {
	if v := os.Getenv("GHL_TOKEN_KEY"); v != "" {
		k, err := hex.DecodeString(v)
		if err != nil || len(k) != 32 {
			return nil, errors.New("GHL_TOKEN_KEY must be 64 hex characters (32 bytes)")
		}
		return k, nil
	}
	k := make([]byte, 32)
	_, err := rand.Read(k)
	fmt.Println("No GHL_TOKEN_KEY: tokens are encrypted with a key for this run only.")
	return k, err
}

// App is the example's web app. Each browser has its own session, a
// random ID in a cookie signed by the app, so only sessions the app issued
// count; the session is replaced by a new one when it connects a location,
// so an ID planted in a browser beforehand is worth nothing. A sign-in's
// state lives in a signed cookie of its own, bound to the session and
// expiring after ten minutes: the app keeps nothing for a visitor until a
// location is connected, so no flood of sign-ins can crowd out real ones.
// Each connected location has its own token source and client, so one
// visitor never sees another's contacts.
type App struct {
	cfg    *ghl.OAuthConfig
	store  ghl.TokenStore
	now    func() time.Time
	key    []byte // signs session and state cookies
	secure bool   // the app's public URL is https (perhaps behind a proxy that ends TLS)

	mu       sync.Mutex
	sessions map[string]*session    // connected session → its location
	clients  map[string]*ghl.Client // location ID → a client with that location's token source
}

type session struct {
	location string
	seen     time.Time
}

// Bounds of the app's state.
const (
	stateTTL    = 10 * time.Minute
	sessionTTL  = 24 * time.Hour
	maxSessions = 100_000
	cookieName  = "ghl_example_session"
	stateCookie = "ghl_example_signin"
)

// NewApp returns the app's handler.
func NewApp(cfg *ghl.OAuthConfig, store ghl.TokenStore) *App {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return &App{cfg: cfg, store: store, now: time.Now, key: key, secure: strings.HasPrefix(cfg.RedirectURL, "https://"),
		sessions: map[string]*session{}, clients: map[string]*ghl.Client{}}
}

var page = template.Must(template.New("page").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>HighLevel contacts</title></head><body>
{{if .Connected}}<h1>Contacts of {{.Location}}</h1>
<ul id="contacts">{{range .Contacts}}<li>{{.Name}} &lt;{{.Email}}&gt;</li>{{end}}</ul>
{{else}}<h1>Your app</h1><p>Connect your HighLevel sub-account to see its contacts.</p>{{end}}
{{if .Error}}<p id="error">{{.Error}}</p>{{end}}
{{if not .Connected}}<a id="connect" href="/connect">Connect HighLevel</a>{{end}}
</body></html>`))

type view struct {
	Connected bool
	Location  string
	Contacts  []ghl.Contact
	Error     string
}

func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/":
		a.home(w, r)
	case "/connect":
		a.connect(w, r)
	case "/callback":
		a.callback(w, r)
	default:
		http.NotFound(w, r)
	}
}

// sign returns the MAC of the parts, which the app alone can make.
func (a *App) sign(parts ...string) string {
	m := hmac.New(sha256.New, a.key)
	m.Write([]byte(strings.Join(parts, "|")))
	return hex.EncodeToString(m.Sum(nil))
}

// setCookie sets a cookie that scripts cannot read, sent only over https
// when the app is served over https (directly or behind a proxy).
func (a *App) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: a.secure || r.TLS != nil, MaxAge: int(maxAge / time.Second)})
}

// sessionID returns the browser's session, starting one when it has none
// or presents one the app did not issue.
func (a *App) sessionID(w http.ResponseWriter, r *http.Request) string {
	if id, ok := a.cookieSession(r); ok {
		return id
	}
	return a.newSession(w, r)
}

// cookieSession reads the session cookie, if the app issued it.
func (a *App) cookieSession(r *http.Request) (string, bool) {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return "", false
	}
	id, mac, ok := strings.Cut(c.Value, ".")
	if !ok || len(id) != 32 || !hmac.Equal([]byte(mac), []byte(a.sign("session", id))) {
		return "", false
	}
	return id, true
}

func (a *App) newSession(w http.ResponseWriter, r *http.Request) string {
	id := newToken()
	a.setCookie(w, r, cookieName, id+"."+a.sign("session", id), sessionTTL)
	return id
}

func (a *App) home(w http.ResponseWriter, r *http.Request) {
	sid := a.sessionID(w, r)
	a.mu.Lock()
	var client *ghl.Client
	var loc string
	if s := a.sessions[sid]; s != nil && a.now().Sub(s.seen) < sessionTTL {
		s.seen = a.now()
		loc, client = s.location, a.clients[s.location]
	}
	a.mu.Unlock()
	if client == nil {
		render(w, http.StatusOK, view{})
		return
	}
	res, err := client.Contacts.Search(r.Context(), ghl.SearchRequest{PageLimit: 20, Sort: []ghl.Sort{{Field: "dateAdded", Direction: "desc"}}})
	v := view{Connected: true, Location: loc}
	if err != nil {
		v.Error = a.userMessage(err)
	} else {
		v.Contacts = res.Contacts
	}
	render(w, http.StatusOK, v)
}

// connect starts a sign-in bound to this browser's session. Its state is
// kept in a signed cookie, not in the app.
func (a *App) connect(w http.ResponseWriter, r *http.Request) {
	sid := a.sessionID(w, r)
	state := newToken()
	issued := strconv.FormatInt(a.now().Unix(), 10)
	a.setCookie(w, r, stateCookie, state+"."+issued+"."+a.sign("state", state, sid, issued), stateTTL)
	http.Redirect(w, r, a.cfg.AuthCodeURL(state), http.StatusFound)
}

// pendingState checks the callback's state against the sign-in cookie:
// issued by the app, for this session, not expired.
func (a *App) pendingState(r *http.Request, state, sid string) bool {
	c, err := r.Cookie(stateCookie)
	if err != nil || state == "" || sid == "" {
		return false
	}
	parts := strings.Split(c.Value, ".")
	if len(parts) != 3 || parts[0] != state || !hmac.Equal([]byte(parts[2]), []byte(a.sign("state", state, sid, parts[1]))) {
		return false
	}
	issued, err := strconv.ParseInt(parts[1], 10, 64)
	return err == nil && a.now().Sub(time.Unix(issued, 0)) <= stateTTL
}

func (a *App) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sid, _ := a.cookieSession(r)
	ok := a.pendingState(r, q.Get("state"), sid)
	a.setCookie(w, r, stateCookie, "", -1) // single use, whatever happens
	switch {
	case !ok:
		render(w, http.StatusBadRequest, view{Error: "This sign-in link is invalid or expired, or was started in another browser. Start again."})
		return
	case q.Get("error") == "access_denied":
		render(w, http.StatusOK, view{Error: "You declined the connection, so nothing was shared. You can connect whenever you like."})
		return
	case q.Get("error") != "":
		log.Printf("callback: HighLevel answered error=%q", q.Get("error"))
		render(w, http.StatusBadGateway, view{Error: "HighLevel did not complete the connection. Please try again."})
		return
	case q.Get("code") == "":
		render(w, http.StatusBadRequest, view{Error: "HighLevel sent no authorization code. Please try again."})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	src, tok, err := a.cfg.ExchangeAndSave(ctx, q.Get("code"), a.store)
	if err != nil {
		render(w, http.StatusBadGateway, view{Error: a.userMessage(err)})
		return
	}
	opts := []ghl.Option{ghl.WithTokenSource(src), ghl.WithLocation(tok.LocationID)}
	if a.cfg.BaseURL != "" {
		opts = append(opts, ghl.WithBaseURL(a.cfg.BaseURL))
	}
	client, err := ghl.NewClient(opts...)
	if err != nil {
		render(w, http.StatusInternalServerError, view{Error: a.userMessage(err)})
		return
	}
	fresh := a.newSession(w, r) // a new session for the connected browser: a planted one gains nothing
	a.mu.Lock()
	now := a.now()
	if len(a.sessions) >= maxSessions {
		for id, s := range a.sessions {
			if now.Sub(s.seen) > sessionTTL || len(a.sessions) >= maxSessions {
				delete(a.sessions, id)
			}
		}
	}
	delete(a.sessions, sid)
	a.clients[tok.LocationID] = client // one token source per location, shared by its sessions
	a.sessions[fresh] = &session{location: tok.LocationID, seen: now}
	a.mu.Unlock()
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// userMessage turns an error into words for the person at the browser; the
// details go to the server's log with a reference they can quote.
func (a *App) userMessage(err error) string {
	ref := newToken()[:8]
	log.Printf("error %s: %v", ref, err)
	switch {
	case errors.Is(err, ghl.ErrReauthRequired), errors.Is(err, ghl.ErrUnauthorized):
		return "The connection to HighLevel has expired. Connect again. (ref " + ref + ")"
	case errors.Is(err, ghl.ErrRateLimited):
		return "HighLevel is busy for this account; try again in a minute. (ref " + ref + ")"
	case errors.Is(err, ghl.ErrForbidden):
		return "This HighLevel account did not grant the access the app needs. (ref " + ref + ")"
	}
	return "Something went wrong talking to HighLevel. Please try again. (ref " + ref + ")"
}

func render(w http.ResponseWriter, status int, v view) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = page.Execute(w, v)
}

// newToken returns 128 random bits as hex: states and session IDs.
func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
