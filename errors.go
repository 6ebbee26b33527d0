package ghl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ghlkit/ghl/internal/transport"
)

// Sentinels for errors.Is. Every *APIError matches the sentinel of its status
// class, so callers can branch without caring about the concrete type:
//
//	if errors.Is(err, ghl.ErrNotFound) { ... }
var (
	// ErrNotFound: the resource does not exist: HTTP 404, or the 400 whose
	// message says "... not found" that some endpoints send instead.
	ErrNotFound = errors.New("ghl: not found")
	// ErrUnauthorized: the token is missing, invalid or expired (HTTP 401).
	ErrUnauthorized = errors.New("ghl: unauthorized")
	// ErrForbidden: the token may not touch this resource or location (HTTP 403).
	ErrForbidden = errors.New("ghl: forbidden")
	// ErrRateLimited: the burst or daily rate limit was hit (HTTP 429).
	ErrRateLimited = errors.New("ghl: rate limited")
	// ErrDuplicateContact: the location refuses duplicate contacts and one
	// already matches; errors.As with *DuplicateContactError gives its ID.
	ErrDuplicateContact = errors.New("ghl: duplicate contact")
	// ErrReauthRequired: the refresh token is spent or revoked; the user must
	// install the app again.
	ErrReauthRequired = errors.New("ghl: re-authorization required")
	// ErrInvalidInput: the call was refused before anything was sent;
	// errors.As with *InputError names the field.
	ErrInvalidInput = errors.New("ghl: invalid input")
	// ErrMaybeProcessed: a write that is not sent twice (a create) may have
	// been carried out although the call failed: the connection died after
	// the request was sent, HighLevel answered 500, 502 or 504, or a 2xx
	// answer was cut off or empty. Look the record up before creating it
	// again; errors.As with *UnknownOutcomeError says when it was sent.
	ErrMaybeProcessed = errors.New("ghl: the request may have been processed")
	// ErrBadAnswer: HighLevel answered 2xx with a body the operation cannot
	// use (empty, null, cut off, not JSON, too large); errors.As with
	// *AnswerError says which.
	ErrBadAnswer = errors.New("ghl: unusable answer")
	// ErrRedirected: an answer pointed elsewhere (a 3xx), and the SDK did not
	// follow it: HighLevel's API does not redirect, so a redirect means a
	// wrong base URL or someone in the way, and following it would carry the
	// token, client secret or body to another host. errors.As with
	// *RedirectError says where it pointed.
	ErrRedirected = errors.New("ghl: redirect refused")
)

// UnknownOutcomeError is a failed call whose request may nevertheless have
// been carried out by HighLevel. It matches ErrMaybeProcessed and unwraps to
// what went wrong (a transport error, an *APIError or an *AnswerError).
type UnknownOutcomeError struct {
	Method   string    // request method
	Path     string    // request path, without query
	Attempts int       // attempts made
	SentAt   time.Time // when the last attempt was sent: search for records created since
	Err      error     // what went wrong
}

// Error says that the request may have been processed, and why that is unknown.
func (e *UnknownOutcomeError) Error() string {
	return "ghl: " + e.Method + " " + e.Path + ": outcome unknown, the request may have been processed (not sent again): " + e.Err.Error()
}

// Is makes errors.Is(err, ErrMaybeProcessed) true.
func (e *UnknownOutcomeError) Is(target error) bool { return target == ErrMaybeProcessed }

// Unwrap returns what went wrong.
func (e *UnknownOutcomeError) Unwrap() error { return e.Err }

// AnswerError is a 2xx answer that the operation cannot use. It matches
// ErrBadAnswer.
type AnswerError struct {
	StatusCode int    // HTTP status
	Method     string // request method
	Path       string // request path, without query
	Reason     string // what is wrong with the answer
	TraceID    string // HighLevel's trace ID, when the answer carried one
	Err        error  // the read or decode error, if any
}

// Error names the call, the status and what is wrong.
func (e *AnswerError) Error() string {
	s := fmt.Sprintf("ghl: %s %s: %d answer %s", e.Method, e.Path, e.StatusCode, e.Reason)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	if e.TraceID != "" {
		s += " (trace " + e.TraceID + ")"
	}
	return s
}

// Is makes errors.Is(err, ErrBadAnswer) true.
func (e *AnswerError) Is(target error) bool { return target == ErrBadAnswer }

// Unwrap returns the read or decode error.
func (e *AnswerError) Unwrap() error { return e.Err }

// InputError reports a call refused before any request was sent.
type InputError struct {
	Field  string // the offending field or parameter, as named on the wire
	Reason string
}

// Error names the field and what is wrong with it.
func (e *InputError) Error() string {
	return "ghl: invalid " + e.Field + ": " + e.Reason
}

// Is makes errors.Is(err, ErrInvalidInput) true.
func (e *InputError) Is(target error) bool { return target == ErrInvalidInput }

func invalid(field, format string, args ...any) error {
	return &InputError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// APIError is a non-2xx answer from HighLevel. It never carries the token or
// the query string of the request.
type APIError struct {
	StatusCode int      // HTTP status
	Messages   []string // the body's "message", which the API sends as a string or an array
	ErrorText  string   // the body's "error" field, e.g. "Unprocessable Entity"
	TraceID    string   // HighLevel's trace ID, when the answer carried one
	Method     string   // request method
	Path       string   // request path, without query
	Body       []byte   // the raw body (capped), for answers the SDK does not model
	Hint       string   // what the SDK suggests, for some failures
}

// Error gives the method, path, status, messages and trace ID.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("ghl: ")
	b.WriteString(e.Method)
	b.WriteByte(' ')
	b.WriteString(e.Path)
	b.WriteString(": ")
	fmt.Fprintf(&b, "%d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if len(e.Messages) > 0 {
		b.WriteString(": ")
		b.WriteString(strings.Join(e.Messages, "; "))
	} else if e.ErrorText != "" {
		b.WriteString(": ")
		b.WriteString(e.ErrorText)
	}
	if e.Hint != "" {
		b.WriteString(" (")
		b.WriteString(e.Hint)
		b.WriteByte(')')
	}
	if e.TraceID != "" {
		b.WriteString(" (trace ")
		b.WriteString(e.TraceID)
		b.WriteByte(')')
	}
	return b.String()
}

// Message returns the messages joined into one line.
func (e *APIError) Message() string { return strings.Join(e.Messages, "; ") }

// Is matches the sentinel of the error's status.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound ||
			(e.StatusCode == http.StatusBadRequest && len(e.Messages) == 1 &&
				strings.HasSuffix(strings.ToLower(e.Messages[0]), "not found"))
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	}
	return false
}

// DuplicateContactError is the 400 answer of a location that does not allow
// duplicated contacts. ContactID is the existing contact, so a caller can
// update it instead of creating one.
type DuplicateContactError struct {
	*APIError
	ContactID     string // meta.contactId
	ContactName   string // meta.contactName
	MatchingField string // meta.matchingField, e.g. "email" or "phone"
}

// Is matches ErrDuplicateContact as well as the APIError sentinels.
func (e *DuplicateContactError) Is(target error) bool {
	return target == ErrDuplicateContact || e.APIError.Is(target)
}

// Unwrap returns the underlying *APIError.
func (e *DuplicateContactError) Unwrap() error { return e.APIError }

// RedirectError is a 3xx answer, never followed: nothing was sent to the
// host it names.
type RedirectError struct {
	*APIError
	// Target is the scheme and host the answer pointed to (such as
	// "http://127.0.0.1:8080"), without its path or query; "" when it named
	// none.
	Target string
}

// Unwrap returns the underlying *APIError.
func (e *RedirectError) Unwrap() error { return e.APIError }

// Is matches ErrRedirected.
func (e *RedirectError) Is(target error) bool { return target == ErrRedirected }

// Error says where the answer pointed and that it was not followed.
func (e *RedirectError) Error() string {
	to := e.Target
	if to == "" {
		to = "no location"
	}
	return fmt.Sprintf("ghl: %s %s: %d %s: a redirect to %s, not followed (HighLevel's API does not redirect: check the base URL)",
		e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode), to)
}

// redirectTarget is the scheme and host of a redirect's Location.
func redirectTarget(h http.Header) string {
	u, err := url.Parse(h.Get("Location"))
	if err != nil || u.Host == "" {
		return ""
	}
	scheme := u.Scheme
	if scheme == "" {
		scheme = "//"
	} else {
		scheme += "://"
	}
	return scheme + u.Host
}

// RateLimitError is a 429 answer, with the rate-limit state it carried.
type RateLimitError struct {
	*APIError
	RateLimit  RateLimit     // the X-RateLimit-* headers of the answer
	RetryAfter time.Duration // how long the server asked to wait (0 if it did not say)
	Daily      bool          // the daily budget is spent; retrying before it resets is pointless
}

// Unwrap returns the underlying *APIError.
func (e *RateLimitError) Unwrap() error { return e.APIError }

// Error adds the rate-limit scope to the API error text.
func (e *RateLimitError) Error() string {
	s := e.APIError.Error()
	if e.Daily {
		return s + " [daily limit spent]"
	}
	if e.RetryAfter > 0 {
		return s + " [retry after " + e.RetryAfter.String() + "]"
	}
	return s
}

// errorBody is the union of HighLevel's error shapes (BadRequestDTO,
// UnauthorizedDTO, UnprocessableDTO and the duplicate-contact answer).
type errorBody struct {
	Message messages `json:"message"`
	Error   string   `json:"error"`
	TraceID string   `json:"traceId"`
	Meta    struct {
		ContactID     string `json:"contactId"`
		ContactName   string `json:"contactName"`
		MatchingField string `json:"matchingField"`
	} `json:"meta"`
}

// messages decodes "message" sent as a string or as an array of strings.
type messages []string

// UnmarshalJSON accepts a string, an array of strings, or anything else as text.
func (m *messages) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*m = nil
	case b[0] == '[':
		var raw []json.RawMessage
		if err := json.Unmarshal(b, &raw); err != nil {
			return err
		}
		out := make([]string, 0, len(raw))
		for _, r := range raw {
			var s string
			if json.Unmarshal(r, &s) != nil {
				s = string(r)
			}
			out = append(out, s)
		}
		*m = out
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*m = messages{s}
	default:
		*m = messages{string(b)}
	}
	return nil
}

// redacted replaces a secret the SDK sent when an answer echoes it.
const redacted = "[redacted]"

// minSecret is the shortest value scrubbed from text: shorter ones would
// match ordinary words.
const minSecret = 6

// scrub replaces every occurrence of each secret in s.
func scrub(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) >= minSecret && strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, redacted)
		}
	}
	return s
}

// scrubBytes is scrub for a raw body; it copies only when it changes.
func scrubBytes(b []byte, secrets []string) []byte {
	for _, sec := range secrets {
		if len(sec) >= minSecret && bytes.Contains(b, []byte(sec)) {
			b = bytes.ReplaceAll(b, []byte(sec), []byte(redacted))
		}
	}
	return b
}

// newAPIError builds the typed error for a non-2xx answer. secrets are the
// values the request carried (its token): an answer that echoes one has it
// replaced before it reaches the error.
func newAPIError(method, path string, status int, h http.Header, body []byte, secrets ...string) error {
	body = scrubBytes(body, secrets)
	e := &APIError{StatusCode: status, Method: method, Path: path, Body: body}
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil {
		e.Messages, e.ErrorText, e.TraceID = eb.Message, eb.Error, eb.TraceID
	} else if t := strings.TrimSpace(string(body)); t != "" {
		// A proxy's HTML or text page: keep a short, single-line excerpt.
		e.Messages = []string{excerpt(t, 200)}
	}
	for i, m := range e.Messages {
		e.Messages[i] = scrub(m, secrets)
	}
	e.ErrorText = scrub(e.ErrorText, secrets)
	if e.TraceID == "" {
		e.TraceID = h.Get("X-Trace-Id")
	}
	switch {
	case status >= 300 && status < 400:
		return &RedirectError{APIError: e, Target: redirectTarget(h)}
	case status == http.StatusBadRequest && eb.Meta.ContactID != "":
		return &DuplicateContactError{APIError: e, ContactID: eb.Meta.ContactID,
			ContactName: eb.Meta.ContactName, MatchingField: eb.Meta.MatchingField}
	case status == http.StatusTooManyRequests:
		ra, _ := transport.RetryAfter(h, time.Now())
		return &RateLimitError{APIError: e, RateLimit: parseRateLimit(h), RetryAfter: ra,
			Daily: transport.DailyExhausted(h)}
	}
	return e
}

func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}
