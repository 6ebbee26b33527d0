package redisstore_test

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/internal/testenv"
	"github.com/ghlkit/ghl/redisstore"
)

func TestCompareAndSaveAndLock(t *testing.T) {
	addr := startRedis(t)
	ctx := context.Background()
	key := key32(t)
	s, err := redisstore.NewTokenStore(client(t, addr), key, redisstore.WithLockTTL(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	a := &ghl.Token{AccessToken: ghl.NewSecret("at-a"), RefreshToken: ghl.NewSecret("rt-a")}
	b := &ghl.Token{AccessToken: ghl.NewSecret("at-b"), RefreshToken: ghl.NewSecret("rt-b")}
	c := &ghl.Token{AccessToken: ghl.NewSecret("at-c"), RefreshToken: ghl.NewSecret("rt-c")}
	if ok, err := s.CompareAndSave(ctx, "loc", nil, a); err != nil || !ok {
		t.Fatalf("first save over nothing: %v %v", ok, err)
	}
	if ok, _ := s.CompareAndSave(ctx, "loc", nil, b); ok {
		t.Fatal("a save expecting nothing replaced a stored pair")
	}
	if ok, _ := s.CompareAndSave(ctx, "loc", a, b); !ok {
		t.Fatal("a save expecting the stored pair was refused")
	}
	if ok, _ := s.CompareAndSave(ctx, "loc", a, c); ok {
		t.Fatal("a save expecting a replaced pair overwrote the newer one")
	}
	got, err := s.Load(ctx, "loc")
	if err != nil || got.RefreshToken.Reveal() != "rt-b" {
		t.Fatalf("stored %v, %v; want rt-b", got, err)
	}

	// The lease is renewed while the lock is held: it outlives its TTL
	// many times over, and a second holder waits.
	unlock1, err := s.Lock(ctx, "loc")
	if err != nil {
		t.Fatal(err)
	}
	// Three TTLs pass on Redis's own clock (the one that expires the key),
	// and the key is there at every look.
	rdb := client(t, addr)
	t0 := rdb.Time(ctx).Val()
	testenv.WaitFor(t, "three lock TTLs on Redis's clock", func() bool {
		if rdb.Exists(ctx, "ghl:lock:loc").Val() == 0 {
			t.Fatal("a held lock's lease ran out under its live holder")
		}
		return rdb.Time(ctx).Val().Sub(t0) >= 3*200*time.Millisecond
	})
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := s.Lock(short, "loc"); err == nil {
		t.Fatal("a held lock's lease ran out under its live holder")
	}
	unlock1()
	unlock2, err := s.Lock(ctx, "loc")
	if err != nil {
		t.Fatal(err)
	}
	unlock2()

	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x"} {
		if out := fmt.Sprintf(verb, *s); len(out) > 60 || out == "" {
			t.Fatalf("%s printed %q", verb, out)
		}
	}
}

// TestTwoReplicasShareTokensThroughRedis: two sources on two Redis clients
// (as two machines would have), 16 goroutines each, while the access token
// is expired under them four times, each time 250 calls in: one refresh per
// expiry, no failed call, no refresh token spent twice.
func TestTwoReplicasShareTokensThroughRedis(t *testing.T) {
	addr := startRedis(t)
	ctx := context.Background()
	srv := ghltest.NewServer(ghltest.WithTokenLifetime(time.Hour), ghltest.WithRateLimit(1_000_000, time.Second), ghltest.WithContacts(2))
	defer srv.Close()
	cfg := &ghl.OAuthConfig{ClientID: ghltest.DefaultClientID, ClientSecret: ghl.NewSecret(ghltest.DefaultClientSecret), BaseURL: srv.URL()}
	code, err := srv.AuthorizationCode(cfg.ClientID, "", ghltest.DefaultLocationID, "contacts.readonly")
	if err != nil {
		t.Fatal(err)
	}
	key := key32(t)
	store0, _ := redisstore.NewTokenStore(client(t, addr), key)
	if _, _, err := cfg.ExchangeAndSave(ctx, code, store0); err != nil {
		t.Fatal(err)
	}
	var calls, failed atomic.Int32
	var wg sync.WaitGroup
	for r := range 2 {
		store, _ := redisstore.NewTokenStore(redis.NewClient(&redis.Options{Addr: addr}), key)
		src, err := cfg.NewSource(store, ghltest.DefaultLocationID, ghl.WithRefreshLeeway(200*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		lim, _ := redisstore.NewRateLimiter(client(t, addr), redisstore.WithLimiterPrefix(fmt.Sprintf("r%d:", r)))
		c, err := ghl.NewClient(ghl.WithBaseURL(srv.URL()), ghl.WithTokenSource(src), ghl.WithLocation(ghltest.DefaultLocationID),
			ghl.WithRateLimiter(lim))
		if err != nil {
			t.Fatal(err)
		}
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 50 {
					calls.Add(1)
					if _, err := c.Contacts.List(ctx, ghl.ListOptions{Limit: 1}); err != nil {
						failed.Add(1)
						t.Log(err)
					}
				}
			}()
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	finished := func() bool {
		select {
		case <-done:
			return true
		default:
			return false
		}
	}
	expiries := 0
	for i := 1; i <= 4; i++ {
		testenv.WaitFor(t, "the replicas' calls", func() bool { return int(calls.Load()) >= 250*i || finished() })
		if finished() {
			break
		}
		srv.ExpireAccessTokens()
		expiries++
	}
	<-done
	grants := srv.TokenGrants("refresh_token")
	t.Logf("2 replicas, %d calls, the token expired %d times under them: %d refreshes, %d failed", calls.Load(), expiries, grants, failed.Load())
	if failed.Load() != 0 {
		t.Fatalf("%d calls failed", failed.Load())
	}
	if expiries != 4 || grants != expiries {
		t.Fatalf("%d refreshes for %d expiries; want one per expiry, four", grants, expiries)
	}
	tok, err := store0.Load(ctx, ghltest.DefaultLocationID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Refresh(ctx, tok.RefreshToken.Reveal(), ""); err != nil {
		t.Fatalf("the stored refresh token is spent: %v", err)
	}
}

// oauthSetup is a ghltest server on a settable clock, an OAuth config for
// it, and a pair exchanged and saved under ghltest.DefaultLocationID.
func oauthSetup(t *testing.T, addr string, encKey []byte) (*ghltest.Server, *ghltest.Clock, *ghl.OAuthConfig) {
	t.Helper()
	clk := ghltest.NewClock(time.Now())
	srv := ghltest.NewServer(ghltest.WithClock(clk.Now), ghltest.WithTokenLifetime(time.Hour), ghltest.WithRateLimit(1_000_000, time.Second))
	t.Cleanup(srv.Close)
	cfg := &ghl.OAuthConfig{ClientID: ghltest.DefaultClientID, ClientSecret: ghl.NewSecret(ghltest.DefaultClientSecret), BaseURL: srv.URL(),
		Now: clk.Now}
	code, err := srv.AuthorizationCode(cfg.ClientID, "", ghltest.DefaultLocationID, "contacts.readonly")
	if err != nil {
		t.Fatal(err)
	}
	store, err := redisstore.NewTokenStore(client(t, addr), encKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := cfg.ExchangeAndSave(context.Background(), code, store); err != nil {
		t.Fatal(err)
	}
	return srv, clk, cfg
}

// replicaSource is one replica's source: its own Redis client and store.
func replicaSource(t *testing.T, addr string, encKey []byte, cfg *ghl.OAuthConfig, clk *ghltest.Clock, ttl time.Duration) *ghl.RefreshingSource {
	t.Helper()
	store, err := redisstore.NewTokenStore(client(t, addr), encKey, redisstore.WithLockTTL(ttl))
	if err != nil {
		t.Fatal(err)
	}
	src, err := cfg.NewSource(store, ghltest.DefaultLocationID, ghl.WithSourceClock(clk.Now), ghl.WithReauthGrace(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// lockHeld waits until some replica holds the location's refresh lock.
func lockHeld(t *testing.T, rdb *redis.Client) {
	t.Helper()
	testenv.WaitFor(t, "a replica holding the refresh lock", func() bool {
		return rdb.Exists(context.Background(), "ghl:lock:"+ghltest.DefaultLocationID).Val() != 0
	})
}

// TestLockLeaseOutlivesASlowRefresh: lock TTL 200 ms, and replica A's
// refresh answer takes 600 ms (the refresh token is spent at once). Replica
// B, asking meanwhile, waits for A's lock, whose lease A keeps renewing, and
// uses A's pair: one refresh, no false ErrReauthRequired, the stored
// refresh token unspent. (Before, B took the expired lock, spent the spent
// token again, got invalid_grant and reported re-authorization.)
func TestLockLeaseOutlivesASlowRefresh(t *testing.T) {
	addr := startRedis(t)
	encKey := key32(t)
	srv, clk, cfg := oauthSetup(t, addr, encKey)
	a := replicaSource(t, addr, encKey, cfg, clk, 200*time.Millisecond)
	b := replicaSource(t, addr, encKey, cfg, clk, 200*time.Millisecond)
	ctx := context.Background()

	clk.Advance(2 * time.Hour) // every access token has expired
	srv.Inject(ghltest.Fault{Path: "/oauth/token", LatencyAfter: 600 * time.Millisecond})
	type result struct {
		tok string
		err error
	}
	ra := make(chan result, 1)
	go func() {
		tok, err := a.AccessToken(ctx)
		ra <- result{tok, err}
	}()
	lockHeld(t, client(t, addr))
	bTok, bErr := b.AccessToken(ctx)
	aRes := <-ra
	if aRes.err != nil || bErr != nil {
		t.Fatalf("A: %v; B: %v", aRes.err, bErr)
	}
	if aRes.tok != bTok {
		t.Fatal("the two replicas hold different access tokens")
	}
	if n := srv.TokenGrants("refresh_token"); n != 1 {
		t.Fatalf("%d refresh requests, want 1", n)
	}
	assertStoredPairUnspent(t, addr, encKey, cfg)
}

func assertStoredPairUnspent(t *testing.T, addr string, encKey []byte, cfg *ghl.OAuthConfig) {
	t.Helper()
	store, err := redisstore.NewTokenStore(client(t, addr), encKey)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := store.Load(context.Background(), ghltest.DefaultLocationID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Refresh(context.Background(), stored.RefreshToken.Reveal(), ""); err != nil {
		t.Fatalf("the stored refresh token is spent: %v", err)
	}
}

// TestLostLeaseDuringARefreshIsNotAReauth: replica A's lease is lost while
// its refresh is in flight (a process stalled past the TTL: here the lock
// is deleted under it). Replica B takes the lock and spends the same,
// already spent, refresh token: invalid_grant. A's save is fenced (B holds
// the lock), so A takes the lock again once B lets go and saves its pair
// over the one it replaced; B looks again once the lock is free and uses
// A's pair. Neither reports re-authorization, and the stored pair is A's.
func TestLostLeaseDuringARefreshIsNotAReauth(t *testing.T) {
	addr := startRedis(t)
	encKey := key32(t)
	srv, clk, cfg := oauthSetup(t, addr, encKey)
	a := replicaSource(t, addr, encKey, cfg, clk, time.Second)
	b := replicaSource(t, addr, encKey, cfg, clk, time.Second)
	rdb := client(t, addr)
	ctx := context.Background()

	clk.Advance(2 * time.Hour)
	srv.Inject(ghltest.Fault{Path: "/oauth/token", LatencyAfter: 1500 * time.Millisecond})
	ra := make(chan error, 1)
	var aTok string
	go func() {
		var err error
		aTok, err = a.AccessToken(ctx)
		ra <- err
	}()
	lockHeld(t, rdb)
	testenv.WaitFor(t, "A's refresh at HighLevel", func() bool { return srv.TokenGrants("refresh_token") > 0 })
	rdb.Del(ctx, "ghl:lock:"+ghltest.DefaultLocationID) // A's lease is gone
	bTok, bErr := b.AccessToken(ctx)
	aErr := <-ra
	if aErr != nil || bErr != nil {
		t.Fatalf("A: %v; B: %v", aErr, bErr)
	}
	if aTok != bTok {
		t.Fatal("the two replicas hold different access tokens")
	}
	assertStoredPairUnspent(t, addr, encKey, cfg)
}

// TestSaveUnderALostLockIsFenced: a store whose lock was lost (and taken
// by another) cannot save: ghl.ErrLockLost; its unlock leaves the new
// holder's lock in place.
func TestSaveUnderALostLockIsFenced(t *testing.T) {
	addr := startRedis(t)
	encKey := key32(t)
	ctx := context.Background()
	rdb := client(t, addr)
	s1, _ := redisstore.NewTokenStore(rdb, encKey)
	s2, _ := redisstore.NewTokenStore(client(t, addr), encKey)
	p1 := &ghl.Token{AccessToken: ghl.NewSecret("at-1"), RefreshToken: ghl.NewSecret("rt-1")}
	p2 := &ghl.Token{AccessToken: ghl.NewSecret("at-2"), RefreshToken: ghl.NewSecret("rt-2")}
	if err := s1.Save(ctx, "loc", p1); err != nil {
		t.Fatal(err)
	}
	unlock1, err := s1.Lock(ctx, "loc")
	if err != nil {
		t.Fatal(err)
	}
	rdb.Del(ctx, "ghl:lock:loc") // the lease runs out while the holder is stalled
	unlock2, err := s2.Lock(ctx, "loc")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := s1.CompareAndSave(ctx, "loc", p1, p2); ok || !errors.Is(err, ghl.ErrLockLost) {
		t.Fatalf("a compare-and-save under a lost lock: %v, %v; want ghl.ErrLockLost", ok, err)
	}
	if err := s1.Save(ctx, "loc", p2); !errors.Is(err, ghl.ErrLockLost) {
		t.Fatalf("a save under a lost lock: %v; want ghl.ErrLockLost", err)
	}
	unlock1()
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := s1.Lock(short, "loc"); err == nil {
		t.Fatal("the stale holder's unlock released the new holder's lock")
	}
	if ok, err := s2.CompareAndSave(ctx, "loc", p1, p2); !ok || err != nil {
		t.Fatalf("the holder's own save: %v, %v", ok, err)
	}
	unlock2()
	got, err := s1.Load(ctx, "loc")
	if err != nil || got.RefreshToken.Reveal() != "rt-2" {
		t.Fatalf("stored %v, %v", got, err)
	}
}

// TestSealingBindsKeyAndVersion: a record copied to another key (another
// prefix sharing the encryption key) does not open; an older record written
// back over a newer one is refused by a store that read the newer; the
// refresh-token field is a keyed MAC, not a plain hash, and differs per key.
func TestSealingBindsKeyAndVersion(t *testing.T) {
	addr := startRedis(t)
	encKey := key32(t)
	ctx := context.Background()
	rdb := client(t, addr)
	a, _ := redisstore.NewTokenStore(rdb, encKey, redisstore.WithPrefix("a:"))
	b, _ := redisstore.NewTokenStore(rdb, encKey, redisstore.WithPrefix("b:"))
	p1 := &ghl.Token{AccessToken: ghl.NewSecret("at-1"), RefreshToken: ghl.NewSecret("rt-1")}
	p2 := &ghl.Token{AccessToken: ghl.NewSecret("at-2"), RefreshToken: ghl.NewSecret("rt-2")}
	if err := a.Save(ctx, "loc", p1); err != nil {
		t.Fatal(err)
	}
	if err := b.Save(ctx, "loc", p2); err != nil {
		t.Fatal(err)
	}

	// Swap a's record into b.
	rec := rdb.HGetAll(ctx, "a:token:loc").Val()
	rdb.HSet(ctx, "b:token:loc", "v", rec["v"], "ver", rec["ver"], "rt", rec["rt"])
	if _, err := b.Load(ctx, "loc"); err == nil || !strings.Contains(err.Error(), "does not decrypt") {
		t.Fatalf("a record moved from another prefix opened: %v", err)
	}

	// Write an older version back over a newer one.
	if err := a.Save(ctx, "loc", p2); err != nil {
		t.Fatal(err)
	}
	if got, err := a.Load(ctx, "loc"); err != nil || got.RefreshToken.Reveal() != "rt-2" {
		t.Fatal(got, err)
	}
	rdb.HSet(ctx, "a:token:loc", "v", rec["v"], "ver", rec["ver"], "rt", rec["rt"])
	if _, err := a.Load(ctx, "loc"); err == nil || !strings.Contains(err.Error(), "older record was written back") {
		t.Fatalf("an older record written back was read: %v", err)
	}
	// The version is bound to the ciphertext: a newer version number on the
	// old ciphertext does not open either.
	rdb.HSet(ctx, "a:token:loc", "ver", "7")
	if _, err := a.Load(ctx, "loc"); err == nil || !strings.Contains(err.Error(), "does not decrypt") {
		t.Fatalf("a ciphertext opened under another version: %v", err)
	}

	plain := sha256.Sum256([]byte("ghl-rt:rt-1"))
	if rec["rt"] == hex.EncodeToString(plain[:]) || !strings.HasPrefix(rec["rt"], "m1:") {
		t.Fatalf("the refresh-token field is an unkeyed hash: %q", rec["rt"])
	}
	if err := b.Save(ctx, "loc", p1); err != nil {
		t.Fatal(err)
	}
	if rdb.HGet(ctx, "b:token:loc", "rt").Val() == rec["rt"] {
		t.Fatal("the same refresh token has the same MAC under two keys")
	}
}

// TestRecordsOfEarlierReleasesStillLoad: a record sealed as earlier
// releases did (the store key alone as additional data, an unkeyed hash of
// the refresh token) loads, compares and is replaced by a bound one.
func TestRecordsOfEarlierReleasesStillLoad(t *testing.T) {
	addr := startRedis(t)
	encKey := key32(t)
	ctx := context.Background()
	rdb := client(t, addr)
	p1 := &ghl.Token{AccessToken: ghl.NewSecret("at-1"), RefreshToken: ghl.NewSecret("rt-1"), LocationID: "loc"}
	plain, _ := p1.MarshalBinary()
	block, _ := aes.NewCipher(encKey)
	aead, _ := cipher.NewGCM(block)
	nonce := make([]byte, aead.NonceSize())
	_, _ = rand.Read(nonce)
	sealed := append(nonce, aead.Seal(nil, nonce, plain, []byte("loc"))...)
	sum := sha256.Sum256([]byte("ghl-rt:rt-1"))
	rdb.HSet(ctx, "ghl:token:loc", "v", sealed, "rt", hex.EncodeToString(sum[:]))

	s, _ := redisstore.NewTokenStore(rdb, encKey)
	got, err := s.Load(ctx, "loc")
	if err != nil || got.RefreshToken.Reveal() != "rt-1" {
		t.Fatalf("an earlier release's record: %v, %v", got, err)
	}
	p2 := &ghl.Token{AccessToken: ghl.NewSecret("at-2"), RefreshToken: ghl.NewSecret("rt-2")}
	if ok, err := s.CompareAndSave(ctx, "loc", got, p2); !ok || err != nil {
		t.Fatalf("compare-and-save over an earlier release's record: %v, %v", ok, err)
	}
	if v := rdb.HGet(ctx, "ghl:token:loc", "ver").Val(); v != "1" {
		t.Fatalf("version %q after the first bound save", v)
	}
}
