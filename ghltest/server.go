// Package ghltest is an in-memory HighLevel server for tests, examples and
// local development. It serves the 32 Contacts operations, the OAuth token
// endpoints and an authorize page over real HTTP, with HighLevel's status
// codes, error bodies, rate-limit headers and single-use refresh tokens, plus
// fault injection and request inspection.
//
//	srv := ghltest.NewServer(ghltest.WithContacts(50))
//	defer srv.Close()
//	client, _ := srv.Client()
//
// Server is also an http.Handler, so it can be mounted on any listener; the
// ghlfake command (ghltest/cmd/ghlfake) runs it standalone for any language.
package ghltest

import (
	crand "crypto/rand"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/webhook"
)

// Defaults of a new server.
const (
	DefaultToken         = "ghltest-token"        // static token for DefaultLocationID
	DefaultLocationID    = "GhlTestLocation00001" // the seeded location
	DefaultCompanyID     = "GhlTestCompany000001" // the agency that owns the location
	DefaultClientID      = "6650f0c5e4b0a1b2c3d4e5f6-ghltest"
	DefaultClientSecret  = "ghltest-client-secret"
	DefaultAuthorizePath = "/oauth/chooselocation"
	DefaultBurst         = 100
	DefaultWindow        = 10 * time.Second
	DefaultDailyLimit    = 200_000
	DefaultTokenLifetime = 86399 * time.Second
)

// Server is a fake HighLevel API. It is safe for concurrent use.
type Server struct {
	cfg  config
	http *httptest.Server

	mu        sync.Mutex
	rng       *rand.Rand
	locations map[string]*location
	tokens    map[string]*token // access tokens, static and issued
	refresh   map[string]*grant // live refresh tokens
	codes     map[string]*grant // unused authorization codes
	limits    map[string]*bucket
	faults    []*Fault
	log       []Request
	grants    map[string]int // token endpoint calls by grant type
	gen       uint64         // write generation: bumped after every write request
	hooks     *webhooks      // webhook deliveries, when enabled
	// webhook faults (webhooks.go)
	hookFaults   []*WebhookFault
	hookHeld     [][]byte // deliveries a Reorder fault holds back
	hooksStopped bool
	signer       *webhook.TestSigner

	calendars    map[string]*Calendar    // by ID (calendars.go)
	appointments map[string]*appointment // by ID
}

type config struct {
	burst         int
	window        time.Duration
	daily         int
	tokenLifetime time.Duration
	authorizePath string
	now           func() time.Time
	seed          uint64
	contacts      int
	allowDup      bool
	statics       map[string]string // token -> location
	apps          map[string]string // client_id -> secret
	extraLocs     []string
	searchLag     time.Duration
	sliding       bool
}

// An Option configures a Server.
type Option func(*config)

// WithToken accepts token as a static (Private Integration) token for locationID.
func WithToken(token, locationID string) Option {
	return func(c *config) { c.statics[token] = locationID }
}

// WithLocations adds locations (besides DefaultLocationID) to DefaultCompanyID.
func WithLocations(ids ...string) Option {
	return func(c *config) { c.extraLocs = append(c.extraLocs, ids...) }
}

// WithContacts seeds DefaultLocationID with n realistic contacts.
func WithContacts(n int) Option { return func(c *config) { c.contacts = n } }

// WithSlidingWindow counts the burst limit over a sliding window (any
// window-long span holds at most the limit) instead of fixed windows that
// start with their first request.
func WithSlidingWindow() Option { return func(c *config) { c.sliding = true } }

// WithSearchLag makes POST /contacts/search see each contact write only d
// after it happened, as HighLevel's search index lags writes by "a few
// seconds": until then a search finds the contact as it was before the
// write (a new contact not at all). Reads by ID see writes at once.
func WithSearchLag(d time.Duration) Option { return func(c *config) { c.searchLag = d } }

// WithSeed sets the seed of every generated ID and fixture (default 1).
func WithSeed(seed uint64) Option { return func(c *config) { c.seed = seed } }

// WithAllowDuplicates makes new locations accept duplicate contacts (the
// default refuses them, as HighLevel does unless the setting is on).
func WithAllowDuplicates(allow bool) Option { return func(c *config) { c.allowDup = allow } }

// WithRateLimit sets the burst limit: n requests per window per app and location.
func WithRateLimit(n int, window time.Duration) Option {
	return func(c *config) { c.burst, c.window = n, window }
}

// WithDailyLimit sets the daily limit per app and location.
func WithDailyLimit(n int) Option { return func(c *config) { c.daily = n } }

// WithTokenLifetime sets how long issued access tokens live.
func WithTokenLifetime(d time.Duration) Option { return func(c *config) { c.tokenLifetime = d } }

// WithOAuthApp registers a marketplace app's credentials.
func WithOAuthApp(clientID, secret string) Option {
	return func(c *config) { c.apps[clientID] = secret }
}

// WithAuthorizePath serves the authorize (choose location) page at path.
func WithAuthorizePath(path string) Option { return func(c *config) { c.authorizePath = path } }

// WithClock sets the server's clock, for token expiry and rate windows.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// NewHandler returns the fake without a listener, to serve with an
// http.Server of your own (as cmd/ghlfake does) or to call as an
// http.Handler. Most tests want NewServer, which listens on loopback.
func NewHandler(opts ...Option) *Server {
	cfg := config{
		burst: DefaultBurst, window: DefaultWindow, daily: DefaultDailyLimit,
		tokenLifetime: DefaultTokenLifetime, authorizePath: DefaultAuthorizePath,
		now: time.Now, seed: 1,
		statics: map[string]string{DefaultToken: DefaultLocationID},
		apps:    map[string]string{DefaultClientID: DefaultClientSecret},
	}
	for _, o := range opts {
		o(&cfg)
	}
	s := &Server{
		cfg:       cfg,
		rng:       rand.New(rand.NewPCG(cfg.seed, cfg.seed^0x9e3779b97f4a7c15)),
		locations: map[string]*location{},
		tokens:    map[string]*token{},
		refresh:   map[string]*grant{},
		codes:     map[string]*grant{},
		limits:    map[string]*bucket{},
		grants:    map[string]int{},
	}
	s.addLocation(DefaultLocationID, DefaultCompanyID)
	s.addCalendar(Calendar{ID: DefaultCalendarID, LocationID: DefaultLocationID})
	for _, id := range cfg.extraLocs {
		s.addLocation(id, DefaultCompanyID)
	}
	for tok, loc := range cfg.statics {
		if s.locations[loc] == nil {
			s.addLocation(loc, DefaultCompanyID)
		}
		s.tokens[tok] = &token{value: tok, kind: kindStatic, location: loc, company: DefaultCompanyID, app: "pit:" + tok}
	}
	if cfg.contacts > 0 {
		s.Seed(DefaultLocationID, cfg.contacts)
	}
	return s
}

// NewServer starts a server on a loopback port. Close it when done.
func NewServer(opts ...Option) *Server {
	s := NewHandler(opts...)
	s.http = httptest.NewServer(s)
	return s
}

// New is NewHandler.
//
// Deprecated: use NewServer for a listening server, or NewHandler to serve
// the fake yourself.
func New(opts ...Option) *Server { return NewHandler(opts...) }

// URL is the base URL of a server started with NewServer.
func (s *Server) URL() string {
	if s.http == nil {
		return ""
	}
	return s.http.URL
}

// Close stops a server started with NewServer, and its webhook deliveries.
func (s *Server) Close() {
	if s.http != nil {
		s.http.Close()
	}
	s.mu.Lock()
	w := s.hooks
	s.hooks = nil
	s.mu.Unlock()
	if w != nil {
		w.close()
	}
}

// Client returns a ghl client for this server, authenticated with
// DefaultToken for DefaultLocationID; opts are applied after those defaults.
func (s *Server) Client(opts ...ghl.Option) (*ghl.Client, error) {
	base := []ghl.Option{ghl.WithBaseURL(s.URL()), ghl.WithToken(DefaultToken), ghl.WithLocation(DefaultLocationID)}
	return ghl.NewClient(append(base, opts...)...)
}

func (s *Server) now() time.Time { return s.cfg.now() }

// Request is a request the server received. Secrets are redacted: the
// Authorization header and the client secret, code and refresh token of
// token requests.
type Request struct {
	Method   string
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte
	Status   int // the status answered; 0 if the connection was dropped
	// Received and Answered are when the request arrived and when its
	// answer was written (zero if dropped), on the server's clock.
	Received, Answered time.Time
}

// Requests returns the requests received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// RequestCount counts the requests whose method matches method ("" for any)
// and whose path matches pattern (path.Match syntax, "" for any).
func (s *Server) RequestCount(method, pattern string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.log {
		if matches(method, pattern, r.Method, r.Path) {
			n++
		}
	}
	return n
}

// ResetRequests forgets the requests received so far.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	s.log = nil
	s.mu.Unlock()
}

// TokenGrants counts the calls to /oauth/token with this grant_type
// ("authorization_code", "refresh_token"), successful or not.
func (s *Server) TokenGrants(grantType string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.grants[grantType]
}

var redactedForm = []string{"client_secret", "refresh_token", "code"}

func (s *Server) record(r *http.Request, body []byte) int {
	h := r.Header.Clone()
	if h.Get("Authorization") != "" {
		h.Set("Authorization", "[redacted]")
	}
	if strings.HasPrefix(r.URL.Path, "/oauth/") && len(body) > 0 {
		if v, err := url.ParseQuery(string(body)); err == nil {
			for _, k := range redactedForm {
				if v.Has(k) {
					v.Set(k, "[redacted]")
				}
			}
			body = []byte(v.Encode())
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: h, Body: body, Received: s.now()})
	return len(s.log) - 1
}

func (s *Server) setStatus(i, status int) {
	s.mu.Lock()
	if i < len(s.log) {
		s.log[i].Status = status
		if status != 0 {
			s.log[i].Answered = s.now()
		}
	}
	s.mu.Unlock()
}

// ServeHTTP serves the fake API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		return
	}
	i := s.record(r, body)
	f := s.takeFault(r.Method, r.URL.Path, r.Header.Get("User-Agent"))
	if f != nil && f.Latency > 0 {
		select {
		case <-time.After(f.Latency):
		case <-r.Context().Done():
			return
		}
	}
	if f != nil && f.DropBefore {
		hangUp(w)
		return
	}
	var rep reply
	if f != nil && f.Status != 0 {
		rep = reply{status: f.Status, header: http.Header{"Content-Type": {"application/json"}}, body: []byte(f.Body)}
		if f.RetryAfter != "" {
			rep.header.Set("Retry-After", f.RetryAfter)
		}
	} else {
		rep = s.serve(r, body)
	}
	if f != nil && f.LatencyAfter > 0 {
		select {
		case <-time.After(f.LatencyAfter):
		case <-r.Context().Done():
			return
		}
	}
	if f != nil && f.DropAfter {
		hangUp(w)
		return
	}
	for k, v := range rep.header {
		w.Header()[k] = v
	}
	if f != nil && f.Truncate && len(rep.body) > 1 {
		w.Header().Set("Content-Length", strconv.Itoa(len(rep.body)))
		w.WriteHeader(rep.status)
		_, _ = w.Write(rep.body[:len(rep.body)/2])
		s.setStatus(i, rep.status)
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush() // the status line, headers and half the body go out
		}
		hangUp(w)
		return
	}
	w.WriteHeader(rep.status)
	_, _ = w.Write(rep.body)
	s.setStatus(i, rep.status)
}

// hangUp closes the connection without (further) answer. Nothing that is
// not yet flushed is sent: a drop before any answer sends no byte at all.
func hangUp(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// newID returns a 20-character alphanumeric ID, like HighLevel's. Callers hold s.mu.
func (s *Server) newID() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	var b [20]byte
	for i := range b {
		b[i] = alphabet[s.rng.IntN(len(alphabet))]
	}
	return string(b[:])
}

// newSecret returns an unguessable token string.
func newSecret(prefix string) string { return prefix + crand.Text() }
