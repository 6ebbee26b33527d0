package ghl

import (
	"context"
	"net/http"
	"net/url"
	"strings"
)

// Do calls an endpoint the SDK does not wrap (custom-field definitions,
// location tags, …) through the same request path as every service method:
// the client's token and refresh on 401, rate limiter, retry policy, Version
// header and typed errors.
//
// path is below the base URL and starts with "/"; it may carry a query
// string, and the caller escapes its segments (url.PathEscape). in, when
// non-nil, is sent as the JSON body; the answer is decoded into out, when
// non-nil, and an empty answer is then an *AnswerError. GET, PUT and DELETE
// are resent after an attempt whose outcome is unknown, POST and PATCH are
// not: WithRetryClass overrides that, and WithVersion sends another Version
// than APIVersion (calendars use "2021-04-15").
//
//	var out struct{ Tags []struct{ ID, Name string } }
//	err := client.Do(ctx, "GET", "/locations/"+url.PathEscape(loc)+"/tags", nil, &out)
//
// It refuses, before sending anything, a method it does not know, an
// absolute URL (which would send the token elsewhere), and a path with
// "." or ".." segments (also escaped, as %2e%2e), a fragment or a body on
// GET.
func (c *Client) Do(ctx context.Context, method, path string, in, out any, opts ...CallOption) error {
	o := op{method: strings.ToUpper(method), body: in}
	switch o.method {
	case http.MethodGet, http.MethodPut, http.MethodDelete:
		o.retryable = true
	case http.MethodPost, http.MethodPatch:
	default:
		return invalid("method", "%q is not GET, POST, PUT, PATCH or DELETE", method)
	}
	if o.method == http.MethodGet && in != nil {
		return invalid("body", "a GET request has no body")
	}
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") {
		return invalid("path", "%q must start with a single \"/\": it is below the base URL", path)
	}
	u, err := url.Parse(path)
	if err != nil {
		return invalid("path", "%v", err)
	}
	if u.Scheme != "" || u.Host != "" || u.User != nil || u.Fragment != "" || strings.Contains(path, "#") {
		return invalid("path", "%q must be a path below the base URL, without host or fragment", path)
	}
	for _, seg := range strings.Split(u.EscapedPath(), "/") {
		// Servers decode a segment before they resolve dots: %2e%2e is ".."
		// to them, and %2f or a backslash can make a new segment.
		dec, err := url.PathUnescape(seg)
		if err != nil {
			return invalid("path", "%v", err)
		}
		for _, part := range strings.FieldsFunc(dec, func(r rune) bool { return r == '/' || r == '\\' }) {
			if part == "." || part == ".." {
				return invalid("path", "%q must not have \".\" or \"..\" segments, escaped or not", path)
			}
		}
		if dec == "." || dec == ".." {
			return invalid("path", "%q must not have \".\" or \"..\" segments, escaped or not", path)
		}
	}
	o.path = u.EscapedPath()
	if u.RawQuery != "" {
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			return invalid("path", "query: %v", err)
		}
		o.query = q
	}
	return c.do(ctx, o, out, opts)
}
