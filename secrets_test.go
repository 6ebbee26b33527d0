package ghl_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
)

// TestPrintingASourceDuringRefreshIsNotARace: printing reads nothing a
// refresh writes (run with -race).
func TestPrintingASourceDuringRefreshIsNotARace(t *testing.T) {
	e := newOAuthEnv(t)
	src := e.install(t, ghl.NewMemoryStore())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 20 {
			e.clock.Advance(2 * 3600e9)
			_, _ = src.AccessToken(context.Background())
		}
	}()
	for range 200 {
		_ = fmt.Sprintf("%v %+v", *src, src)
	}
	<-done
}

// TestEchoedSecretsAreScrubbed: a server that echoes a credential the SDK
// sent (in a 401 body, an OAuth error_description) never gets it into an
// error's text.
func TestEchoedSecretsAreScrubbed(t *testing.T) {
	ctx := context.Background()
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/oauth/token" {
			w.WriteHeader(400)
			fmt.Fprintf(w, `{"error":"invalid_grant","error_description":"bad grant %s for client secret %s code %s"}`,
				r.PostForm.Get("refresh_token"), r.PostForm.Get("client_secret"), r.PostForm.Get("code"))
			return
		}
		w.WriteHeader(401)
		fmt.Fprintf(w, `{"message":"Invalid JWT: %s","error":"%s"}`, r.Header.Get("Authorization"), r.Header.Get("Authorization"))
	}))
	defer echo.Close()

	c, err := ghl.NewClient(ghl.WithToken(testToken), ghl.WithBaseURL(echo.URL))
	require.NoError(t, err)
	_, err = c.Contacts.Get(ctx, contactID)
	require.ErrorIs(t, err, ghl.ErrUnauthorized)
	var ae *ghl.APIError
	require.ErrorAs(t, err, &ae)
	text := fmt.Sprintf("%v %+v %s %q %s", err, err, ae.Body, ae.Messages, ae.ErrorText)
	assert.NotContains(t, text, testToken)
	assert.Contains(t, text, "[redacted]")

	cfg := &ghl.OAuthConfig{ClientID: "app-1", ClientSecret: ghl.NewSecret("client-secret-value"), BaseURL: echo.URL}
	_, err = cfg.Refresh(ctx, "refresh-token-value", "")
	require.Error(t, err)
	_, err2 := cfg.Exchange(ctx, "authorization-code-value")
	require.Error(t, err2)
	_, err3 := cfg.LocationToken(ctx, "agency-access-token", "company-1", "location-1")
	require.Error(t, err3)
	_, err4 := cfg.InstalledLocations(ctx, "agency-access-token", ghl.InstalledLocationsQuery{CompanyID: "company-1", AppID: "app"})
	require.Error(t, err4)
	for _, e := range []error{err, err2, err3, err4} {
		s := fmt.Sprintf("%v %+v", e, e)
		for _, sec := range []string{"client-secret-value", "refresh-token-value", "authorization-code-value", "agency-access-token"} {
			assert.NotContains(t, s, sec)
		}
	}
	assert.Contains(t, err.Error(), "invalid_grant")
}

// lostAckStore persists a Save but reports it failed while lostAcks > 0, as
// a database whose commit acknowledgement is lost, or a Redis timeout.
type lostAckStore struct {
	ghl.TokenStore
	lostAcks atomic.Int32
}

func (l *lostAckStore) Save(ctx context.Context, key string, t *ghl.Token) error {
	if err := l.TokenStore.Save(ctx, key, t); err != nil {
		return err
	}
	if l.lostAcks.Add(-1) >= 0 {
		return errors.New("i/o timeout (the write was applied)")
	}
	return nil
}

// TestFailedSaveNeverOverwritesANewerPair: process A's save "fails" but
// persisted; process B refreshes from that pair; A must not later write its
// spent pair over B's, which would leave both needing re-authorization.
func TestFailedSaveNeverOverwritesANewerPair(t *testing.T) {
	ctx := context.Background()
	e := newOAuthEnv(t)
	mem := ghl.NewMemoryStore()
	e.install(t, mem)
	lying := &lostAckStore{TokenStore: mem}
	a, err := e.cfg.NewSource(lying, ghltest.DefaultLocationID, ghl.WithSourceClock(e.clock.Now))
	require.NoError(t, err)
	b, err := e.cfg.NewSource(mem, ghltest.DefaultLocationID, ghl.WithSourceClock(e.clock.Now))
	require.NoError(t, err)

	e.clock.Advance(2 * time.Hour)
	lying.lostAcks.Store(1)
	_, err = a.AccessToken(ctx)
	require.Error(t, err, "A was told its save failed")

	e.clock.Advance(2 * time.Hour)
	bTok, err := b.AccessToken(ctx) // B loads A's persisted pair and refreshes it
	require.NoError(t, err)
	require.Equal(t, 2, e.srv.TokenGrants("refresh_token"))

	aTok, err := a.AccessToken(ctx)
	require.NoError(t, err, "A adopts B's newer pair")
	assert.Equal(t, bTok, aTok)
	stored, err := mem.Load(ctx, ghltest.DefaultLocationID)
	require.NoError(t, err)
	assert.Equal(t, bTok, stored.AccessToken.Reveal(), "the store keeps B's pair")
	_, err = e.cfg.Refresh(ctx, stored.RefreshToken.Reveal(), "")
	assert.NoError(t, err, "the stored refresh token is unspent")
}

// TestFileStoreDirectoryIsPrivate: README promises 0600 files in a 0700
// directory, also when the directory existed with a wider mode.
func TestFileStoreDirectoryIsPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tokens")
	require.NoError(t, os.Mkdir(dir, 0o755))
	require.NoError(t, os.Chmod(dir, 0o755))
	fs, err := ghl.NewFileStore(dir, randomKey(t))
	require.NoError(t, err)
	fi, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
	require.NoError(t, fs.Save(context.Background(), "loc1", &ghl.Token{AccessToken: ghl.NewSecret("a"), RefreshToken: ghl.NewSecret("r")}))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, en := range entries {
		info, err := en.Info()
		require.NoError(t, err)
		assert.Zero(t, info.Mode().Perm()&0o077, "%s is %v", en.Name(), info.Mode())
	}
	// A file where the directory should be is refused.
	file := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	_, err = ghl.NewFileStore(file, randomKey(t))
	assert.Error(t, err)
}
