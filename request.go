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

// do is the one request path: every service method ends here. It encodes the
// body, sets the headers, sends the request through the retry policy, and
// turns the answer into out or a typed error. When out is non-nil the
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
	u := c.base + o.path
	if len(o.query) > 0 {
		u += "?" + o.query.Encode()
	}
	rateRetries := c.retry.MaxRateLimitRetries
	if cs.retries == 0 {
		rateRetries = 0 // the call is sent once
	}
	call := &transport.Call{Retryable: o.retryable, MaxRetries: cs.retries, MaxRateRetries: rateRetries,
		MaxWait: c.retry.MaxWait, MaxBody: maxResponseBody,
		AttemptTimeout: cs.attempt}
	if o.settle {
		call.Settle = c.retry.SettleWait
	}
	if counter, ok := ctx.Value(requestCounterKey{}).(*RequestCounter); ok {
		defer func() { counter.n.Add(int64(call.Attempts)) }()
	}
	if c.tokens != nil {
		call.Authorize = c.authorize
	}
	if c.limiter != nil {
		call.Key = c.limitKeyOf(&o)
		if local, ok := c.limiter.(*LocalRateLimiter); ok {
			call.Local = local.l // the fast path: no interface, no allocation
		} else {
			call.Limiter = limiterAdapter{c.limiter}
		}
		defer call.Release(nil) // an attempt that never got an answer
	}
	req, err := c.newRequest(ctx, call, o, u, body)
	if err != nil {
		return err
	}
	var start time.Time
	logging := c.logger != nil && c.logger.Enabled(ctx, slog.LevelDebug)
	if logging {
		start = time.Now()
	}
	first := req.Request // its token, for scrubbing errors; read only when one is built
	resp, err := c.rc.Do(req)
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		// An OAuth source refreshes once and the call is sent once more: a
		// 401 means the server did not act on the request.
		if inv, ok := c.tokens.(invalidator); ok {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, transport.MaxErrorBody))
			resp.Body.Close()
			stale := bearer(req.Request)
			if ierr := inv.Invalidate(ctx, stale); ierr != nil {
				return fmt.Errorf("%w; refreshing the token failed: %w", newAPIError(o.method, o.path, resp.StatusCode, resp.Header, b, stale), ierr)
			}
			if req, err = c.newRequest(ctx, call, o, u, body); err != nil {
				return err
			}
			resp, err = c.rc.Do(req)
		}
	}
	sent := func() []string { return []string{bearer(first), bearer(req.Request)} }
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
		return sendError(o, call, err, sent())
	}
	defer resp.Body.Close()
	if logging {
		c.logger.LogAttrs(ctx, slog.LevelDebug, "ghl request", slog.String("method", o.method),
			slog.String("path", o.path), slog.Int("status", resp.StatusCode),
			slog.Int("attempts", call.Attempts), slog.Duration("duration", time.Since(start)))
	}
	if cs.resp != nil {
		*cs.resp = Response{StatusCode: resp.StatusCode, Header: resp.Header,
			Attempts: call.Attempts, Method: o.method, Path: o.path, UnknownOutcome: call.Ambiguous}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, transport.MaxErrorBody))
		if resp.StatusCode == http.StatusNotFound && o.method == http.MethodDelete && call.Ambiguous {
			// An earlier attempt whose answer was lost did the delete.
			return nil
		}
		err := newAPIError(o.method, o.path, resp.StatusCode, resp.Header, b, sent()...)
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
	err = nil
	if ae := decode(call.Body, out); ae != nil {
		err = ae
	} else if o.valid != nil {
		if r := o.valid(); r != "" {
			err = &AnswerError{Reason: r}
		}
	}
	if err != nil {
		var ae *AnswerError
		errors.As(err, &ae)
		ae.StatusCode, ae.Method, ae.Path, ae.TraceID = resp.StatusCode, o.method, o.path, resp.Header.Get("X-Trace-Id")
		// A create that answered 2xx was carried out, whatever its body.
		call.Ambiguous = true
		return outcome(o, call, err)
	}
	return nil
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
	// The rate slot first, then the token: a wait for room must not send a
	// token that expired while it waited.
	if err := call.Acquire(ctx); err != nil {
		return nil, limitError(o, err)
	}
	if err := c.authorize(req.Request); err != nil {
		call.Release(nil)
		return nil, err
	}
	call.Begin()
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

// limiterAdapter gives the transport a user's RateLimiter.
type limiterAdapter struct{ l RateLimiter }

func (a limiterAdapter) Acquire(ctx context.Context, key string) (transport.Hold, error) {
	h, err := a.l.Acquire(ctx, key)
	if err != nil {
		return nil, err
	}
	return h, nil
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
