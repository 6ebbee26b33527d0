package ghl

import (
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
	// retryable: the operation may be sent again after an attempt that may
	// have reached the server. True for reads, PUT, DELETE and POSTs that are
	// idempotent by nature (search, upsert, tag and follower changes).
	retryable bool
}

// do is the one request path: every service method ends here. It encodes the
// body, sets the headers, sends the request through the retry policy, and
// turns the answer into out or a typed error.
func (c *Client) do(ctx context.Context, o op, out any, opts []CallOption) error {
	cs := callSettings{retries: c.retry.MaxRetries}
	for _, f := range opts {
		if f != nil {
			f(&cs)
		}
	}
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
	call := &transport.Call{Retryable: o.retryable, MaxRetries: cs.retries, MaxWait: c.retry.MaxWait}
	if c.tokens != nil {
		call.Authorize = c.authorize
	}
	if c.limiter != nil {
		call.Limiter, call.Key = c.limiter.l, c.limitKey
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
	resp, err := c.rc.Do(req)
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		// An OAuth source refreshes once and the call is sent once more: a
		// 401 means the server did not act on the request.
		if inv, ok := c.tokens.(invalidator); ok {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, transport.MaxErrorBody))
			resp.Body.Close()
			stale := strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer ")
			if ierr := inv.Invalidate(ctx, stale); ierr != nil {
				return fmt.Errorf("%w; refreshing the token failed: %w", newAPIError(o.method, o.path, resp.StatusCode, resp.Header, b), ierr)
			}
			if req, err = c.newRequest(ctx, call, o, u, body); err != nil {
				return err
			}
			resp, err = c.rc.Do(req)
		}
	}
	if err != nil {
		return sendError(o, call, err)
	}
	defer resp.Body.Close()
	if logging {
		c.logger.LogAttrs(ctx, slog.LevelDebug, "ghl request", slog.String("method", o.method),
			slog.String("path", o.path), slog.Int("status", resp.StatusCode),
			slog.Int("attempts", call.Attempts), slog.Duration("duration", time.Since(start)))
	}
	if cs.resp != nil {
		*cs.resp = Response{StatusCode: resp.StatusCode, Header: resp.Header,
			Attempts: call.Attempts, Method: o.method, Path: o.path}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, transport.MaxErrorBody))
		err := newAPIError(o.method, o.path, resp.StatusCode, resp.Header, b)
		if resp.StatusCode == http.StatusUnauthorized && c.tokens == nil {
			var ae *APIError
			if errors.As(err, &ae) {
				ae.Hint = "the static token was refused: check it, or create a new Private Integration Token in HighLevel (they are rotated in the UI, not refreshed)"
			}
		}
		return err
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBody))
		return nil
	}
	return decode(resp.Body, out, o)
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
	h["Accept"] = jsonHeader
	h["User-Agent"] = c.agent
	if body != nil {
		h["Content-Type"] = jsonHeader
	}
	if err := c.authorize(req.Request); err != nil {
		return nil, err
	}
	if err := call.Acquire(ctx); err != nil {
		return nil, limitError(o, err)
	}
	return req, nil
}

// limitError turns the limiter's refusal into the SDK's error.
func limitError(o op, err error) error {
	var de *ratelimit.DailyError
	if errors.As(err, &de) {
		return &RateLimitError{APIError: &APIError{StatusCode: http.StatusTooManyRequests, Method: o.method, Path: o.path,
			Messages: []string{"the daily rate limit is spent; not sent"}}, Daily: true, RetryAfter: time.Until(de.Reset),
			RateLimit: RateLimit{Max: -1, Remaining: -1, DailyLimit: -1, DailyRemaining: 0, DailyReset: de.Reset}}
	}
	return fmt.Errorf("ghl: %s %s: %w", o.method, o.path, err)
}

// decode reads a JSON answer into out, leniently: unknown fields are ignored
// and an empty body leaves out untouched.
func decode(r io.Reader, out any, o op) error {
	lr := &io.LimitedReader{R: r, N: maxResponseBody + 1}
	if err := json.NewDecoder(lr).Decode(out); err != nil {
		if lr.N <= 0 {
			return fmt.Errorf("ghl: %s %s: answer exceeds %d bytes", o.method, o.path, maxResponseBody)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		return fmt.Errorf("ghl: decode %s %s: %w", o.method, o.path, err)
	}
	_, _ = io.Copy(io.Discard, lr)
	return nil
}

// authorize sets the Authorization header of one attempt.
func (c *Client) authorize(r *http.Request) error {
	if c.tokens == nil {
		r.Header["Authorization"] = c.auth
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
func sendError(o op, call *transport.Call, err error) error {
	var de *ratelimit.DailyError
	if errors.As(err, &de) { // a retry found the daily budget spent
		return limitError(o, err)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if call.Last != nil {
		last := newAPIError(o.method, o.path, call.Last.StatusCode, call.Last.Header, call.LastBody)
		return fmt.Errorf("ghl: %s %s: %w (after %d attempts; last answer: %w)", o.method, o.path, err, call.Attempts, last)
	}
	return fmt.Errorf("ghl: %s %s: %w", o.method, o.path, err)
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
