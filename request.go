package ghl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/ghlkit/ghl/internal/ratelimit"
	"github.com/ghlkit/ghl/internal/transport"
)

// maxResponseBody caps a successful answer. A search page of 500 contacts is
// a few MiB; anything far larger is not an answer this SDK understands.
const maxResponseBody = 64 << 20

// Header values shared by every request. net/http only reads them.
var (
	versionHeader = []string{APIVersion}
	jsonHeader    = []string{"application/json"}
)

// op is one API operation as a service method names it.
type op struct {
	method string
	path   string // below the base URL, starting with "/"; IDs already checked
	query  url.Values
	body   any // encoded as JSON when non-nil
	header []string
	// version is the operation's Version header; "" means APIVersion.
	version string
	// retryable: the operation may be sent again after an attempt that may
	// have reached the server. True for reads, PUT, DELETE and POSTs that are
	// idempotent by nature (search, upsert, tag and follower changes).
	retryable bool
	// valid, when set, checks the decoded answer: a non-empty reason makes
	// the answer unusable (a create that answered without an ID).
	valid func() string
	// location is the location the request targets, for the rate limiter,
	// when it travels in the body ("" otherwise: it is read from the query
	// or the path, else the client's location is assumed).
	location string
	// settle: a second attempt racing the first on HighLevel's side could
	// create a duplicate (an upsert), so a resend after an unknown outcome
	// waits RetryPolicy.SettleWait first.
	settle bool
}

// do is the one request path: every service method ends here. It builds
// the call (the body encoded, the retry policy and rate key settled), sends
// it (send: every attempt prepared in one place, transport.Call.Prepare,
// and one resend after a refreshed token), and interprets the answer
// (interpret: status, body, decoding, outcome). When out is non-nil the
// operation answers with a body, and an empty or null one is an error.
func (c *Client) do(ctx context.Context, o op, out any, opts []CallOption) error {
	cs := callSettings{retries: c.retry.MaxRetries}
	for _, f := range opts {
		if f != nil {
			f(&cs)
		}
	}
	cs.apply(&o)
	var body any // stays an untyped nil for requests without a body
	if o.body != nil {
		b, err := json.Marshal(o.body)
		if err != nil {
			return fmt.Errorf("ghl: encode %s %s: %w", o.method, o.path, err)
		}
		body = b
	}
	call := c.newCall(&o, &cs)
	if counter, ok := ctx.Value(requestCounterKey{}).(*RequestCounter); ok {
		defer func() { counter.n.Add(int64(call.Attempts)) }()
	}
	if call.Limiter != nil {
		defer call.Release(nil) // an attempt that never got an answer
	}
	resp, sent, err := c.send(ctx, call, o, body)
	if cs.unknown != nil {
		*cs.unknown = call.Ambiguous
	}
	if err != nil {
		if cs.resp != nil { // no answer to this attempt: what was tried, and the last answer if any
			*cs.resp = Response{Attempts: call.Attempts, Method: o.method, Path: o.path, UnknownOutcome: call.Ambiguous}
			if call.Last != nil {
				cs.resp.StatusCode, cs.resp.Header = call.Last.StatusCode, call.Last.Header
			}
		}
		if sent.first == nil {
			return err // refused before anything was sent
		}
		return sendError(o, call, err, sent.tokens())
	}
	defer resp.Body.Close()
	if cs.resp != nil {
		*cs.resp = Response{StatusCode: resp.StatusCode, Header: resp.Header,
			Attempts: call.Attempts, Method: o.method, Path: o.path, UnknownOutcome: call.Ambiguous}
	}
	return c.interpret(o, call, resp, out, sent)
}

// newCall is the state of one call across its attempts: the retry policy
// for the operation and the per-call options, the rate key, the token.
func (c *Client) newCall(o *op, cs *callSettings) *transport.Call {
	rateRetries := c.retry.MaxRateLimitRetries
	if cs.retries == 0 {
		rateRetries = 0 // the call is sent once
	}
	call := &transport.Call{Retryable: o.retryable, MaxRetries: cs.retries, MaxRateRetries: rateRetries,
		MaxWait: c.retry.MaxWait, MaxBody: maxResponseBody, AttemptTimeout: cs.attempt, Authorize: c.authorizeFn}
	if o.settle {
		call.Settle = c.retry.SettleWait
	}
	if c.seam != nil {
		call.Limiter, call.Key = c.seam, c.limitKeyOf(o)
	}
	return call
}

// send sends the call through the retry policy. A 401 from an OAuth
// source's token gets one refresh and one resend: a 401 means the server
// did not act on the request. sent holds the requests whose tokens are
// scrubbed from errors; zero when nothing was sent.
func (c *Client) send(ctx context.Context, call *transport.Call, o op, body any) (resp *http.Response, sent sentRequests, err error) {
	u := c.base + o.path
	if len(o.query) > 0 {
		u += "?" + o.query.Encode()
	}
	var start time.Time
	logging := c.logger != nil && c.logger.Enabled(ctx, slog.LevelDebug)
	if logging {
		start = time.Now()
	}
	req, err := c.newRequest(ctx, call, o, u, body)
	if err != nil {
		return nil, sent, err
	}
	sent.first, sent.last = req.Request, req.Request
	resp, err = c.rc.Do(req)
	if inv, ok := c.tokens.(invalidator); ok && err == nil && resp.StatusCode == http.StatusUnauthorized {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, transport.MaxErrorBody))
		resp.Body.Close()
		stale := bearer(req.Request)
		if ierr := inv.Invalidate(ctx, stale); ierr != nil {
			return nil, sentRequests{}, fmt.Errorf("%w; refreshing the token failed: %w", newAPIError(o.method, o.path, resp.StatusCode, resp.Header, b, stale), ierr)
		}
		if req, err = c.newRequest(ctx, call, o, u, body); err != nil {
			return nil, sentRequests{}, err
		}
		sent.last = req.Request
		resp, err = c.rc.Do(req)
	}
	if err == nil && logging {
		c.logger.LogAttrs(ctx, slog.LevelDebug, "ghl request", slog.String("method", o.method),
			slog.String("path", o.path), slog.Int("status", resp.StatusCode),
			slog.Int("attempts", call.Attempts), slog.Duration("duration", time.Since(start)))
	}
	return resp, sent, err
}

// sentRequests are the first and last requests of a call (two after a
// refreshed token), for the tokens an error must not show.
type sentRequests struct{ first, last *http.Request }

// tokens returns the access tokens the requests carried (read only when
// an error is built).
func (s sentRequests) tokens() []string { return []string{bearer(s.first), bearer(s.last)} }

// interpret turns the final answer into out or a typed error: the status,
// then the body as read inside the attempt, then its decoding, and whether
// the outcome is unknown.
func (c *Client) interpret(o op, call *transport.Call, resp *http.Response, out any, sent sentRequests) error {
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, transport.MaxErrorBody))
		if resp.StatusCode == http.StatusNotFound && o.method == http.MethodDelete && call.Ambiguous {
			// An earlier attempt whose answer was lost did the delete.
			return nil
		}
		err := newAPIError(o.method, o.path, resp.StatusCode, resp.Header, b, sent.tokens()...)
		if resp.StatusCode == http.StatusUnauthorized && c.tokens == nil {
			var ae *APIError
			if errors.As(err, &ae) {
				ae.Hint = "the static token was refused: check it, or create a new Private Integration Token in HighLevel (they are rotated in the UI, not refreshed)"
			}
		}
		return outcome(o, call, err)
	}
	if call.BodyErr != nil {
		reason := "was cut off"
		if errors.Is(call.BodyErr, transport.ErrTooLarge) {
			reason = fmt.Sprintf("exceeds %d bytes", maxResponseBody)
		}
		return outcome(o, call, &AnswerError{StatusCode: resp.StatusCode, Method: o.method, Path: o.path,
			Reason: fmt.Sprintf("%s (after %d attempts)", reason, call.Attempts), TraceID: resp.Header.Get("X-Trace-Id"), Err: call.BodyErr})
	}
	if out == nil {
		return nil
	}
	ae := decode(call.Body, out)
	if ae == nil && o.valid != nil {
		if r := o.valid(); r != "" {
			ae = &AnswerError{Reason: r}
		}
	}
	if ae == nil {
		return nil
	}
	ae.StatusCode, ae.Method, ae.Path, ae.TraceID = resp.StatusCode, o.method, o.path, resp.Header.Get("X-Trace-Id")
	// A create that answered 2xx was carried out, whatever its body.
	call.Ambiguous = true
	return outcome(o, call, ae)
}

// outcome wraps err in *UnknownOutcomeError when the call is a write that
// is not sent twice (or an upsert) and an attempt may have been carried out.
func outcome(o op, call *transport.Call, err error) error {
	if !call.Ambiguous || o.retryable && !o.settle {
		return err
	}
	return &UnknownOutcomeError{Method: o.method, Path: o.path, Attempts: call.Attempts, SentAt: call.SentAt, Err: err}
}

// bearer returns the token an attempt carried.
func bearer(r *http.Request) string {
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
}

// invalidator is a token source that can refresh after a 401.
type invalidator interface {
	Invalidate(ctx context.Context, stale string) error
}

// newRequest builds one send of the call, headers and token included.
func (c *Client) newRequest(ctx context.Context, call *transport.Call, o op, u string, body any) (*retryablehttp.Request, error) {
	req, err := retryablehttp.NewRequestWithContext(transport.WithCall(ctx, call), o.method, u, body)
	if err != nil {
		return nil, fmt.Errorf("ghl: build %s %s: %w", o.method, o.path, err)
	}
	h := req.Header
	h["Version"] = versionHeader
	if o.version != "" {
		h["Version"] = []string{o.version}
	}
	for i := 0; i+1 < len(o.header); i += 2 {
		h.Set(o.header[i], o.header[i+1])
	}
	h["Accept"] = jsonHeader
	h["User-Agent"] = c.agent
	if body != nil {
		h["Content-Type"] = jsonHeader
	}
	if err := call.Prepare(req.Request); err != nil {
		var le *transport.LimiterError
		if errors.As(err, &le) {
			return nil, limitError(o, le.Err)
		}
		return nil, err
	}
	return req, nil
}

// limitKeyOf is the rate-limit key of a request: the location it targets
// (HighLevel counts per app and location, or company for agency calls),
// else the client's.
func (c *Client) limitKeyOf(o *op) string {
	switch {
	case o.location != "":
		return o.location
	case o.query.Has("locationId"):
		return o.query.Get("locationId")
	case o.query.Has("companyId"):
		return "company:" + o.query.Get("companyId") // an agency-level call
	case strings.HasPrefix(o.path, "/locations/"):
		if loc, _, _ := strings.Cut(o.path[len("/locations/"):], "/"); loc != "" {
			return loc
		}
	}
	return c.limitKey
}

// limitError turns the limiter's refusal into the SDK's error.
func limitError(o op, err error) error {
	var de *ratelimit.DailyError
	if errors.As(err, &de) {
		return dailyError(o.method, o.path, de.Reset)
	}
	var rl *RateLimitError
	if errors.As(err, &rl) && rl.APIError != nil && rl.Method == "" {
		rl.Method, rl.Path = o.method, o.path
		return rl
	}
	return fmt.Errorf("ghl: %s %s: %w", o.method, o.path, err)
}

// seamOf is l as the transport meets it: the in-process limiter directly
// (its slots held by value: no allocation per request), any other through
// an adapter.
func seamOf(l RateLimiter) transport.Limiter {
	switch l := l.(type) {
	case nil:
		return nil
	case *LocalRateLimiter:
		return localSeam{l.l}
	default:
		return holdSeam{l}
	}
}

// localSeam is the in-process limiter at the transport's seam.
type localSeam struct{ l *ratelimit.Limiter }

func (s localSeam) Acquire(ctx context.Context, key string) (transport.Slot, error) {
	slot, err := s.l.Acquire(ctx, key)
	return transport.LocalSlot(slot), err
}

// holdSeam is a user's RateLimiter at the transport's seam.
type holdSeam struct{ l RateLimiter }

func (s holdSeam) Acquire(ctx context.Context, key string) (transport.Slot, error) {
	h, err := s.l.Acquire(ctx, key)
	if err != nil {
		return transport.Slot{}, err
	}
	return transport.HoldSlot(h), nil
}

// decode reads a JSON answer into out, leniently: unknown fields are
// ignored. An empty or null body is an error: every operation that decodes
// an answer is declared to send one.
func decode(body []byte, out any) *AnswerError {
	b := bytes.TrimSpace(body)
	if len(b) == 0 || string(b) == "null" {
		reason := "is empty"
		if len(b) > 0 {
			reason = "is null"
		}
		return &AnswerError{Reason: reason + ", but the operation returns a body"}
	}
	if err := json.Unmarshal(b, out); err != nil {
		return &AnswerError{Reason: "is not the JSON the operation returns", Err: jsonError(err)}
	}
	return nil
}

// jsonError describes a decoding error without quoting the input.
func jsonError(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("malformed JSON at offset %d", se.Offset)
	}
	return err
}

// authorize sets the Authorization header of one attempt.
func (c *Client) authorize(r *http.Request) error {
	if c.tokens == nil {
		r.Header["Authorization"] = []string{c.auth.Reveal()}
		return nil
	}
	tok, err := c.tokens.AccessToken(r.Context())
	if err != nil {
		return fmt.Errorf("ghl: access token: %w", err)
	}
	if tok == "" {
		return errors.New("ghl: access token: token source returned an empty token")
	}
	r.Header.Set("Authorization", "Bearer "+tok)
	return nil
}

// sendError describes a call that got no final answer: the transport failed,
// or the caller's context ended while waiting to retry. The URL (with its
// query) is left out; when an answer was retried, its typed error is kept.
func sendError(o op, call *transport.Call, err error, secrets []string) error {
	var de *ratelimit.DailyError
	var rl *RateLimitError
	if errors.As(err, &de) || errors.As(err, &rl) && rl.Daily { // a retry found the daily budget spent
		return limitError(o, err)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if call.Last != nil {
		last := newAPIError(o.method, o.path, call.Last.StatusCode, call.Last.Header, call.LastBody, secrets...)
		err = fmt.Errorf("ghl: %s %s: %w (after %d attempts; last answer: %w)", o.method, o.path, err, call.Attempts, last)
	} else {
		err = fmt.Errorf("ghl: %s %s: %w", o.method, o.path, err)
	}
	return outcome(o, call, err)
}

// checkID refuses an ID that cannot be one segment of a path.
func checkID(field, id string) error {
	if r := transport.CheckID(id); r != "" {
		return invalid(field, "%s", r)
	}
	return nil
}

// locationOr returns id, or the client's default location when id is empty.
func (c *Client) locationOr(id string) (string, error) {
	if id == "" {
		id = c.location
	}
	if id == "" {
		return "", invalid("locationId", "is required: set it on the request or with WithLocation")
	}
	return id, checkID("locationId", id)
}
