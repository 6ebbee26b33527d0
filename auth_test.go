package ghl_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
)

type oauthEnv struct {
	srv   *ghltest.Server
	cfg   *ghl.OAuthConfig
	clock *ghltest.Clock
}

func newOAuthEnv(t testing.TB, opts ...ghltest.Option) *oauthEnv {
	clk := ghltest.NewClock(time.Now())
	srv := ghltest.NewServer(append([]ghltest.Option{ghltest.WithClock(clk.Now), ghltest.WithTokenLifetime(time.Hour),
		ghltest.WithContacts(5), ghltest.WithRateLimit(1_000_000, time.Second)}, opts...)...)
	t.Cleanup(srv.Close)
	cfg := &ghl.OAuthConfig{ClientID: ghltest.DefaultClientID, ClientSecret: ghl.NewSecret(ghltest.DefaultClientSecret),
		RedirectURL: "https://app.example/callback", BaseURL: srv.URL(), AuthorizeURL: srv.URL() + ghltest.DefaultAuthorizePath,
		Scopes: []ghl.Scope{ghl.ScopeContactsReadOnly, ghl.ScopeContactsWrite}, Now: clk.Now}
	return &oauthEnv{srv: srv, cfg: cfg, clock: clk}
}

// install runs the code flow and saves the pair in store.
func (e *oauthEnv) install(t testing.TB, store ghl.TokenStore, opts ...ghl.SourceOption) *ghl.RefreshingSource {
	code, err := e.srv.AuthorizationCode(e.cfg.ClientID, e.cfg.RedirectURL, ghltest.DefaultLocationID, "contacts.readonly contacts.write")
	require.NoError(t, err)
	src, tok, err := e.cfg.ExchangeAndSave(context.Background(), code, store, append([]ghl.SourceOption{ghl.WithSourceClock(e.clock.Now)}, opts...)...)
	require.NoError(t, err)
	require.Equal(t, ghltest.DefaultLocationID, tok.Key())
	return src
}

func (e *oauthEnv) client(t testing.TB, src ghl.TokenSource) *ghl.Client {
	c, err := ghl.NewClient(ghl.WithBaseURL(e.srv.URL()), ghl.WithTokenSource(src), ghl.WithLocation(ghltest.DefaultLocationID),
		ghl.WithRetryPolicy(ghl.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 10 * time.Millisecond}))
	require.NoError(t, err)
	return c
}

func TestAuthCodeURL(t *testing.T) {
	cfg := &ghl.OAuthConfig{ClientID: "abc-123", ClientSecret: ghl.NewSecret("s"), RedirectURL: "https://app.example/cb"}
	u := cfg.AuthCodeURL("state-1", oauth2.SetAuthURLParam("loginWindowOpenMode", "self"))
	assert.True(t, strings.HasPrefix(u, "https://marketplace.gohighlevel.com/v2/oauth/chooselocation?"), u)
	for _, want := range []string{"client_id=abc-123", "response_type=code", "state=state-1", "scope=contacts.readonly", "redirect_uri=https%3A%2F%2Fapp.example%2Fcb", "loginWindowOpenMode=self"} {
		assert.Contains(t, u, want)
	}
	assert.NotContains(t, u, "client_secret")
	cfg.AuthorizeURL = ghl.WhiteLabelAuthorizeURL
	assert.True(t, strings.HasPrefix(cfg.AuthCodeURL("s"), ghl.WhiteLabelAuthorizeURL))
}

func TestOAuthFlowEndToEnd(t *testing.T) {
	t.Parallel()
	e := newOAuthEnv(t)
	store := ghl.NewMemoryStore()
	src := e.install(t, store)
	c := e.client(t, src)
	_, err := c.Contacts.List(context.Background(), ghl.ListOptions{})
	require.NoError(t, err)

	e.clock.Advance(59*time.Minute + 30*time.Second) // inside the refresh leeway
	_, err = c.Contacts.List(context.Background(), ghl.ListOptions{})
	require.NoError(t, err)
	assert.Equal(t, 1, e.srv.TokenGrants("refresh_token"), "refreshed before expiry")
	stored, err := store.Load(context.Background(), ghltest.DefaultLocationID)
	require.NoError(t, err)
	cur, err := src.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, stored.RefreshToken.Reveal(), cur.RefreshToken.Reveal(), "the new pair was saved")
	assert.Equal(t, ghltest.DefaultLocationID, cur.LocationID)
}

// TestThousandCallersOneRefresh: 1,000 goroutines meet an expired token;
// exactly one refresh request is made and no call fails.
func TestThousandCallersOneRefresh(t *testing.T) {
	t.Parallel()
	e := newOAuthEnv(t)
	src := e.install(t, ghl.NewMemoryStore())
	c := e.client(t, src)
	e.clock.Advance(2 * time.Hour)
	ids := e.srv.Seed(ghltest.DefaultLocationID, 1)
	var wg sync.WaitGroup
	var failures atomic.Int32
	start := make(chan struct{})
	for range 1000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if _, err := c.Contacts.Get(context.Background(), ids[0]); err != nil {
				failures.Add(1)
				t.Log(err)
			}
		}()
	}
	close(start)
	wg.Wait()
	assert.Zero(t, failures.Load())
	assert.Equal(t, 1, e.srv.TokenGrants("refresh_token"), "exactly one refresh")
	t.Logf("1000 callers with an expired token: %d refresh request(s), %d failures", e.srv.TokenGrants("refresh_token"), failures.Load())
}

// TestTwoProcessesShareAFileStore: two clients with separate sources (as two
// replicas would have) share one encrypted file store and hammer the API
// across many expiries. No refresh token is spent twice and the store always
// ends with the newest pair.
func TestTwoProcessesShareAFileStore(t *testing.T) {
	t.Parallel()
	e := newOAuthEnv(t)
	dir, key := t.TempDir(), randomKey(t)
	storeA, err := ghl.NewFileStore(dir, key)
	require.NoError(t, err)
	srcA := e.install(t, storeA)
	storeB, err := ghl.NewFileStore(dir, key) // the second process opens the same directory
	require.NoError(t, err)
	srcB, err := e.cfg.NewSource(storeB, ghltest.DefaultLocationID, ghl.WithSourceClock(e.clock.Now))
	require.NoError(t, err)
	clients := []*ghl.Client{e.client(t, srcA), e.client(t, srcB)}

	const rounds, callsPerClient = 25, 8
	var failures atomic.Int32
	for range rounds {
		e.clock.Advance(time.Hour + time.Minute) // every round starts with an expired token
		var wg sync.WaitGroup
		for _, c := range clients {
			for range callsPerClient {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := c.Contacts.List(context.Background(), ghl.ListOptions{Limit: 1}); err != nil {
						failures.Add(1)
						t.Log(err)
					}
				}()
			}
		}
		wg.Wait()
	}
	assert.Zero(t, failures.Load(), "no call failed, so no invalid_grant")
	grants := e.srv.TokenGrants("refresh_token")
	assert.Equal(t, rounds, grants, "one refresh per expiry across both processes")

	stored, err := storeA.Load(context.Background(), ghltest.DefaultLocationID)
	require.NoError(t, err)
	next, err := e.cfg.Refresh(context.Background(), stored.RefreshToken.Reveal(), ghl.UserTypeLocation)
	require.NoError(t, err, "the stored refresh token is the newest, unspent one")
	assert.NotEmpty(t, next.AccessToken.Reveal())
	t.Logf("%d expiries, 2 processes x %d concurrent calls: %d refreshes, %d failures", rounds, callsPerClient, grants, failures.Load())
}

func randomKey(t testing.TB) []byte {
	k := make([]byte, 32)
	_, err := rand.Read(k)
	require.NoError(t, err)
	return k
}

// flakyStore fails Save while failSaves > 0.
type flakyStore struct {
	ghl.TokenStore
	failSaves atomic.Int32
}

func (f *flakyStore) Save(ctx context.Context, key string, t *ghl.Token) error {
	if f.failSaves.Add(-1) >= 0 {
		return errors.New("disk full")
	}
	return f.TokenStore.Save(ctx, key, t)
}

func TestSaveFailureLosesNothing(t *testing.T) {
	t.Parallel()
	e := newOAuthEnv(t)
	mem := ghl.NewMemoryStore()
	store := &flakyStore{TokenStore: mem}
	e.install(t, mem)
	src, err := e.cfg.NewSource(store, ghltest.DefaultLocationID, ghl.WithSourceClock(e.clock.Now))
	require.NoError(t, err)
	e.clock.Advance(2 * time.Hour)
	store.failSaves.Store(1)
	_, err = src.AccessToken(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "kept in memory")
	assert.Equal(t, 1, e.srv.TokenGrants("refresh_token"))

	at, err := src.AccessToken(context.Background())
	require.NoError(t, err, "the kept pair is saved and used")
	assert.Equal(t, 1, e.srv.TokenGrants("refresh_token"), "without spending another refresh token")
	stored, _ := mem.Load(context.Background(), ghltest.DefaultLocationID)
	assert.Equal(t, at, stored.AccessToken.Reveal())
}

func TestInvalidGrantMeansReauth(t *testing.T) {
	t.Parallel()
	e := newOAuthEnv(t)
	store := ghl.NewMemoryStore()
	e.install(t, store)
	src, err := e.cfg.NewSource(store, ghltest.DefaultLocationID, ghl.WithSourceClock(e.clock.Now), ghl.WithReauthGrace(100*time.Millisecond))
	require.NoError(t, err)
	stored, _ := store.Load(context.Background(), ghltest.DefaultLocationID)
	// Someone spends the refresh token and loses the result.
	_, err = e.cfg.Refresh(context.Background(), stored.RefreshToken.Reveal(), ghl.UserTypeLocation)
	require.NoError(t, err)
	e.clock.Advance(2 * time.Hour)
	_, err = src.AccessToken(context.Background())
	require.ErrorIs(t, err, ghl.ErrReauthRequired)
	var te *ghl.TokenError
	require.ErrorAs(t, err, &te)
	assert.True(t, te.InvalidGrant())
	var re *oauth2.RetrieveError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "invalid_grant", re.ErrorCode)
	_, err = store.Load(context.Background(), ghltest.DefaultLocationID)
	assert.NoError(t, err, "the record is kept")
}

// reloadStore hands out a stale pair once, then the truth: as when another
// process refreshed without holding this store's lock.
type reloadStore struct {
	ghl.TokenStore
	stale *ghl.Token
	once  sync.Once
}

func (r *reloadStore) Load(ctx context.Context, key string) (*ghl.Token, error) {
	var out *ghl.Token
	r.once.Do(func() { out = r.stale })
	if out != nil {
		return out, nil
	}
	return r.TokenStore.Load(ctx, key)
}

func TestInvalidGrantReloadsFirst(t *testing.T) {
	t.Parallel()
	e := newOAuthEnv(t)
	mem := ghl.NewMemoryStore()
	e.install(t, mem)
	old, _ := mem.Load(context.Background(), ghltest.DefaultLocationID)
	e.clock.Advance(2 * time.Hour)
	newer, err := e.cfg.Refresh(context.Background(), old.RefreshToken.Reveal(), ghl.UserTypeLocation)
	require.NoError(t, err)
	require.NoError(t, mem.Save(context.Background(), ghltest.DefaultLocationID, newer))
	src, err := e.cfg.NewSource(&reloadStore{TokenStore: mem, stale: old}, ghltest.DefaultLocationID, ghl.WithSourceClock(e.clock.Now))
	require.NoError(t, err)
	at, err := src.AccessToken(context.Background())
	require.NoError(t, err, "invalid_grant on the stale pair, then the reload found the newer one")
	assert.Equal(t, newer.AccessToken.Reveal(), at)
}

func TestUnauthorizedRefreshesOnceAndRetries(t *testing.T) {
	t.Parallel()
	e := newOAuthEnv(t)
	store := ghl.NewMemoryStore()
	// The source's clock runs behind the server's: it believes an expired token is valid.
	behind := ghltest.NewClock(e.clock.Now())
	code, _ := e.srv.AuthorizationCode(e.cfg.ClientID, e.cfg.RedirectURL, ghltest.DefaultLocationID, "contacts.readonly")
	src, _, err := e.cfg.ExchangeAndSave(context.Background(), code, store, ghl.WithSourceClock(behind.Now))
	require.NoError(t, err)
	c := e.client(t, src)
	e.clock.Advance(2 * time.Hour)
	ids := e.srv.Seed(ghltest.DefaultLocationID, 1)
	_, err = c.Contacts.Get(context.Background(), ids[0])
	require.NoError(t, err)
	assert.Equal(t, 1, e.srv.TokenGrants("refresh_token"))
	assert.Equal(t, 2, e.srv.RequestCount("GET", "/contacts/"+ids[0]), "a 401, then the retry")

	// A create refused with 401 is safe to resend: the server did not act on it.
	e.clock.Advance(2 * time.Hour)
	_, err = c.Contacts.Create(context.Background(), ghl.CreateContactRequest{Email: ghl.Ptr("new@example.com")})
	require.NoError(t, err)
	assert.Equal(t, 2, e.srv.TokenGrants("refresh_token"))
}

func TestStaticTokenRefusedHasHint(t *testing.T) {
	t.Parallel()
	srv := ghltest.NewServer()
	defer srv.Close()
	c, err := ghl.NewClient(ghl.WithBaseURL(srv.URL()), ghl.WithToken("pit-revoked"), ghl.WithLocation(ghltest.DefaultLocationID))
	require.NoError(t, err)
	_, err = c.Contacts.List(context.Background(), ghl.ListOptions{})
	require.ErrorIs(t, err, ghl.ErrUnauthorized)
	assert.Contains(t, err.Error(), "Private Integration Token")
	assert.NotContains(t, err.Error(), "pit-revoked")
}

func TestLocationTokenFromAgency(t *testing.T) {
	t.Parallel()
	e := newOAuthEnv(t, ghltest.WithLocations("SecondLocation000001"))
	agencyCfg := *e.cfg
	agencyCfg.UserType = ghl.UserTypeCompany
	code, err := e.srv.AuthorizationCode(e.cfg.ClientID, e.cfg.RedirectURL, ghltest.DefaultLocationID, "oauth.write")
	require.NoError(t, err)
	store := ghl.NewMemoryStore()
	agency, tok, err := agencyCfg.ExchangeAndSave(context.Background(), code, store, ghl.WithSourceClock(e.clock.Now))
	require.NoError(t, err)
	assert.Equal(t, ghl.UserTypeCompany, tok.UserType)
	assert.Equal(t, ghltest.DefaultCompanyID, tok.Key())

	loc, err := e.cfg.NewLocationSource(store, agency, ghltest.DefaultCompanyID, "SecondLocation000001", ghl.WithSourceClock(e.clock.Now))
	require.NoError(t, err)
	c, err := ghl.NewClient(ghl.WithBaseURL(e.srv.URL()), ghl.WithTokenSource(loc), ghl.WithLocation("SecondLocation000001"))
	require.NoError(t, err)
	_, err = c.Contacts.List(context.Background(), ghl.ListOptions{})
	require.NoError(t, err)
	saved, err := store.Load(context.Background(), "SecondLocation000001")
	require.NoError(t, err, "stored under the location")
	assert.Equal(t, ghl.UserTypeLocation, saved.UserType)

	e.clock.Advance(2 * time.Hour) // both expired: the agency token refreshes, the location token is minted again
	_, err = c.Contacts.List(context.Background(), ghl.ListOptions{})
	require.NoError(t, err)
	assert.Equal(t, 1, e.srv.TokenGrants("refresh_token"))
}

func TestInstalledLocations(t *testing.T) {
	t.Parallel()
	e := newOAuthEnv(t, ghltest.WithLocations("SecondLocation000001", "ThirdLocation0000001"))
	agencyCfg := *e.cfg
	agencyCfg.UserType = ghl.UserTypeCompany
	code, err := e.srv.AuthorizationCode(e.cfg.ClientID, e.cfg.RedirectURL, ghltest.DefaultLocationID, "oauth.readonly")
	require.NoError(t, err)
	tok, err := agencyCfg.Exchange(context.Background(), code)
	require.NoError(t, err)
	res, err := e.cfg.InstalledLocations(context.Background(), tok.AccessToken.Reveal(), ghl.InstalledLocationsQuery{CompanyID: tok.CompanyID, Limit: 2})
	require.NoError(t, err)
	assert.Equal(t, 3, res.Count)
	require.Len(t, res.Locations, 2)
	assert.True(t, res.Locations[0].IsInstalled)
	_, err = e.cfg.InstalledLocations(context.Background(), tok.AccessToken.Reveal(), ghl.InstalledLocationsQuery{CompanyID: "a/b"})
	assert.ErrorIs(t, err, ghl.ErrInvalidInput)
	loc, _ := e.cfg.Exchange(context.Background(), mustCode(t, e))
	_, err = e.cfg.InstalledLocations(context.Background(), loc.AccessToken.Reveal(), ghl.InstalledLocationsQuery{CompanyID: tok.CompanyID})
	assert.ErrorIs(t, err, ghl.ErrUnauthorized, "a location token is refused")
	assert.NotContains(t, err.Error(), loc.AccessToken.Reveal())

	// The one request path: a dropped connection is retried, the Version
	// header is sent, an answer that is not JSON is a typed error.
	e.srv.Inject(ghltest.Fault{Path: "/oauth/installedLocations", DropBefore: true})
	res, err = e.cfg.InstalledLocations(context.Background(), tok.AccessToken.Reveal(), ghl.InstalledLocationsQuery{CompanyID: tok.CompanyID})
	require.NoError(t, err, "retried after the dropped connection")
	assert.Equal(t, 3, res.Count)
	reqs := e.srv.Requests()
	assert.Equal(t, ghl.APIVersion, reqs[len(reqs)-1].Header.Get("Version"))
	e.srv.Inject(ghltest.Fault{Path: "/oauth/installedLocations", Status: 200, Body: "<html>", Times: 10})
	_, err = e.cfg.InstalledLocations(context.Background(), tok.AccessToken.Reveal(), ghl.InstalledLocationsQuery{CompanyID: tok.CompanyID})
	var ae *ghl.AnswerError
	assert.ErrorAs(t, err, &ae)
}

func mustCode(t *testing.T, e *oauthEnv) string {
	code, err := e.srv.AuthorizationCode(e.cfg.ClientID, e.cfg.RedirectURL, ghltest.DefaultLocationID, "contacts.readonly")
	require.NoError(t, err)
	return code
}

func TestTokenAnswersThatAreWrong(t *testing.T) {
	t.Parallel()
	answers := map[string]string{
		"no access token": `{"token_type":"Bearer","refresh_token":"rt"}`,
		"not json":        `<html>oops</html>`,
		"empty":           ``,
	}
	for name, body := range answers {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(body)) }))
		cfg := &ghl.OAuthConfig{ClientID: "c", ClientSecret: ghl.NewSecret("s"), BaseURL: srv.URL}
		_, err := cfg.Exchange(context.Background(), "code")
		assert.Error(t, err, name)
		srv.Close()
	}
	// Lenient where it is safe: an odd isBulkInstallation or expires_in does not lose the pair.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"access_token":"at","refresh_token":"rt","expires_in":"soon","isBulkInstallation":"Bearer","locationId":"L1"}`))
	}))
	defer srv.Close()
	cfg := &ghl.OAuthConfig{ClientID: "c", ClientSecret: ghl.NewSecret("s"), BaseURL: srv.URL}
	tok, err := cfg.Exchange(context.Background(), "code")
	require.NoError(t, err)
	assert.Equal(t, "rt", tok.RefreshToken.Reveal())
	assert.True(t, tok.Expiry.IsZero())

	for _, bad := range []*ghl.OAuthConfig{nil, {ClientSecret: ghl.NewSecret("s")}, {ClientID: "c"}} {
		_, err := bad.Exchange(context.Background(), "code")
		assert.ErrorIs(t, err, ghl.ErrInvalidInput)
	}
}

func TestExpiredOnArrivalIsAnErrorButSaved(t *testing.T) {
	t.Parallel()
	e := newOAuthEnv(t, ghltest.WithTokenLifetime(30*time.Second)) // inside the 2-minute leeway
	store := ghl.NewMemoryStore()
	src := e.install(t, store)
	before, _ := store.Load(context.Background(), ghltest.DefaultLocationID)
	_, err := src.AccessToken(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "system clock")
	after, _ := store.Load(context.Background(), ghltest.DefaultLocationID)
	assert.NotEqual(t, before.RefreshToken.Reveal(), after.RefreshToken.Reveal(), "the new pair was saved all the same")
}

func TestCancelledCallerDoesNotCancelRefresh(t *testing.T) {
	t.Parallel()
	e := newOAuthEnv(t)
	src := e.install(t, ghl.NewMemoryStore())
	e.clock.Advance(2 * time.Hour)
	e.srv.Inject(ghltest.Fault{Path: "/oauth/token", Latency: 200 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := src.AccessToken(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	at, err := src.AccessToken(context.Background()) // joins the refresh still running
	require.NoError(t, err)
	assert.NotEmpty(t, at)
	assert.Equal(t, 1, e.srv.TokenGrants("refresh_token"))
}

func TestStoreContracts(t *testing.T) {
	t.Run("MemoryStore", func(t *testing.T) {
		ghltest.StoreContract(t, func(*testing.T) ghl.TokenStore { return ghl.NewMemoryStore() })
	})
	t.Run("FileStore", func(t *testing.T) {
		ghltest.StoreContract(t, func(t *testing.T) ghl.TokenStore {
			s, err := ghl.NewFileStore(t.TempDir(), randomKey(t))
			require.NoError(t, err)
			return s
		})
	})
}

func TestFileStoreBadFiles(t *testing.T) {
	dir, key := t.TempDir(), randomKey(t)
	s, err := ghl.NewFileStore(dir, key)
	require.NoError(t, err)
	ctx := context.Background()
	tok := &ghl.Token{AccessToken: ghl.NewSecret("at-secret-value"), RefreshToken: ghl.NewSecret("rt-secret-value"), LocationID: "L1"}
	require.NoError(t, s.Save(ctx, "L1", tok))
	path := filepath.Join(dir, "L1.token")
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	raw, _ := os.ReadFile(path)
	assert.NotContains(t, string(raw), "secret-value", "encrypted at rest")

	wrong, _ := ghl.NewFileStore(dir, randomKey(t))
	_, err = wrong.Load(ctx, "L1")
	assert.ErrorContains(t, err, "wrong encryption key")

	corrupt := append([]byte(nil), raw...)
	corrupt[len(corrupt)-3] ^= 0xff
	require.NoError(t, os.WriteFile(filepath.Join(dir, "L2.token"), corrupt, 0o600))
	_, err = s.Load(ctx, "L2")
	assert.ErrorContains(t, err, "cannot be decrypted")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "L3.token"), raw[:10], 0o600))
	_, err = s.Load(ctx, "L3")
	assert.ErrorContains(t, err, "truncated")

	_, err = ghl.NewFileStore(dir, []byte("short"))
	assert.ErrorIs(t, err, ghl.ErrInvalidInput)
	assert.ErrorIs(t, s.Save(ctx, "../escape", tok), ghl.ErrInvalidInput)

	got, err := s.Load(ctx, "L1")
	require.NoError(t, err, "the good file is untouched by the failures")
	assert.Equal(t, "rt-secret-value", got.RefreshToken.Reveal())
}

// TestSecretsNeverPrinted drives the error paths and every way of printing a
// token or config, and scans all of it for the secrets.
func TestSecretsNeverPrinted(t *testing.T) {
	t.Parallel()
	e := newOAuthEnv(t)
	store := ghl.NewMemoryStore()
	// No other process could save a newer pair: the refused refresh below
	// need not wait for one.
	src := e.install(t, store, ghl.WithReauthGrace(time.Millisecond))
	tok, err := src.Token(context.Background())
	require.NoError(t, err)
	secrets := []string{ghltest.DefaultClientSecret, tok.AccessToken.Reveal(), tok.RefreshToken.Reveal()}

	var out bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	logger.Info("token", "token", tok, "config", e.cfg, "value", *tok)
	fmt.Fprintf(&out, "%v %+v %#v %s %q %x\n", tok, tok, tok, tok, tok, tok)
	fmt.Fprintf(&out, "%v %+v %#v %s\n", *tok, *tok, *tok, *tok)
	fmt.Fprintf(&out, "%v %+v %#v %s\n", e.cfg, e.cfg, e.cfg, e.cfg)
	fs, _ := ghl.NewFileStore(t.TempDir(), randomKey(t))
	fmt.Fprintf(&out, "%v %#v\n", fs, fs)

	bad := *e.cfg
	bad.ClientSecret = ghl.NewSecret("wrong-secret-" + tok.RefreshToken.Reveal())
	_, err = bad.Refresh(context.Background(), tok.RefreshToken.Reveal(), "")
	require.Error(t, err)
	fmt.Fprintf(&out, "%v %+v\n", err, err)
	_, err = e.cfg.Refresh(context.Background(), "rt-bogus", "")
	fmt.Fprintf(&out, "%v\n", err)
	_, err = e.cfg.Exchange(context.Background(), "code-bogus")
	fmt.Fprintf(&out, "%v\n", err)
	_, err = e.cfg.LocationToken(context.Background(), tok.AccessToken.Reveal(), ghltest.DefaultCompanyID, ghltest.DefaultLocationID)
	fmt.Fprintf(&out, "%v\n", err) // a location token is not an agency token

	c, _ := ghl.NewClient(ghl.WithBaseURL(e.srv.URL()), ghl.WithToken(tok.AccessToken.Reveal()), ghl.WithLogger(logger))
	_, err = c.Contacts.Get(context.Background(), "NoSuchContact0000001")
	fmt.Fprintf(&out, "%v %v %#v\n", err, c, c)
	e.clock.Advance(3 * time.Hour)
	_, err = c.Contacts.Get(context.Background(), "NoSuchContact0000001")
	fmt.Fprintf(&out, "%v\n", err)

	// A refresh that fails with invalid_grant, through a client.
	oc := e.client(t, src)
	stored, _ := store.Load(context.Background(), ghltest.DefaultLocationID)
	_, _ = e.cfg.Refresh(context.Background(), stored.RefreshToken.Reveal(), "")
	_, err = oc.Contacts.List(context.Background(), ghl.ListOptions{})
	require.ErrorIs(t, err, ghl.ErrReauthRequired)
	fmt.Fprintf(&out, "%v\n", err)

	for _, r := range e.srv.Requests() {
		fmt.Fprintf(&out, "%v %s\n", r.Header, r.Body)
	}
	text := out.String()
	for _, s := range append(secrets, stored.RefreshToken.Reveal()) {
		assert.NotContains(t, text, s, "a secret was printed")
	}
	assert.Contains(t, text, "[redacted]")
}

func BenchmarkTokenSourceParallel(b *testing.B) {
	e := newOAuthEnv(b)
	src := e.install(b, ghl.NewMemoryStore())
	ctx := context.Background()
	if _, err := src.AccessToken(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetParallelism(4) // 8 goroutines on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := src.AccessToken(ctx); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// TestOAuthNeverFollowsARedirect: a token endpoint answering 3xx gets a
// *RedirectError, and the target never sees the client secret, the
// refresh token or the code, with the default client or a caller's.
func TestOAuthNeverFollowsARedirect(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	th := newThief(t)
	for _, status := range []int{302, 307, 308} {
		base := httptest.NewServer(redirector(status, strings.Replace(th.srv.URL, "127.0.0.1", "localhost", 1)+"/steal"))
		for _, hc := range []*http.Client{nil, {}} {
			cfg := &ghl.OAuthConfig{ClientID: ghltest.DefaultClientID, ClientSecret: ghl.NewSecret("client-secret-9f8e7d6c5b4a"), BaseURL: base.URL, HTTPClient: hc}
			_, err := cfg.Refresh(ctx, "refresh-token-0a1b2c3d4e5f", "")
			require.ErrorIs(t, err, ghl.ErrRedirected, "refresh, status %d", status)
			_, err = cfg.Exchange(ctx, "auth-code-5e6f7a8b9c0d")
			require.ErrorIs(t, err, ghl.ErrRedirected, "exchange, status %d", status)
			_, err = cfg.LocationToken(ctx, "agency-token-1a2b3c4d5e6f", "Company0000000000001", "Location000000000001")
			require.ErrorIs(t, err, ghl.ErrRedirected, "location token, status %d", status)
			_, err = cfg.InstalledLocations(ctx, "agency-token-1a2b3c4d5e6f", ghl.InstalledLocationsQuery{CompanyID: "Company0000000000001"})
			require.ErrorIs(t, err, ghl.ErrRedirected, "installed locations, status %d", status)
			for _, secret := range []string{"client-secret-9f8e7d6c5b4a", "refresh-token-0a1b2c3d4e5f", "auth-code-5e6f7a8b9c0d", "agency-token-1a2b3c4d5e6f"} {
				assert.NotContains(t, err.Error(), secret)
			}
			if hc != nil {
				assert.Nil(t, hc.CheckRedirect, "the caller's client was changed")
			}
		}
		base.Close()
	}
	assert.Empty(t, th.requests(), "the redirect target received requests")
}

// TestOAuthBaseURLIsChecked: OAuthConfig.BaseURL takes what WithBaseURL
// takes, before anything is sent: https, or plain http only on loopback
// (or with InsecureHTTP), and no query, fragment or user info.
func TestOAuthBaseURLIsChecked(t *testing.T) {
	ctx := context.Background()
	for _, bad := range []string{"http://ghl.example.com", "ftp://ghl.example.com", "services.leadconnectorhq.com",
		"https://user:pw@ghl.example.com", "https://ghl.example.com/?x=1", "https://ghl.example.com/#f", "https://ghl.example.com/?"} {
		cfg := &ghl.OAuthConfig{ClientID: "id", ClientSecret: ghl.NewSecret("secret-value-1234"), BaseURL: bad}
		_, err := cfg.Refresh(ctx, "refresh-value-1234", "")
		assert.ErrorIs(t, err, ghl.ErrInvalidInput, bad)
		_, err = cfg.NewSource(ghl.NewMemoryStore(), "k")
		assert.ErrorIs(t, err, ghl.ErrInvalidInput, bad)
		_, err = cfg.LocationToken(ctx, "agency-value-1234", "Company0000000000001", "Location000000000001")
		assert.ErrorIs(t, err, ghl.ErrInvalidInput, bad)
	}
	for _, good := range []string{"https://services.leadconnectorhq.com", "http://127.0.0.1:8080", "http://localhost:9/x", "http://[::1]:80"} {
		cfg := &ghl.OAuthConfig{ClientID: "id", ClientSecret: ghl.NewSecret("secret-value-1234"), BaseURL: good}
		_, err := cfg.NewSource(ghl.NewMemoryStore(), "k")
		assert.NoError(t, err, good)
	}
	cfg := &ghl.OAuthConfig{ClientID: "id", ClientSecret: ghl.NewSecret("secret-value-1234"), BaseURL: "http://ghlfake:8080", InsecureHTTP: true}
	_, err := cfg.NewSource(ghl.NewMemoryStore(), "k")
	assert.NoError(t, err, "InsecureHTTP allows plain http off loopback")
}
