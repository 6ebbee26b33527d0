package ghl

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/ghlkit/ghl/internal/transport"
)

// DefaultBaseURL is HighLevel's API host.
const DefaultBaseURL = "https://services.leadconnectorhq.com"

// APIVersion is the Version header every Contacts and OAuth operation requires.
const APIVersion = "2021-07-28"

// Version is this SDK's version, sent in the User-Agent.
const Version = "0.1.0"

// Client talks to the HighLevel API. It is safe for concurrent use; create one
// per token (or token source) and share it.
type Client struct {
	// Contacts, Tasks, Notes, Tags and Appointments are the API's resources.
	Contacts     *ContactsService
	Tasks        *TasksService
	Notes        *NotesService
	Tags         *TagsService
	Appointments *AppointmentsService
	// CustomFields manages the location's custom-field definitions.
	CustomFields *CustomFieldsService

	base     string // base URL without trailing slash
	location string // default location ID
	auth     Secret // "Bearer <static token>"; zero with a TokenSource
	tokens   TokenSource
	agent    []string
	logger   *slog.Logger
	retry    RetryPolicy
	rc       *retryablehttp.Client
	limiter  RateLimiter       // nil: no proactive throttling
	seam     transport.Limiter // limiter, as the transport meets it
	// authorizeFn is c.authorize, bound once (a method value made per
	// request would allocate).
	authorizeFn func(*http.Request) error
	limitKey    string
}

// A TokenSource supplies the access token for each attempt of a request.
// Implementations must be safe for concurrent use. A source that also has
// Invalidate(ctx, staleToken) error (as RefreshingSource does) is asked to
// refresh when HighLevel answers 401, and the call is then sent once more.
type TokenSource interface {
	AccessToken(ctx context.Context) (string, error)
}

// RetryPolicy sets how failed attempts are retried. Which failures are
// retried is fixed by the SDK: see the package documentation. A zero field
// means its default (DefaultRetryPolicy), so RetryPolicy{MaxRetries: 5} keeps
// the default waits.
type RetryPolicy struct {
	// MaxRetries is how many attempts may follow the first: 0 means the
	// default (3); NoRetries (or any negative value) sends each call once.
	MaxRetries int
	MinWait    time.Duration // first backoff step; 0 means 500 ms
	MaxWait    time.Duration // longest single wait, including a server's Retry-After; 0 means 30 s
	// MaxRateLimitRetries is how many 429 answers are retried on top of
	// MaxRetries: a 429 means HighLevel did nothing, and clients that share
	// a budget without coordinating draw them in runs. 0 means the default
	// (10); NoRetries gives 429s no retries of their own (they then count
	// against MaxRetries).
	MaxRateLimitRetries int
	// SettleWait is the least time an idempotent write that may create
	// something (Contacts.Upsert) waits before it is sent again after an
	// attempt whose outcome is unknown (a timeout, a reset, a 502 or 504, a
	// cut-off answer): HighLevel may still be processing the first attempt,
	// and a second one racing it can create a duplicate. 0 means 5 s; a
	// negative value disables the extra wait.
	SettleWait time.Duration
}

// NoRetries, as RetryPolicy.MaxRetries, sends every call exactly once.
const NoRetries = -1

// DefaultRetryPolicy returns the policy used unless WithRetryPolicy says
// otherwise: 3 retries after failures and 10 more after 429s, waits from
// 500 ms up to 30 s, 5 s settle wait.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxRetries: 3, MaxRateLimitRetries: 10, MinWait: 500 * time.Millisecond, MaxWait: 30 * time.Second,
		SettleWait: 5 * time.Second}
}

// withDefaults fills the zero fields of p from DefaultRetryPolicy.
func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy()
	once := p.MaxRetries < 0 // NoRetries: each call is sent once, 429 or not
	switch {
	case p.MaxRetries == 0:
		p.MaxRetries = d.MaxRetries
	case p.MaxRetries < 0:
		p.MaxRetries = 0
	}
	switch {
	case p.MaxRateLimitRetries == 0 && !once:
		p.MaxRateLimitRetries = d.MaxRateLimitRetries
	case p.MaxRateLimitRetries < 0:
		p.MaxRateLimitRetries = 0
	}
	if p.MinWait == 0 {
		p.MinWait = d.MinWait
	}
	if p.MaxWait == 0 {
		p.MaxWait = max(d.MaxWait, p.MinWait)
	}
	switch {
	case p.SettleWait == 0:
		p.SettleWait = d.SettleWait
	case p.SettleWait < 0:
		p.SettleWait = 0
	}
	return p
}

type settings struct {
	base      string
	hc        *http.Client
	token     string
	tokenSet  bool
	tokens    TokenSource
	location  string
	userAgent string
	logger    *slog.Logger
	retry     RetryPolicy
	limiter   RateLimiter
	noLimiter bool
	insecure  bool
}

// An Option configures a Client. Options check their input; NewClient returns
// the first error.
type Option func(*settings) error

// WithBaseURL sets the API's base URL (default DefaultBaseURL). It must be
// https, or http on a loopback address (for ghltest and local proxies), or
// any http URL with WithInsecureHTTP. A path is kept: requests go below it.
func WithBaseURL(raw string) Option {
	return func(s *settings) error {
		base, err := parseBaseURL("base URL", raw)
		if err != nil {
			return err
		}
		s.base = base
		return nil
	}
}

// parseBaseURL checks an API base URL (absolute http(s), no query, fragment
// or user info) and returns it without a trailing slash.
func parseBaseURL(field, raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", invalid(field, "%v", err)
	}
	if u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", invalid(field, "%q is not an absolute http(s) URL", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil || u.ForceQuery {
		return "", invalid(field, "must not carry a query, fragment or user info")
	}
	return strings.TrimRight(u.Scheme+"://"+u.Host+u.EscapedPath(), "/"), nil
}

// checkPlainHTTP refuses a plain-http base URL off loopback unless allowed.
func checkPlainHTTP(field, base string, allowed bool) error {
	if u, _ := url.Parse(base); u.Scheme == "http" && !allowed && !isLoopback(u.Hostname()) {
		return invalid(field, "plain http is allowed only on loopback, not %q (it would carry tokens unencrypted)", u.Host)
	}
	return nil
}

// WithInsecureHTTP allows a plain-http base URL off loopback, such as a
// ghlfake container in a compose network (http://ghlfake:8080). Tokens then
// cross the network unencrypted: never use it against HighLevel.
func WithInsecureHTTP() Option {
	return func(s *settings) error {
		s.insecure = true
		return nil
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// WithHTTPClient sets the HTTP client that sends each attempt. Its Timeout, if
// any, applies per attempt. The default has a 60-second timeout.
func WithHTTPClient(hc *http.Client) Option {
	return func(s *settings) error {
		if hc == nil {
			return invalid("HTTP client", "must not be nil")
		}
		s.hc = hc
		return nil
	}
}

// WithToken authenticates with a static bearer token: a Private Integration
// Token, or an OAuth access token you refresh yourself.
func WithToken(token string) Option {
	return func(s *settings) error {
		if strings.TrimSpace(token) == "" {
			return invalid("token", "must not be empty")
		}
		if strings.ContainsAny(token, " \t\r\n") {
			return invalid("token", "must not contain white space")
		}
		s.token, s.tokenSet = token, true
		return nil
	}
}

// WithTokenSource authenticates with tokens from ts, asked before every attempt.
func WithTokenSource(ts TokenSource) Option {
	return func(s *settings) error {
		if ts == nil {
			return invalid("token source", "must not be nil")
		}
		s.tokens = ts
		return nil
	}
}

// WithLocation sets the default location (sub-account) ID, used by operations
// that need one when their request does not name it.
func WithLocation(locationID string) Option {
	return func(s *settings) error {
		if r := transport.CheckID(locationID); r != "" {
			return invalid("locationId", "%s", r)
		}
		s.location = locationID
		return nil
	}
}

// WithUserAgent sets the User-Agent, to which the SDK appends its own name.
func WithUserAgent(ua string) Option {
	return func(s *settings) error {
		if strings.ContainsAny(ua, "\r\n") {
			return invalid("user agent", "must be one line")
		}
		s.userAgent = ua
		return nil
	}
}

// WithLogger logs each request (method, path, status, attempts, duration) at
// debug level. Tokens, headers and bodies are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(s *settings) error {
		s.logger = l
		return nil
	}
}

// WithRetryPolicy sets how many times and how patiently failed attempts are
// retried. Zero fields keep their defaults. It refuses negative waits and a
// MaxWait below MinWait.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(s *settings) error {
		if p.MinWait < 0 || p.MaxWait < 0 {
			return invalid("retry policy", "MinWait and MaxWait must not be negative")
		}
		p = p.withDefaults()
		if p.MaxWait < p.MinWait {
			return invalid("retry policy", "MaxWait %s is below MinWait %s", p.MaxWait, p.MinWait)
		}
		s.retry = p
		return nil
	}
}

// NewClient returns a client configured by opts. A token (WithToken or
// WithTokenSource) is required.
func NewClient(opts ...Option) (*Client, error) {
	s := settings{base: DefaultBaseURL, retry: DefaultRetryPolicy()}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&s); err != nil {
			return nil, err
		}
	}
	if !s.tokenSet && s.tokens == nil {
		return nil, invalid("token", "set one with WithToken or WithTokenSource")
	}
	if s.tokenSet && s.tokens != nil {
		return nil, invalid("token", "WithToken and WithTokenSource are exclusive: use one")
	}
	if err := checkPlainHTTP("base URL", s.base, s.insecure); err != nil {
		return nil, fmt.Errorf("%w; WithInsecureHTTP allows it", err)
	}
	if s.hc == nil {
		s.hc = defaultHTTPClient()
	}
	ua := "ghl-go/" + Version
	if s.userAgent != "" {
		ua = s.userAgent + " " + ua
	}
	c := &Client{
		base:     s.base,
		location: s.location,
		tokens:   s.tokens,
		agent:    []string{ua},
		logger:   s.logger,
		retry:    s.retry,
		rc:       transport.New(transport.Shield(s.hc), transport.Config{MinWait: s.retry.MinWait, MaxWait: s.retry.MaxWait}),
		limiter:  s.limiter,
		limitKey: s.location,
	}
	if c.limiter == nil && !s.noLimiter {
		c.limiter = NewRateLimiter()
	}
	c.seam, c.authorizeFn = seamOf(c.limiter), c.authorize
	if c.limitKey == "" {
		c.limitKey = "default"
	}
	if s.tokenSet {
		c.auth = NewSecret("Bearer " + s.token)
	}
	c.Contacts = &ContactsService{c}
	c.Tasks = &TasksService{c}
	c.Notes = &NotesService{c}
	c.Tags = &TagsService{c}
	c.Appointments = &AppointmentsService{c}
	c.CustomFields = &CustomFieldsService{c}
	return c, nil
}

func defaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 32
	return &http.Client{Transport: t, Timeout: 60 * time.Second}
}

// Location returns the client's default location ID ("" if none).
func (c *Client) Location() string { return c.location }

// String describes the client without its token.
func (c Client) String() string { return "ghl.Client{" + c.base + "}" }

// GoString is String, so %#v does not print the token either.
func (c Client) GoString() string { return c.String() }

// Format prints String for every verb, so no verb reveals the token.
func (c Client) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// LogValue keeps the token out of slog output.
func (c Client) LogValue() slog.Value { return slog.StringValue(c.String()) }

// RequestCounter counts the requests (attempts, retries included) that
// calls made with a context from ContextWithRequestCounter sent: what a
// piece of work cost against the rate budget.
type RequestCounter struct{ n atomic.Int64 }

// Count returns the requests counted so far.
func (c *RequestCounter) Count() int64 { return c.n.Load() }

type requestCounterKey struct{}

// ContextWithRequestCounter returns a context whose calls add the requests
// they send to c.
func ContextWithRequestCounter(ctx context.Context, c *RequestCounter) context.Context {
	return context.WithValue(ctx, requestCounterKey{}, c)
}

// Response describes the last HTTP answer of a call. Capture it with
// WithResponse.
type Response struct {
	StatusCode int
	Header     http.Header
	Attempts   int    // attempts the call took, 1 when it was not retried
	Method     string // request method
	Path       string // request path, without query
	// UnknownOutcome says an earlier attempt may have reached HighLevel
	// without an answer (a timeout, a reset, a 500, 502 or 504, a cut-off
	// body) before this answer came.
	UnknownOutcome bool
}

// RateLimit parses the answer's rate-limit headers.
func (r *Response) RateLimit() RateLimit { return parseRateLimit(r.Header) }

// TraceID returns HighLevel's trace ID header, when the answer carried one.
func (r *Response) TraceID() string { return r.Header.Get("X-Trace-Id") }

// A CallOption changes one call.
type CallOption func(*callSettings)

type callSettings struct {
	resp    *Response
	retries int
	version string
	class   RetryClass
	header  []string
	unknown *bool // set to whether an attempt's outcome was unknown
	attempt time.Duration
}

// apply puts the per-call overrides that shape the request on o.
func (cs *callSettings) apply(o *op) {
	if cs.version != "" {
		o.version = cs.version
	}
	switch cs.class {
	case RetrySafe:
		o.retryable = true
	case RetryUnsafe:
		o.retryable, o.settle = false, false
	}
	if len(cs.header) > 0 {
		o.header = append(o.header[:len(o.header):len(o.header)], cs.header...)
	}
}

// RetryClass says whether a call may be sent again after an attempt that may
// have reached HighLevel without an answer.
type RetryClass int

const (
	// RetryDefault keeps the operation's own class: the SDK's methods know
	// theirs; for Client.Do, GET, PUT and DELETE are RetrySafe and POST and
	// PATCH RetryUnsafe.
	RetryDefault RetryClass = iota
	// RetrySafe: sending the request twice has the effect of sending it once.
	RetrySafe
	// RetryUnsafe: a second send could do the work twice (a create). Such a
	// call is resent only when the first attempt provably did not reach
	// HighLevel or was refused with a 429, and a failure with an unknown
	// outcome is an *UnknownOutcomeError.
	RetryUnsafe
)

// WithRetryClass overrides whether the call may be resent after an attempt
// whose outcome is unknown. Use it with Client.Do for endpoints the SDK does
// not wrap.
func WithRetryClass(rc RetryClass) CallOption {
	return func(cs *callSettings) { cs.class = rc }
}

// WithAttemptTimeout bounds each attempt of the call (sending it and
// reading its answer) to d, so that one slow attempt is abandoned and
// retried while the context, which covers the waits and every retry, still
// has time. A timed-out attempt counts as a transport failure: retried for
// reads and idempotent writes, ErrMaybeProcessed for a create. d <= 0 is
// ignored.
func WithAttemptTimeout(d time.Duration) CallOption {
	return func(cs *callSettings) {
		if d > 0 {
			cs.attempt = d
		}
	}
}

// WithVersion sends the call with this Version header instead of the
// operation's own (APIVersion for Contacts). Empty keeps the default.
func WithVersion(v string) CallOption {
	return func(cs *callSettings) { cs.version = strings.TrimSpace(v) }
}

// WithHeader adds a header to the call. The SDK's own headers (Authorization,
// Version, Content-Type, Accept, User-Agent) cannot be replaced this way; use
// WithVersion for the Version. A name or value with a line break is ignored.
func WithHeader(key, value string) CallOption {
	return func(cs *callSettings) {
		k := http.CanonicalHeaderKey(strings.TrimSpace(key))
		switch k {
		case "", "Authorization", "Version", "Content-Type", "Accept", "User-Agent", "Host", "Content-Length":
			return
		}
		if strings.ContainsAny(k+value, "\r\n") {
			return
		}
		cs.header = append(cs.header, k, value)
	}
}

// reportUnknown is an internal option: *b is set to whether an attempt's
// outcome was unknown before the final answer.
func reportUnknown(b *bool) CallOption {
	return func(cs *callSettings) { cs.unknown = b }
}

// WithResponse stores the call's last HTTP answer in r, also when the call
// fails. When the last attempt got no answer (a timeout, a dropped
// connection), r still says how many attempts were made and whether one
// may have been carried out, with the status and headers of the last
// answer an earlier attempt got (StatusCode 0 when none did).
func WithResponse(r *Response) CallOption {
	return func(cs *callSettings) { cs.resp = r }
}

// WithMaxRetries overrides the client's retry count for one call; 0 sends
// the call once, 429 or not.
func WithMaxRetries(n int) CallOption {
	return func(cs *callSettings) {
		if n >= 0 {
			cs.retries = n
		}
	}
}

// Ptr returns a pointer to v, for the optional fields of requests.
func Ptr[T any](v T) *T { return &v }
