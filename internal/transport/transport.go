// Package transport holds the retry machinery behind every ghl request: the
// policy that decides whether an attempt may be sent again, the backoff between
// attempts, and the per-call state the two share.
//
// It is built on go-retryablehttp, with a policy owned by the SDK: that
// library's defaults retry every POST, and a create that may already have
// reached HighLevel must not be sent twice.
package transport

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/ghlkit/ghl/internal/ratelimit"
)

// MaxErrorBody caps how much of a non-2xx answer is kept for the error.
const MaxErrorBody = 64 << 10

// Call is the state of one SDK call across its attempts. The request path
// creates one per call and hands it to the policy through the context.
type Call struct {
	// Retryable says the operation may be sent again after an attempt that may
	// have reached the server (a transport error mid-flight, 408, 5xx). A call
	// that is not retryable is still resent when the attempt provably did not
	// reach the server (the connection was never made) or the server refused it
	// with a 429.
	Retryable bool
	// MaxRetries is how many attempts may follow the first after failures.
	MaxRetries int
	// MaxRateRetries is how many 429 answers are retried besides: a 429
	// says the server did nothing, and replicas that share a budget
	// without coordinating draw them in runs.
	MaxRateRetries     int
	failures, refusals int // retries spent on each
	// MaxWait is the longest single wait between attempts. A Retry-After
	// longer than this ends the retries: the caller gets the 429 at once
	// rather than a second refusal later.
	MaxWait time.Duration
	// Authorize, when set, sets the Authorization header of each attempt.
	Authorize func(*http.Request) error

	// Limiter, when set, throttles every attempt under Key.
	Limiter Limiter
	Key     string
	slot    Slot
	held    bool

	// Settle is the least wait before an attempt that follows one whose
	// outcome is unknown (0: none). Writes that may create something when two
	// attempts race on the server (an upsert) set it.
	Settle time.Duration
	// MaxBody caps a successful answer's body.
	MaxBody int64
	// AttemptTimeout, when positive, bounds each attempt (sending it and
	// reading its answer); the caller's context still bounds the whole call.
	AttemptTimeout time.Duration

	// Attempts counts the attempts made so far.
	Attempts int
	// SentAt is when the latest attempt was sent.
	SentAt time.Time
	// Ambiguous says an attempt may have reached the server and its outcome
	// is unknown: a transport error after the connection was made, a 500,
	// 502 or 504, or a 2xx answer cut off while it was read.
	Ambiguous bool
	// ambiguousAt is when the latest attempt ended ambiguously (zero when it
	// did not): the settle wait counts from there.
	ambiguousAt time.Time
	// Last is the last non-2xx answer that was retried, with its body kept
	// in LastBody, so an error after the retries can still describe it.
	Last     *http.Response
	LastBody []byte
	// Body is the final 2xx answer's body, read inside the attempt so that a
	// cut-off answer can be retried; BodyErr is why it could not be read.
	Body    []byte
	BodyErr error
}

// begin marks the start of an attempt.
func (c *Call) begin() {
	c.SentAt = time.Now()
	c.Body, c.BodyErr = nil, nil
}

// Prepare readies req for its next attempt, the first, a retry, or the
// resend after a refreshed token alike: it waits out the settle time after
// an attempt of unknown outcome, takes a rate slot, authorizes, and marks
// the attempt's start. The slot comes before the token: a wait for room
// must not send a token that expired while it waited. An error from the
// limiter comes as a *LimiterError.
func (c *Call) Prepare(req *http.Request) error {
	ctx := req.Context()
	if err := c.settle(ctx); err != nil {
		return err
	}
	if c.Limiter != nil {
		s, err := c.Limiter.Acquire(ctx, c.Key)
		if err != nil {
			return &LimiterError{Err: err}
		}
		c.slot, c.held = s, true
	}
	if c.Authorize != nil {
		if err := c.Authorize(req); err != nil {
			c.Release(nil)
			return err
		}
	}
	c.begin()
	return nil
}

// LimiterError is the limiter's refusal to let an attempt go (its daily
// budget spent, or the caller's context ended while it waited).
type LimiterError struct{ Err error }

// Error is the limiter's own message.
func (e *LimiterError) Error() string { return e.Err.Error() }

// Unwrap returns the limiter's error.
func (e *LimiterError) Unwrap() error { return e.Err }

// Limiter is the one seam between a call and a rate limiter: the SDK's
// in-process limiter and any other a user supplies (through an adapter)
// both meet it.
type Limiter interface {
	Acquire(ctx context.Context, key string) (Slot, error)
}

// Hold is a place in another limiter's budget.
type Hold interface {
	Done(h http.Header, status int)
}

// Slot is one attempt's place in a limiter's budget: the in-process
// limiter's, held by value (no allocation on the hot path), or another
// limiter's Hold.
type Slot struct {
	local ratelimit.Slot
	hold  Hold
}

// LocalSlot is a Slot of the in-process limiter.
func LocalSlot(s ratelimit.Slot) Slot { return Slot{local: s} }

// HoldSlot is a Slot of another limiter.
func HoldSlot(h Hold) Slot { return Slot{hold: h} }

// Done reports the attempt's answer to the limiter.
func (s Slot) Done(h http.Header, status int) {
	if s.hold != nil {
		s.hold.Done(h, status)
		return
	}
	s.local.Done(h, status)
}

// Release ends the current attempt's hold, learning from its answer.
func (c *Call) Release(resp *http.Response) {
	if !c.held {
		return
	}
	var h http.Header
	status := 0
	if resp != nil {
		h, status = resp.Header, resp.StatusCode
	}
	c.slot.Done(h, status)
	c.slot, c.held = Slot{}, false
}

type callKey struct{}

// WithCall returns ctx carrying call.
func WithCall(ctx context.Context, call *Call) context.Context {
	return context.WithValue(ctx, callKey{}, call)
}

// CallFrom returns the call carried by ctx, or nil.
func CallFrom(ctx context.Context) *Call {
	c, _ := ctx.Value(callKey{}).(*Call)
	return c
}

// Config is the client-wide part of the retry policy.
type Config struct {
	MinWait time.Duration
	MaxWait time.Duration
}

// New returns a retrying client around hc with the SDK's policy.
func New(hc *http.Client, cfg Config) *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient:   hc,
		RetryWaitMin: cfg.MinWait,
		RetryWaitMax: cfg.MaxWait,
		// The per-call policy decides when to stop; this is only a backstop.
		RetryMax:     math.MaxInt32,
		CheckRetry:   CheckRetry,
		Backoff:      Backoff,
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
		PrepareRetry: prepareRetry,
	}
}

// CheckRetry is the SDK's retry policy; see Call for the rules.
func CheckRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	call := CallFrom(ctx)
	if call == nil {
		return false, nil
	}
	call.Attempts++
	call.Release(resp)
	if err == nil && resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		// Read the answer inside the attempt: a connection that dies while
		// the body streams is a failed attempt, not a decoding error later.
		if err = call.readBody(resp); err != nil {
			resp = nil
		}
	}
	ambiguous := ambiguousAttempt(resp, err)
	call.ambiguousAt = time.Time{}
	if ambiguous {
		call.Ambiguous = true
		call.ambiguousAt = time.Now()
	}
	if ctx.Err() != nil {
		return false, nil
	}
	if err != nil && call.BodyErr != nil {
		// The answer was cut off. Resend only what may be resent; either
		// way the caller reads BodyErr, not a transport error.
		if call.Retryable && !errors.Is(err, ErrTooLarge) && call.failures < call.MaxRetries {
			call.failures++
			return true, nil
		}
		return false, nil
	}
	if !shouldRetry(call, resp, err) {
		return false, nil
	}
	if resp != nil && resp.StatusCode == http.StatusTooManyRequests && call.refusals < call.MaxRateRetries {
		call.refusals++
	} else if call.failures < call.MaxRetries {
		call.failures++
	} else {
		return false, nil
	}
	if resp != nil {
		// Keep the answer: retryablehttp drains it before waiting, and if the
		// wait is cancelled the caller must still learn what the server said.
		body, _ := io.ReadAll(io.LimitReader(resp.Body, MaxErrorBody))
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		call.Last, call.LastBody = resp, body
	}
	return true, nil
}

// readBody reads a 2xx answer's body into call.Body and puts an empty body
// in its place. A read error is kept in call.BodyErr.
func (c *Call) readBody(resp *http.Response) error {
	limit := c.MaxBody
	if limit <= 0 {
		limit = math.MaxInt64 - 1
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	resp.Body.Close()
	resp.Body = http.NoBody
	if err == nil && int64(len(body)) > limit {
		err = ErrTooLarge
	}
	if err != nil {
		c.Body, c.BodyErr = nil, err
		return err
	}
	c.Body = body
	return nil
}

// ErrTooLarge: a successful answer was larger than the SDK reads.
var ErrTooLarge = errors.New("answer exceeds the size limit")

// ambiguousAttempt reports whether an attempt may have reached the server
// without the client learning what came of it.
func ambiguousAttempt(resp *http.Response, err error) bool {
	if err != nil {
		return !NotSent(err) && !errors.Is(err, ErrTooLarge)
	}
	switch resp.StatusCode {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
		return true
	}
	return false
}

func shouldRetry(call *Call, resp *http.Response, err error) bool {
	if err != nil {
		if NotSent(err) {
			return true
		}
		return call.Retryable && transient(err)
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		if DailyExhausted(resp.Header) {
			return false
		}
		if ra, ok := RetryAfter(resp.Header, time.Now()); ok && ra > call.MaxWait {
			return false
		}
		return true
	case http.StatusRequestTimeout, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return call.Retryable
	}
	return false
}

// NotSent reports whether err proves the request never reached the server:
// the connection could not be made (refused, unreachable, no such host).
func NotSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// transient reports whether a transport error may pass on a second try.
// Certificate problems will not. The caller's own cancelled context never
// gets here: CheckRetry stops first.
func transient(err error) bool {
	var (
		unknownAuth x509.UnknownAuthorityError
		hostname    x509.HostnameError
		invalid     x509.CertificateInvalidError
		verify      *tls.CertificateVerificationError
	)
	switch {
	case errors.As(err, &unknownAuth), errors.As(err, &hostname),
		errors.As(err, &invalid), errors.As(err, &verify):
		return false
	}
	return true
}

// settle waits out the rest of the settle time after an ambiguous attempt.
func (c *Call) settle(ctx context.Context) error {
	if c.Settle <= 0 || c.ambiguousAt.IsZero() {
		return nil
	}
	if d := time.Until(c.ambiguousAt.Add(c.Settle)); d > 0 {
		return ratelimit.Sleep(ctx, d)
	}
	return nil
}

// NoRedirects returns a copy of hc (sharing its transport and connection
// pool) that never follows a redirect: the 3xx answer comes back as it is.
// HighLevel's API does not redirect; following one would carry the token,
// client secret or body to another host, or to the same host over plain
// http (Go drops Authorization only when the host name changes).
func NoRedirects(hc *http.Client) *http.Client {
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// Shield returns a client that sends through hc but never follows a
// redirect (NoRedirects) and whose CloseIdleConnections does nothing:
// go-retryablehttp closes the idle connections of its client after every
// failed call, and a caller's shared client must not lose its keep-alive
// pool because one call failed.
func Shield(hc *http.Client) *http.Client {
	c := NoRedirects(hc)
	rt := hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	c.Transport = shielded{rt}
	return c
}

// shielded forwards RoundTrip and hides CloseIdleConnections. It also
// applies the call's per-attempt timeout, which covers sending the request
// and reading the whole answer.
type shielded struct{ rt http.RoundTripper }

func (s shielded) RoundTrip(r *http.Request) (*http.Response, error) {
	call := CallFrom(r.Context())
	if call == nil || call.AttemptTimeout <= 0 {
		return s.rt.RoundTrip(r)
	}
	ctx, cancel := context.WithTimeout(r.Context(), call.AttemptTimeout)
	resp, err := s.rt.RoundTrip(r.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelOnClose ends an attempt's timeout when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// Backoff is the wait before the next attempt: the server's Retry-After when
// it sent one, else the rate-limit window when the burst budget is spent,
// else exponential backoff with jitter. Every wait is capped at max.
func Backoff(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if ra, ok := RetryAfter(resp.Header, time.Now()); ok {
			return capAt(ra, max)
		}
		if resp.StatusCode == http.StatusTooManyRequests {
			if w, ok := WindowWait(resp.Header); ok {
				return capAt(w, max)
			}
		}
	}
	return Exponential(min, max, attempt, rand.Float64())
}

// Exponential returns min·2^attempt capped at max, with "equal jitter": half
// of it fixed and half drawn from r in [0,1), so that many clients that failed
// together do not retry together.
func Exponential(min, max time.Duration, attempt int, r float64) time.Duration {
	if min <= 0 {
		return 0
	}
	d := max
	if attempt < 32 {
		if v := min << uint(attempt); v > 0 && v < max {
			d = v
		}
	}
	half := d / 2
	return half + time.Duration(r*float64(d-half))
}

func capAt(d, max time.Duration) time.Duration {
	if d > max {
		return max
	}
	if d < 0 {
		return 0
	}
	return d
}

// RetryAfter parses a Retry-After header given in seconds or as an HTTP date.
func RetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	return ratelimit.RetryAfter(h, now)
}

// WindowWait is the burst window the server announced, when it also said the
// window's budget is spent.
func WindowWait(h http.Header) (time.Duration, bool) {
	rem, ok := ratelimit.HeaderInt(h, "X-Ratelimit-Remaining")
	if !ok || rem > 0 {
		return 0, false
	}
	ms, ok := ratelimit.HeaderInt(h, "X-Ratelimit-Interval-Milliseconds")
	if !ok || ms <= 0 {
		return 0, false
	}
	return time.Duration(ms) * time.Millisecond, true
}

// DailyExhausted reports whether the answer says the daily budget is spent;
// waiting seconds will not help then.
func DailyExhausted(h http.Header) bool {
	rem, ok := ratelimit.HeaderInt(h, "X-Ratelimit-Daily-Remaining")
	return ok && rem <= 0
}

// prepareRetry prepares a retry as the first attempt was (Call.Prepare).
func prepareRetry(req *http.Request) error {
	call := CallFrom(req.Context())
	if call == nil {
		return nil
	}
	if call.Authorize != nil {
		// The previous attempt's request shares this header map; give the
		// retry its own before its token is set.
		req.Header = req.Header.Clone()
	}
	return call.Prepare(req)
}
