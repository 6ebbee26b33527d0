package ghltest

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/ghlkit/ghl"
)

// oauthError answers in RFC 6749's error shape, which oauth2 clients parse.
func oauthError(status int, code, desc string) reply {
	return jsonReply(status, map[string]any{"error": code, "error_description": desc})
}

func appID(clientID string) string {
	id, _, _ := strings.Cut(clientID, "-")
	return id
}

// issue mints an access and refresh token for g. Callers hold s.mu.
func (s *Server) issue(g *grant) map[string]any {
	access, refresh := newSecret("ghltest-at-"), newSecret("ghltest-rt-")
	s.tokens[access] = &token{value: access, kind: g.kind, location: g.location, company: g.company,
		app: appID(g.clientID), scope: g.scope, expires: s.now().Add(s.cfg.tokenLifetime)}
	s.refresh[refresh] = g
	out := map[string]any{
		"access_token": access, "token_type": "Bearer", "expires_in": s.cfg.tokenLifetime.Seconds(), // fractional only for sub-second test lifetimes
		"refresh_token": refresh, "scope": g.scope, "companyId": g.company, "userId": g.userID,
		"planId": "ghltest-plan", "isBulkInstallation": false,
	}
	if g.kind == kindCompany {
		out["userType"] = "Company"
		var locs []string
		for id, l := range s.locations {
			if l.company == g.company {
				locs = append(locs, id)
			}
		}
		slices.Sort(locs)
		out["approvedLocations"] = locs
		out["installToFutureLocations"] = true
		out["approveAllLocations"] = true
	} else {
		out["userType"] = "Location"
		out["locationId"] = g.location
	}
	return out
}

// ExpireAccessTokens ends the life of every access token issued so far
// (static tokens excepted): the next request with one is answered 401, as
// when a token expires sooner than its holder thought (clock skew, a
// revocation). Refresh tokens stay valid.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for _, t := range s.tokens {
		if t.kind != kindStatic {
			t.expires = now
		}
	}
}

// tokenEndpoint serves POST /oauth/token: authorization_code and
// refresh_token grants. Refresh tokens are single-use.
func (s *Server) tokenEndpoint(r *http.Request, body []byte) reply {
	if r.Method != http.MethodPost {
		return errReply(http.StatusNotFound, "Cannot "+r.Method+" /oauth/token")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return oauthError(http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded")
	}
	clientID, grantType := form.Get("client_id"), form.Get("grant_type")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.grants[grantType]++
	if secret, ok := s.cfg.apps[clientID]; !ok || secret != form.Get("client_secret") {
		return oauthError(http.StatusUnauthorized, "invalid_client", "unknown client or wrong client secret")
	}
	var g *grant
	switch grantType {
	case "authorization_code":
		g = s.codes[form.Get("code")]
		if g == nil || g.clientID != clientID {
			return oauthError(http.StatusBadRequest, "invalid_grant", "the authorization code is invalid or was used")
		}
		if ru := form.Get("redirect_uri"); ru != "" && ru != g.redirectURI {
			return oauthError(http.StatusBadRequest, "invalid_grant", "redirect_uri does not match the authorization request")
		}
		delete(s.codes, form.Get("code"))
		if form.Get("user_type") == "Company" {
			cg := *g
			cg.kind = kindCompany
			g = &cg
		}
	case "refresh_token":
		rt := form.Get("refresh_token")
		g = s.refresh[rt]
		if g == nil || g.clientID != clientID {
			return oauthError(http.StatusBadRequest, "invalid_grant", "Invalid grant: refresh token is invalid")
		}
		delete(s.refresh, rt) // single use: the old refresh token is spent
	default:
		return oauthError(http.StatusBadRequest, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
	}
	return jsonReply(http.StatusOK, s.issue(g))
}

// locationTokenEndpoint serves POST /oauth/locationToken: a location token
// from an agency (company) token.
func (s *Server) locationTokenEndpoint(r *http.Request, body []byte) reply {
	if r.Method != http.MethodPost {
		return errReply(http.StatusNotFound, "Cannot "+r.Method+" /oauth/locationToken")
	}
	if r.Header.Get("Version") != ghl.APIVersion {
		return errReply(http.StatusBadRequest, "version header was not found")
	}
	tok, rep, ok := s.authenticate(r)
	if !ok {
		return rep
	}
	if tok.kind != kindCompany {
		return errReply(http.StatusUnauthorized, "This route is only for agency (Company) tokens")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return unprocessable("the body must be form-encoded")
	}
	companyID, locationID := form.Get("companyId"), form.Get("locationId")
	if companyID == "" || locationID == "" {
		return unprocessable("companyId should not be empty", "locationId should not be empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.locations[locationID]
	if companyID != tok.company || l == nil || l.company != companyID {
		return errReply(http.StatusBadRequest, "Location not found for this company")
	}
	clientID := ""
	for id := range s.cfg.apps {
		if appID(id) == tok.app {
			clientID = id
		}
	}
	g := &grant{clientID: clientID, kind: kindLocation, location: locationID, company: companyID, scope: tok.scope, userID: "ghltestUser000000001"}
	out := s.issue(g)
	out["appId"] = tok.app
	return jsonReply(http.StatusOK, out)
}

// AuthorizationCode issues a code as the authorize page would after a user
// chose locationID, for tests that skip the browser.
func (s *Server) AuthorizationCode(clientID, redirectURI, locationID, scope string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.cfg.apps[clientID]; !ok {
		return "", errors.New("ghltest: unknown client_id")
	}
	l := s.locations[locationID]
	if l == nil {
		return "", errors.New("ghltest: unknown location")
	}
	code := newSecret("ghltest-code-")
	s.codes[code] = &grant{clientID: clientID, kind: kindLocation, location: locationID, company: l.company,
		scope: scope, redirectURI: redirectURI, userID: "ghltestUser000000001"}
	return code, nil
}

var authorizeTmpl = template.Must(template.New("authorize").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>ghltest: choose a location</title></head>
<body>
<h1>Connect {{.ClientID}}</h1>
<p>The app asks for: <code>{{.Scope}}</code></p>
<form method="post" action="{{.Action}}">
<input type="hidden" name="client_id" value="{{.ClientID}}">
<input type="hidden" name="redirect_uri" value="{{.RedirectURI}}">
<input type="hidden" name="scope" value="{{.Scope}}">
<input type="hidden" name="state" value="{{.State}}">
{{range $i, $l := .Locations}}<label><input type="radio" name="location_id" value="{{$l}}"{{if eq $i 0}} checked{{end}}> {{$l}}</label><br>
{{end}}<button type="submit" id="approve" name="decision" value="allow">Allow</button>
<button type="submit" id="decline" name="decision" value="decline">Decline</button>
</form>
</body></html>
`))

// authorizePage is HighLevel's "choose location" screen: GET shows it, POST
// approves and redirects back with a code, or, declined, with
// error=access_denied.
func (s *Server) authorizePage(r *http.Request, body []byte) reply {
	q := r.URL.Query()
	if r.Method == http.MethodPost {
		f, err := url.ParseQuery(string(body))
		if err != nil {
			return errReply(http.StatusBadRequest, "bad form")
		}
		q = f
	}
	clientID, redirectURI := q.Get("client_id"), q.Get("redirect_uri")
	s.mu.Lock()
	_, known := s.cfg.apps[clientID]
	var locs []string
	for id := range s.locations {
		locs = append(locs, id)
	}
	s.mu.Unlock()
	slices.Sort(locs)
	ru, err := url.Parse(redirectURI)
	switch {
	case !known:
		return errReply(http.StatusBadRequest, "unknown client_id")
	case err != nil || (ru.Scheme != "http" && ru.Scheme != "https") || ru.Host == "":
		return errReply(http.StatusBadRequest, "redirect_uri must be an absolute http(s) URL")
	case r.Method == http.MethodGet && q.Get("response_type") != "code":
		return errReply(http.StatusBadRequest, "response_type must be code")
	}
	if r.Method == http.MethodGet {
		var b strings.Builder
		_ = authorizeTmpl.Execute(&b, map[string]any{"ClientID": clientID, "RedirectURI": redirectURI,
			"Scope": q.Get("scope"), "State": q.Get("state"), "Locations": locs, "Action": s.cfg.authorizePath})
		return reply{status: http.StatusOK, header: http.Header{"Content-Type": {"text/html; charset=utf-8"}}, body: []byte(b.String())}
	}
	back := ru.Query()
	if q.Get("decision") == "decline" {
		// The user said no: back to the app with the OAuth error, no code.
		back.Set("error", "access_denied")
		back.Set("error_description", "The user declined the authorization request")
		if st := q.Get("state"); st != "" {
			back.Set("state", st)
		}
		ru.RawQuery = back.Encode()
		return reply{status: http.StatusFound, header: http.Header{"Location": {ru.String()}}}
	}
	code, err := s.AuthorizationCode(clientID, redirectURI, q.Get("location_id"), q.Get("scope"))
	if err != nil {
		return errReply(http.StatusBadRequest, err.Error())
	}
	back.Set("code", code)
	if st := q.Get("state"); st != "" {
		back.Set("state", st)
	}
	ru.RawQuery = back.Encode()
	return reply{status: http.StatusFound, header: http.Header{"Location": {ru.String()}}}
}

// installedLocations serves GET /oauth/installedLocations for agency tokens:
// every location of the company, installed (ghltest installs its app on all).
func (s *Server) installedLocations(r *http.Request) reply {
	if r.Method != http.MethodGet {
		return errReply(http.StatusNotFound, "Cannot "+r.Method+" /oauth/installedLocations")
	}
	if r.Header.Get("Version") != ghl.APIVersion {
		return errReply(http.StatusBadRequest, "version header was not found")
	}
	tok, rep, ok := s.authenticate(r)
	if !ok {
		return rep
	}
	q := r.URL.Query()
	if tok.kind != kindCompany {
		return errReply(http.StatusUnauthorized, "This route is only for agency (Company) tokens")
	}
	if q.Get("companyId") == "" || q.Get("appId") == "" {
		return unprocessable("companyId should not be empty", "appId should not be empty")
	}
	if q.Get("companyId") != tok.company {
		return errReply(http.StatusForbidden, forbidden)
	}
	skip, limit := 0, 20
	if v, err := strconv.Atoi(q.Get("skip")); err == nil && v >= 0 {
		skip = v
	}
	if v, err := strconv.Atoi(q.Get("limit")); err == nil && v > 0 {
		limit = v
	}
	s.mu.Lock()
	var ids []string
	for id, l := range s.locations {
		if l.company == tok.company && strings.Contains(strings.ToLower(id), strings.ToLower(q.Get("query"))) {
			ids = append(ids, id)
		}
	}
	s.mu.Unlock()
	slices.Sort(ids)
	if q.Get("isInstalled") == "false" {
		ids = nil
	}
	page := []map[string]any{}
	for _, id := range ids[min(skip, len(ids)):min(skip+limit, len(ids))] {
		page = append(page, map[string]any{"_id": id, "name": "Location " + id, "address": "1 Main St", "isInstalled": true})
	}
	return jsonReply(http.StatusOK, map[string]any{"locations": page, "count": len(ids), "installToFutureLocations": true})
}
