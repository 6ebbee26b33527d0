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
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/ghlkit/ghl/internal/transport"
)

// Scope is an OAuth scope of the HighLevel marketplace.
type Scope string

// Scopes the contacts-related operations use. Ask for the fewest you need:
// OAuthConfig defaults to ScopeContactsReadOnly.
const (
	ScopeContactsReadOnly       Scope = "contacts.readonly"
	ScopeContactsWrite          Scope = "contacts.write"
	ScopeCustomFieldsReadOnly   Scope = "locations/customFields.readonly"
	ScopeCustomFieldsWrite      Scope = "locations/customFields.write"
	ScopeLocationTagsReadOnly   Scope = "locations/tags.readonly"
	ScopeLocationTagsWrite      Scope = "locations/tags.write"
	ScopeLocationTasksReadOnly  Scope = "locations/tasks.readonly"
	ScopeCalendarEventsReadOnly Scope = "calendars/events.readonly"
	ScopeCalendarEventsWrite    Scope = "calendars/events.write"
	ScopeUsersReadOnly          Scope = "users.readonly"
	ScopeWorkflowsReadOnly      Scope = "workflows.readonly"
	ScopeCampaignsReadOnly      Scope = "campaigns.readonly"
	ScopeBusinessesReadOnly     Scope = "businesses.readonly"
	ScopeBusinessesWrite        Scope = "businesses.write"
	ScopeOAuthReadOnly          Scope = "oauth.readonly" // agency: installed locations
	ScopeOAuthWrite             Scope = "oauth.write"    // agency: location tokens
)

// UserType is whose token an authorization yields.
type UserType string

// The token kinds HighLevel issues.
const (
	UserTypeLocation UserType = "Location" // a sub-account token
	UserTypeCompany  UserType = "Company"  // an agency token
)

// Authorize pages: the standard marketplace and the white-label one.
const (
	AuthorizeURL           = "https://marketplace.gohighlevel.com/v2/oauth/chooselocation"
	WhiteLabelAuthorizeURL = "https://marketplace.leadconnectorhq.com/v2/oauth/chooselocation"
)

// OAuthConfig describes a HighLevel marketplace app. Its String, GoString,
// Format and LogValue leave out the client secret.
type OAuthConfig struct {
	ClientID     string
	ClientSecret Secret // ghl.NewSecret(os.Getenv("GHL_CLIENT_SECRET"))
	RedirectURL  string
	Scopes       []Scope      // default: ScopeContactsReadOnly
	UserType     UserType     // default: UserTypeLocation
	AuthorizeURL string       // default: AuthorizeURL
	BaseURL      string       // API host for /oauth/token; default DefaultBaseURL; https, or http on loopback
	HTTPClient   *http.Client // default: a client with a 30-second timeout; redirects are never followed
	// InsecureHTTP allows a plain-http BaseURL off loopback, such as a
	// ghlfake container on a compose network. Secrets then cross the network
	// unencrypted: never set it against HighLevel.
	InsecureHTTP bool
	// Now is the clock that turns expires_in into an expiry; default time.Now.
	Now func() time.Time
}

// String describes the config without its client secret.
func (c OAuthConfig) String() string {
	return fmt.Sprintf("ghl.OAuthConfig{ClientID:%q, ClientSecret:[redacted], RedirectURL:%q}", c.ClientID, c.RedirectURL)
}

// GoString is String: %#v does not print the secret either.
func (c OAuthConfig) GoString() string { return c.String() }

// Format prints String for every verb, by value and by pointer, so no verb
// reveals the secret (also when the config is a field of the app's own).
func (c OAuthConfig) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// LogValue keeps the secret out of slog output.
func (c OAuthConfig) LogValue() slog.Value {
	return slog.GroupValue(slog.String("client_id", c.ClientID), slog.String("redirect_url", c.RedirectURL))
}

func (c *OAuthConfig) check() error {
	switch {
	case c == nil:
		return invalid("OAuth config", "must not be nil")
	case c.ClientID == "":
		return invalid("client_id", "is required")
	case c.ClientSecret.IsZero():
		return invalid("client_secret", "is required")
	}
	return c.checkBase()
}

// checkBase holds BaseURL to what WithBaseURL allows: an absolute https URL
// (http on loopback, or with InsecureHTTP) without query or user info.
func (c *OAuthConfig) checkBase() error {
	if c.BaseURL == "" {
		return nil
	}
	base, err := parseBaseURL("OAuth base URL", c.BaseURL)
	if err != nil {
		return err
	}
	if err := checkPlainHTTP("OAuth base URL", base, c.InsecureHTTP); err != nil {
		return fmt.Errorf("%w; OAuthConfig.InsecureHTTP allows it", err)
	}
	return nil
}

func (c *OAuthConfig) scopes() []string {
	if len(c.Scopes) == 0 {
		return []string{string(ScopeContactsReadOnly)}
	}
	out := make([]string, len(c.Scopes))
	for i, s := range c.Scopes {
		out[i] = string(s)
	}
	return out
}

func (c *OAuthConfig) userType() UserType {
	if c.UserType == "" {
		return UserTypeLocation
	}
	return c.UserType
}

func (c *OAuthConfig) base() string {
	if c.BaseURL == "" {
		return DefaultBaseURL
	}
	return strings.TrimRight(c.BaseURL, "/")
}

// oauthHTTPClient is the default for the OAuth calls: unlike
// http.DefaultClient it gives up on a server that never answers.
var oauthHTTPClient = transport.NoRedirects(&http.Client{Timeout: 30 * time.Second})

// httpClient is the client for the OAuth calls, which never follows a
// redirect: a token request carries the client secret and a refresh token.
func (c *OAuthConfig) httpClient() *http.Client {
	if c.HTTPClient != nil {
		return transport.NoRedirects(c.HTTPClient)
	}
	return oauthHTTPClient
}

func (c *OAuthConfig) oauth2() *oauth2.Config {
	auth := c.AuthorizeURL
	if auth == "" {
		auth = AuthorizeURL
	}
	return &oauth2.Config{ClientID: c.ClientID, RedirectURL: c.RedirectURL, // AuthCodeURL only: no secret needed
		Scopes: c.scopes(), Endpoint: oauth2.Endpoint{AuthURL: auth, TokenURL: c.base() + "/oauth/token", AuthStyle: oauth2.AuthStyleInParams}}
}

// AuthCodeURL returns the "choose location" page to send the user to. state
// must be an unguessable value you check in the callback.
func (c *OAuthConfig) AuthCodeURL(state string, opts ...oauth2.AuthCodeOption) string {
	return c.oauth2().AuthCodeURL(state, opts...)
}

// Token is an OAuth token pair with the fields HighLevel sends beside it.
// The two tokens are Secrets, so a Token never prints them, wherever it is
// printed or logged; encoding/json refuses to encode it (an error, never a
// file with "[redacted]" where a token was): persist it with MarshalBinary
// and read it back with UnmarshalBinary.
type Token struct {
	AccessToken        Secret    `json:"access_token"`
	RefreshToken       Secret    `json:"refresh_token,omitzero"`
	TokenType          string    `json:"token_type,omitempty"`
	Expiry             time.Time `json:"expiry"`
	Scope              string    `json:"scope,omitempty"`
	UserType           UserType  `json:"userType,omitempty"`
	LocationID         string    `json:"locationId,omitempty"`
	CompanyID          string    `json:"companyId,omitempty"`
	UserID             string    `json:"userId,omitempty"`
	PlanID             string    `json:"planId,omitempty"`
	ApprovedLocations  []string  `json:"approvedLocations,omitempty"`
	IsBulkInstallation bool      `json:"isBulkInstallation,omitempty"`
}

// Key is where the token is stored: its location, or its company for an
// agency token.
func (t *Token) Key() string {
	if t.LocationID != "" {
		return t.LocationID
	}
	return t.CompanyID
}

// Valid reports whether the access token will still be accepted after leeway.
func (t *Token) Valid(now time.Time, leeway time.Duration) bool {
	return t != nil && !t.AccessToken.IsZero() && (t.Expiry.IsZero() || now.Add(leeway).Before(t.Expiry))
}

// String describes the token without its access and refresh tokens.
func (t Token) String() string {
	return fmt.Sprintf("ghl.Token{AccessToken:[redacted], RefreshToken:[redacted], Expiry:%s, UserType:%s, LocationID:%q, CompanyID:%q, Scope:%q}",
		t.Expiry.Format(time.RFC3339), t.UserType, t.LocationID, t.CompanyID, t.Scope)
}

// GoString is String: %#v does not print the secrets either.
func (t Token) GoString() string { return t.String() }

// Format prints String for every verb, so no verb reveals the secrets.
func (t Token) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, t.String()) }

// LogValue keeps the secrets out of slog output.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(slog.Time("expiry", t.Expiry), slog.String("user_type", string(t.UserType)),
		slog.String("location_id", t.LocationID), slog.String("company_id", t.CompanyID))
}

// tokenRecord is a Token as it is persisted, secrets in clear: the JSON
// that FileStore and the Redis store have always written.
type tokenRecord struct {
	AccessToken        string    `json:"access_token"`
	RefreshToken       string    `json:"refresh_token,omitempty"`
	TokenType          string    `json:"token_type,omitempty"`
	Expiry             time.Time `json:"expiry"`
	Scope              string    `json:"scope,omitempty"`
	UserType           UserType  `json:"userType,omitempty"`
	LocationID         string    `json:"locationId,omitempty"`
	CompanyID          string    `json:"companyId,omitempty"`
	UserID             string    `json:"userId,omitempty"`
	PlanID             string    `json:"planId,omitempty"`
	ApprovedLocations  []string  `json:"approvedLocations,omitempty"`
	IsBulkInstallation bool      `json:"isBulkInstallation,omitempty"`
}

// MarshalBinary encodes the token for a TokenStore, its secrets in clear
// (encrypt what you write: FileStore and redisstore do). The encoding is
// JSON, the same as earlier versions of the stores wrote, so records they
// wrote still read with UnmarshalBinary.
func (t Token) MarshalBinary() ([]byte, error) {
	return json.Marshal(tokenRecord{AccessToken: t.AccessToken.Reveal(), RefreshToken: t.RefreshToken.Reveal(),
		TokenType: t.TokenType, Expiry: t.Expiry, Scope: t.Scope, UserType: t.UserType, LocationID: t.LocationID,
		CompanyID: t.CompanyID, UserID: t.UserID, PlanID: t.PlanID, ApprovedLocations: t.ApprovedLocations,
		IsBulkInstallation: t.IsBulkInstallation})
}

// UnmarshalBinary decodes what MarshalBinary encoded.
func (t *Token) UnmarshalBinary(b []byte) error {
	var r tokenRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return errors.New("ghl: not an encoded token")
	}
	*t = Token{AccessToken: NewSecret(r.AccessToken), RefreshToken: NewSecret(r.RefreshToken), TokenType: r.TokenType,
		Expiry: r.Expiry, Scope: r.Scope, UserType: r.UserType, LocationID: r.LocationID, CompanyID: r.CompanyID,
		UserID: r.UserID, PlanID: r.PlanID, ApprovedLocations: r.ApprovedLocations, IsBulkInstallation: r.IsBulkInstallation}
	return nil
}

// OAuth2 converts the token for code built on golang.org/x/oauth2.
func (t *Token) OAuth2() *oauth2.Token {
	return &oauth2.Token{AccessToken: t.AccessToken.Reveal(), RefreshToken: t.RefreshToken.Reveal(), TokenType: t.TokenType, Expiry: t.Expiry}
}

// Exchange trades the code from the redirect for a token pair. POST /oauth/token.
func (c *OAuthConfig) Exchange(ctx context.Context, code string) (*Token, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if code == "" {
		return nil, invalid("code", "is required")
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "user_type": {string(c.userType())}}
	if c.RedirectURL != "" {
		form.Set("redirect_uri", c.RedirectURL)
	}
	return c.tokenRequest(ctx, "/oauth/token", "", form)
}

// Refresh spends a refresh token for a new pair. HighLevel refresh tokens
// are single-use: save the returned pair before using it. Most code should
// use a RefreshingSource, which does that. POST /oauth/token.
func (c *OAuthConfig) Refresh(ctx context.Context, refreshToken string, userType UserType) (*Token, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if refreshToken == "" {
		return nil, invalid("refresh_token", "is required")
	}
	if userType == "" {
		userType = c.userType()
	}
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}, "user_type": {string(userType)}}
	return c.tokenRequest(ctx, "/oauth/token", "", form)
}

// LocationToken gets a sub-account token from an agency access token.
// POST /oauth/locationToken (Agency-Access-Only, scope oauth.write).
func (c *OAuthConfig) LocationToken(ctx context.Context, agencyAccessToken, companyID, locationID string) (*Token, error) {
	if agencyAccessToken == "" {
		return nil, invalid("agency token", "is required")
	}
	if err := checkID("companyId", companyID); err != nil {
		return nil, err
	}
	if err := checkID("locationId", locationID); err != nil {
		return nil, err
	}
	form := url.Values{"companyId": {companyID}, "locationId": {locationID}}
	t, err := c.tokenRequest(ctx, "/oauth/locationToken", agencyAccessToken, form)
	if err != nil {
		return nil, err
	}
	if t.LocationID == "" {
		t.LocationID = locationID
	}
	if t.CompanyID == "" {
		t.CompanyID = companyID
	}
	t.UserType = UserTypeLocation
	return t, nil
}

// maxTokenBody caps a token endpoint's answer.
const maxTokenBody = 1 << 20

// tokenRequest posts a form to a token endpoint and reads the pair. With a
// bearer (location tokens) it sends the agency token and the Version header;
// otherwise the client credentials go in the form.
func (c *OAuthConfig) tokenRequest(ctx context.Context, path, bearer string, form url.Values) (*Token, error) {
	if bearer == "" {
		form.Set("client_id", c.ClientID)
		form.Set("client_secret", c.ClientSecret.Reveal())
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base()+path, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("ghl: %s: %w", path, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
		req.Header.Set("Version", APIVersion)
	}
	now := time.Now()
	if c.Now != nil {
		now = c.Now()
	}
	resp, body, err := c.send(req, path, maxTokenBody)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return nil, newAPIError(http.MethodPost, path, resp.StatusCode, resp.Header, nil) // *RedirectError, not followed
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// The answer may echo what was sent: scrub every credential of the request.
		return nil, tokenError(path, resp, body, bearer, c.ClientSecret.Reveal(), form.Get("refresh_token"), form.Get("code"))
	}
	return parseToken(path, body, now)
}

// send makes one request to the OAuth endpoints (outside the client's
// request path: they take the app's or an agency's credentials, not the
// client's token) and reads the answer, capped at limit.
func (c *OAuthConfig) send(req *http.Request, path string, limit int64) (*http.Response, []byte, error) {
	if err := c.checkBase(); err != nil {
		return nil, nil, err
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // keep errors uniform: method and path, no URL
		}
		return nil, nil, fmt.Errorf("ghl: %s %s: %w", req.Method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return nil, nil, fmt.Errorf("ghl: %s %s: read answer: %w", req.Method, path, err)
	}
	return resp, body, nil
}

// tokenError describes a refused token request as *oauth2.RetrieveError,
// without echoing the body (it could hold a token).
func tokenError(path string, resp *http.Response, body []byte, secrets ...string) error {
	var e struct {
		Error       string   `json:"error"`
		Description string   `json:"error_description"`
		Message     messages `json:"message"`
	}
	_ = json.Unmarshal(body, &e)
	re := &oauth2.RetrieveError{Response: &http.Response{StatusCode: resp.StatusCode, Status: resp.Status, Header: resp.Header},
		ErrorCode: e.Error, ErrorDescription: e.Description}
	if re.ErrorDescription == "" && len(e.Message) > 0 {
		re.ErrorDescription = strings.Join(e.Message, "; ")
	}
	re.ErrorDescription, re.ErrorCode = scrub(re.ErrorDescription, secrets), scrub(re.ErrorCode, secrets)
	e.Error = re.ErrorCode
	te := &TokenError{Path: path, StatusCode: resp.StatusCode, Code: e.Error, Description: re.ErrorDescription, retrieve: re}
	return te
}

// TokenError is a refused request to a token endpoint. errors.As also finds
// the *oauth2.RetrieveError inside; an invalid_grant matches ErrReauthRequired
// only once a RefreshingSource has ruled out a refresh by another process.
type TokenError struct {
	Path        string
	StatusCode  int
	Code        string // OAuth error code, e.g. "invalid_grant"
	Description string
	retrieve    *oauth2.RetrieveError
}

// Error describes the refusal: endpoint, status, OAuth code and description.
func (e *TokenError) Error() string {
	s := "ghl: POST " + e.Path + ": " + strconv.Itoa(e.StatusCode)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

// Unwrap gives errors.As the *oauth2.RetrieveError.
func (e *TokenError) Unwrap() error { return e.retrieve }

// InvalidGrant reports whether the code or refresh token was refused.
func (e *TokenError) InvalidGrant() bool { return e.Code == "invalid_grant" }

// parseToken reads a token answer. It is lenient field by field: a refresh
// has already spent the old refresh token, so an odd field must not lose
// the new pair. Only a missing access_token is an error.
func parseToken(path string, body []byte, now time.Time) (*Token, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("ghl: POST %s: the answer is not a token: %s", path, excerptJSONError(err))
	}
	str := func(k string) string {
		var s string
		if json.Unmarshal(m[k], &s) != nil {
			var n json.Number
			if json.Unmarshal(m[k], &n) == nil {
				return n.String()
			}
		}
		return s
	}
	t := &Token{AccessToken: NewSecret(str("access_token")), RefreshToken: NewSecret(str("refresh_token")), TokenType: str("token_type"),
		Scope: str("scope"), UserType: UserType(str("userType")), LocationID: str("locationId"), CompanyID: str("companyId"),
		UserID: str("userId"), PlanID: str("planId")}
	_ = json.Unmarshal(m["approvedLocations"], &t.ApprovedLocations)
	_ = json.Unmarshal(m["isBulkInstallation"], &t.IsBulkInstallation)
	if t.AccessToken.IsZero() {
		return nil, fmt.Errorf("ghl: POST %s: the answer has no access_token", path)
	}
	if v := str("expires_in"); v != "" {
		// An unreadable expires_in leaves Expiry zero: the token is used
		// until HighLevel refuses it, and a 401 then refreshes it.
		if secs, err := strconv.ParseFloat(v, 64); err == nil && secs < 1e9 {
			t.Expiry = now.Add(time.Duration(secs * float64(time.Second)))
		}
	}
	if t.TokenType == "" {
		t.TokenType = "Bearer"
	}
	return t, nil
}

// excerptJSONError keeps a JSON error's text short and free of input bytes.
func excerptJSONError(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return "malformed JSON at offset " + strconv.FormatInt(se.Offset, 10)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "field " + te.Field + " has the wrong type"
	}
	return "undecodable"
}

// InstalledLocationsQuery filters GET /oauth/installedLocations.
type InstalledLocationsQuery struct {
	CompanyID   string // required
	AppID       string // required: the client ID's part before its first "-"; derived when empty
	Skip, Limit int    // paging; Limit 0 means the API's default (20)
	Query       string // name search
	IsInstalled *bool  // only installed (true) or not installed (false) locations
}

// InstalledLocation is one location of an agency, with the app's install state.
type InstalledLocation struct {
	ID          string `json:"_id"`
	Name        string `json:"name"`
	Address     string `json:"address"`
	IsInstalled bool   `json:"isInstalled"`
	VersionID   string `json:"versionId,omitempty"`
	InstalledAt Time   `json:"installedAt,omitzero"`
}

// InstalledLocations is one page of an agency's locations.
type InstalledLocations struct {
	Locations                []InstalledLocation `json:"locations"`
	Count                    int                 `json:"count"`
	InstallToFutureLocations bool                `json:"installToFutureLocations"`
}

// InstalledLocations lists an agency's locations and whether the app is
// installed on each. GET /oauth/installedLocations (Agency-Access-Only,
// scope oauth.readonly).
func (c *OAuthConfig) InstalledLocations(ctx context.Context, agencyAccessToken string, q InstalledLocationsQuery) (*InstalledLocations, error) {
	if agencyAccessToken == "" {
		return nil, invalid("agency token", "is required")
	}
	if err := checkID("companyId", q.CompanyID); err != nil {
		return nil, err
	}
	if q.AppID == "" {
		q.AppID, _, _ = strings.Cut(c.ClientID, "-")
	}
	if err := checkID("appId", q.AppID); err != nil {
		return nil, err
	}
	if q.Skip < 0 || q.Limit < 0 {
		return nil, invalid("skip", "skip and limit must not be negative")
	}
	v := url.Values{"companyId": {q.CompanyID}, "appId": {q.AppID}, "skip": {strconv.Itoa(q.Skip)}}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Query != "" {
		v.Set("query", q.Query)
	}
	if q.IsInstalled != nil {
		v.Set("isInstalled", strconv.FormatBool(*q.IsInstalled))
	}
	// An API call like any other, on the agency's token: the one request
	// path (rate limit under the company, retries, typed errors, no
	// redirects).
	opts := []Option{WithToken(agencyAccessToken), WithBaseURL(c.base()), WithHTTPClient(c.httpClient())}
	if c.InsecureHTTP {
		opts = append(opts, WithInsecureHTTP())
	}
	api, err := NewClient(opts...)
	if err != nil {
		return nil, err
	}
	var out InstalledLocations
	if err := api.do(ctx, op{method: http.MethodGet, path: "/oauth/installedLocations", query: v, retryable: true}, &out, nil); err != nil {
		return nil, err
	}
	return &out, nil
}
