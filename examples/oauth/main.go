// Command oauth is a small web app that connects to HighLevel with OAuth 2.0:
// a "Connect HighLevel" page, the redirect callback, tokens saved in an
// encrypted file store, then a list of contacts.
//
// With no environment it runs the whole flow against ghltest's authorize
// page, so no marketplace app is needed:
//
//	go run ./examples/oauth          # then open http://127.0.0.1:8090
//
// For a real app set GHL_CLIENT_ID, GHL_CLIENT_SECRET and GHL_REDIRECT_URL
// (the callback, e.g. http://127.0.0.1:8090/callback, registered with the
// app), and GHL_TOKEN_KEY (64 hex characters) so saved tokens survive a
// restart.
package main

import (
	"context"
	"crypto/rand"
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
	"sync"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	dir := flag.String("tokens", filepath.Join(os.TempDir(), "ghl-oauth-example"), "token directory")
	flag.Parse()
	if err := run(*addr, *dir); err != nil {
		log.Fatal(err)
	}
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
		ClientID: os.Getenv("GHL_CLIENT_ID"), ClientSecret: os.Getenv("GHL_CLIENT_SECRET"),
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
	return &ghl.OAuthConfig{ClientID: ghltest.DefaultClientID, ClientSecret: ghltest.DefaultClientSecret,
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

// App is the example's web app.
type App struct {
	cfg   *ghl.OAuthConfig
	store ghl.TokenStore

	mu      sync.Mutex
	states  map[string]time.Time // pending OAuth states
	client  *ghl.Client
	connect string // the connected location
}

// NewApp returns the app's handler.
func NewApp(cfg *ghl.OAuthConfig, store ghl.TokenStore) *App {
	return &App{cfg: cfg, store: store, states: map[string]time.Time{}}
}

var page = template.Must(template.New("page").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>HighLevel contacts</title></head><body>
{{if .Connected}}<h1>Contacts of {{.Location}}</h1>
<ul id="contacts">{{range .Contacts}}<li>{{.Name}} &lt;{{.Email}}&gt;</li>{{end}}</ul>
{{else}}<h1>Your app</h1><p>Connect your HighLevel sub-account to see its contacts.</p>
<a id="connect" href="{{.ConnectURL}}">Connect HighLevel</a>{{end}}
{{if .Error}}<p id="error">{{.Error}}</p>{{end}}
</body></html>`))

type view struct {
	Connected  bool
	Location   string
	Contacts   []ghl.Contact
	ConnectURL string
	Error      string
}

func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/":
		a.home(w, r)
	case "/callback":
		a.callback(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (a *App) home(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	client, loc := a.client, a.connect
	a.mu.Unlock()
	if client == nil {
		state := newState()
		a.mu.Lock()
		a.states[state] = time.Now()
		a.mu.Unlock()
		render(w, view{ConnectURL: a.cfg.AuthCodeURL(state)})
		return
	}
	res, err := client.Contacts.Search(r.Context(), ghl.SearchRequest{PageLimit: 20, Sort: []ghl.Sort{{Field: "dateAdded", Direction: "desc"}}})
	v := view{Connected: true, Location: loc}
	if err != nil {
		v.Error = err.Error()
	} else {
		v.Contacts = res.Contacts
	}
	render(w, v)
}

func (a *App) callback(w http.ResponseWriter, r *http.Request) {
	state, code := r.URL.Query().Get("state"), r.URL.Query().Get("code")
	a.mu.Lock()
	issued, ok := a.states[state]
	delete(a.states, state)
	a.mu.Unlock()
	if !ok || time.Since(issued) > 10*time.Minute || code == "" {
		w.WriteHeader(http.StatusBadRequest)
		render(w, view{Error: "This sign-in link is invalid or expired; start again."})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	src, tok, err := a.cfg.ExchangeAndSave(ctx, code, a.store)
	if err != nil {
		w.WriteHeader(http.StatusBadGateway)
		render(w, view{Error: "Could not complete the connection: " + err.Error()})
		return
	}
	opts := []ghl.Option{ghl.WithTokenSource(src), ghl.WithLocation(tok.LocationID)}
	if a.cfg.BaseURL != "" {
		opts = append(opts, ghl.WithBaseURL(a.cfg.BaseURL))
	}
	client, err := ghl.NewClient(opts...)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	a.mu.Lock()
	a.client, a.connect = client, tok.LocationID
	a.mu.Unlock()
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func render(w http.ResponseWriter, v view) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = page.Execute(w, v)
}

func newState() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
