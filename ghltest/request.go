package ghltest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ghlkit/ghl"
)

// The plumbing every handler shares: answers, body decoding, the token's
// location, and the error shapes.

const forbidden = "The token does not have access to this location."

// decode reads a JSON body, refusing properties the operation's DTO does not
// declare, as the API's validation does.
func (c *call) decode(v any, allowed ...string) (reply, bool) {
	if len(strings.TrimSpace(string(c.body))) == 0 {
		return reply{}, true
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(c.body, &m); err != nil {
		return errReply(http.StatusBadRequest, "Unexpected token in JSON body"), false
	}
	var bad []string
	for k := range m {
		if !slices.Contains(allowed, k) {
			bad = append(bad, "property "+k+" should not exist")
		}
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		return unprocessable(bad...), false
	}
	if err := json.Unmarshal(c.body, v); err != nil {
		return unprocessable(err.Error()), false
	}
	return reply{}, true
}

// has reports whether the JSON body has the key.
func (c *call) has(key string) bool {
	var m map[string]json.RawMessage
	_ = json.Unmarshal(c.body, &m)
	_, ok := m[key]
	return ok
}

// location checks that id names the token's location. Callers hold s.mu.
func (c *call) location(id string) (*location, reply, bool) {
	if id == "" {
		return nil, unprocessable("locationId should not be empty", "locationId must be a string"), false
	}
	if id != c.tok.location {
		return nil, errReply(http.StatusForbidden, forbidden), false
	}
	l := c.s.locations[id]
	if l == nil {
		return nil, errReply(http.StatusForbidden, forbidden), false
	}
	return l, reply{}, true
}

func (s *Server) stamp() ghl.Time { return ghl.Time{Time: s.now().UTC().Truncate(time.Millisecond)} }

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func succeeded(status int) reply { return jsonReply(status, map[string]any{"succeded": true}) }

// reply is a buffered answer, written after the handler returns so faults
// can drop or truncate it.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func jsonReply(status int, v any) reply {
	b, err := json.Marshal(v)
	if err != nil {
		return errReply(http.StatusInternalServerError, "encode: "+err.Error())
	}
	return reply{status: status, header: http.Header{"Content-Type": {"application/json; charset=utf-8"}}, body: b}
}

// authenticate finds the bearer token of r.
func (s *Server) authenticate(r *http.Request) (*token, reply, bool) {
	a := r.Header.Get("Authorization")
	v, found := strings.CutPrefix(a, "Bearer ")
	if !found || v == "" {
		return nil, unauthorized("Invalid token: access token is invalid"), false
	}
	s.mu.Lock()
	tok := s.tokens[v]
	var expires time.Time
	if tok != nil {
		expires = tok.expires
	}
	s.mu.Unlock()
	if tok == nil {
		return nil, unauthorized("Invalid token: access token is invalid"), false
	}
	if !expires.IsZero() && !s.now().Before(expires) {
		return nil, unauthorized("Invalid JWT"), false
	}
	return tok, reply{}, true
}

// Error replies in HighLevel's shapes.
func errReply(status int, msg string) reply {
	b := map[string]any{"statusCode": status, "message": msg}
	switch status {
	case http.StatusUnauthorized:
		b["error"] = "Unauthorized"
	case http.StatusForbidden:
		b["error"] = "Forbidden"
	case http.StatusNotFound:
		b["error"] = "Not Found"
	}
	return jsonReply(status, b)
}

func unauthorized(msg string) reply { return errReply(http.StatusUnauthorized, msg) }

func unprocessable(msgs ...string) reply {
	return jsonReply(http.StatusUnprocessableEntity, map[string]any{
		"statusCode": http.StatusUnprocessableEntity, "message": msgs, "error": "Unprocessable Entity"})
}
