package ghl_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/internal/testenv"
)

// TestFileStoreRefusesLinksAndOtherUsers: in a shared directory someone
// could plant a symbolic link where the token directory, a token file or a
// lock file should be, or a directory of their own. Each is refused, and
// the link's target is neither read nor written.
func TestFileStoreRefusesLinksAndOtherUsers(t *testing.T) {
	ctx := context.Background()
	shared := t.TempDir()
	real := filepath.Join(shared, "real")
	require.NoError(t, os.Mkdir(real, 0o700))

	dirLink := filepath.Join(shared, "tokens")
	require.NoError(t, os.Symlink(real, dirLink))
	_, err := ghl.NewFileStore(dirLink, randomKey(t))
	require.ErrorIs(t, err, ghl.ErrInvalidInput)
	assert.ErrorContains(t, err, "symbolic link")

	fs, err := ghl.NewFileStore(real, randomKey(t))
	require.NoError(t, err)
	decoy := filepath.Join(shared, "decoy")
	require.NoError(t, os.WriteFile(decoy, []byte("GHLTOK1\nnot yours"), 0o600))
	require.NoError(t, os.Symlink(decoy, filepath.Join(real, "LocA.token")))
	_, err = fs.Load(ctx, "LocA")
	require.Error(t, err, "a token file that is a symbolic link is not read")
	assert.NotErrorIs(t, err, ghl.ErrNoToken)

	require.NoError(t, os.Symlink(decoy, filepath.Join(real, "LocB.lock")))
	_, err = fs.Lock(ctx, "LocB")
	require.Error(t, err, "a lock file that is a symbolic link is not opened")
	b, _ := os.ReadFile(decoy)
	assert.Equal(t, "GHLTOK1\nnot yours", string(b), "the target was not touched")

	if os.Getuid() != 0 {
		t.Skip("changing an owner needs root")
	}
	theirs := filepath.Join(shared, "theirs")
	require.NoError(t, os.Mkdir(theirs, 0o700))
	require.NoError(t, os.Chown(theirs, 65534, 65534))
	_, err = ghl.NewFileStore(theirs, randomKey(t))
	require.ErrorIs(t, err, ghl.ErrInvalidInput)
	assert.ErrorContains(t, err, "belongs to user 65534")

	good := &ghl.Token{AccessToken: ghl.NewSecret("at"), RefreshToken: ghl.NewSecret("rt")}
	require.NoError(t, fs.Save(ctx, "LocC", good))
	require.NoError(t, os.Chown(filepath.Join(real, "LocC.token"), 65534, 65534))
	_, err = fs.Load(ctx, "LocC")
	assert.ErrorContains(t, err, "belongs to user 65534", "a token file another user owns (replaced under us) is refused")
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

// TestTwoOSProcessesShareAFileStore runs two real processes (this test
// binary, started again) that share one FileStore directory and keep
// calling the API while their access token is expired under them, four
// times, each time a few hundred calls in. Refresh tokens are single-use in
// ghltest, so a refresh token spent twice would show as a failed call, and
// each expiry must cost one refresh between the two processes, not one each.
func TestTwoOSProcessesShareAFileStore(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("skipped in -short mode: runs two processes")
	}
	srv := ghltest.NewServer(ghltest.WithTokenLifetime(time.Hour), ghltest.WithRateLimit(1_000_000, time.Second), ghltest.WithContacts(3))
	defer srv.Close()
	dir, key := t.TempDir(), randomKey(t)
	store, err := ghl.NewFileStore(dir, key)
	require.NoError(t, err)
	cfg := &ghl.OAuthConfig{ClientID: ghltest.DefaultClientID, ClientSecret: ghl.NewSecret(ghltest.DefaultClientSecret), BaseURL: srv.URL()}
	code, err := srv.AuthorizationCode(cfg.ClientID, "", ghltest.DefaultLocationID, "contacts.readonly")
	require.NoError(t, err)
	_, _, err = cfg.ExchangeAndSave(context.Background(), code, store)
	require.NoError(t, err)

	var outs [2]strings.Builder
	var wg sync.WaitGroup
	var errs [2]error
	var running atomic.Int32
	for i := range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestTokenWorkerProcess$", "-test.v")
		cmd.Env = append(os.Environ(), "GHL_WORKER=1", "GHL_WORKER_BASE="+srv.URL(), "GHL_WORKER_DIR="+dir,
			"GHL_WORKER_KEY="+hex.EncodeToString(key))
		cmd.Stdout, cmd.Stderr = &outs[i], &outs[i]
		require.NoError(t, cmd.Start())
		running.Add(1)
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = cmd.Wait(); running.Add(-1) }()
	}
	// Expire the token each time 250 more calls have come in.
	expiries := 0
	for i := 1; i <= 4; i++ {
		testenv.WaitFor(t, "the workers' calls", func() bool {
			return srv.RequestCount("GET", "/contacts/") >= 250*i || running.Load() == 0
		})
		if running.Load() == 0 {
			break
		}
		srv.ExpireAccessTokens()
		expiries++
	}
	wg.Wait()
	calls, failures := 0, 0
	for i := range 2 {
		require.NoError(t, errs[i], "worker %d:\n%s", i, outs[i].String())
		var n, failed int
		for _, line := range strings.Split(outs[i].String(), "\n") {
			if _, err := fmt.Sscanf(strings.TrimSpace(line), "worker: %d calls, %d failed", &n, &failed); err == nil {
				break
			}
		}
		assert.Zero(t, failed, "worker %d:\n%.2000s", i, outs[i].String())
		assert.Positive(t, n, "worker %d made calls", i)
		calls, failures = calls+n, failures+failed
	}
	grants := srv.TokenGrants("refresh_token")
	t.Logf("2 processes, %d calls, the token expired %d times under them: %d refreshes, %d failed calls", calls, expiries, grants, failures)
	assert.Equal(t, 4, expiries, "the workers finished before the fourth expiry")
	assert.Equal(t, expiries, grants, "one refresh per expiry, not one per process")

	tok, err := store.Load(context.Background(), ghltest.DefaultLocationID)
	require.NoError(t, err)
	_, err = cfg.Refresh(context.Background(), tok.RefreshToken.Reveal(), "")
	assert.NoError(t, err, "the store ends with the newest, unspent refresh token")
}

// TestTokenWorkerProcess is the worker half of TestTwoOSProcessesShareAFileStore;
// it does nothing unless started by it.
func TestTokenWorkerProcess(t *testing.T) {
	if os.Getenv("GHL_WORKER") != "1" {
		t.Skip("a helper process for TestTwoOSProcessesShareAFileStore")
	}
	key, _ := hex.DecodeString(os.Getenv("GHL_WORKER_KEY"))
	store, err := ghl.NewFileStore(os.Getenv("GHL_WORKER_DIR"), key)
	require.NoError(t, err)
	cfg := &ghl.OAuthConfig{ClientID: ghltest.DefaultClientID, ClientSecret: ghl.NewSecret(ghltest.DefaultClientSecret), BaseURL: os.Getenv("GHL_WORKER_BASE")}
	src, err := cfg.NewSource(store, ghltest.DefaultLocationID, ghl.WithRefreshLeeway(200*time.Millisecond))
	require.NoError(t, err)
	c, err := ghl.NewClient(ghl.WithBaseURL(os.Getenv("GHL_WORKER_BASE")), ghl.WithTokenSource(src),
		ghl.WithLocation(ghltest.DefaultLocationID), ghl.WithoutRateLimiter())
	require.NoError(t, err)
	var calls, failed atomic.Int32
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 300 {
				calls.Add(1)
				if _, err := c.Contacts.List(context.Background(), ghl.ListOptions{Limit: 1}); err != nil {
					failed.Add(1)
					fmt.Println("call failed:", err)
				}
			}
		}()
	}
	wg.Wait()
	fmt.Printf("worker: %d calls, %d failed\n", calls.Load(), failed.Load())
}
