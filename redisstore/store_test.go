package redisstore_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
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

	// The lock is released only by its holder: after it expires and another
	// takes it, the first holder's unlock leaves the second's in place.
	unlock1, err := s.Lock(ctx, "loc")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(250 * time.Millisecond) // the first lock expires
	unlock2, err := s.Lock(ctx, "loc")
	if err != nil {
		t.Fatal(err)
	}
	unlock1()
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := s.Lock(short, "loc"); err == nil {
		t.Fatal("the stale holder's unlock released the new holder's lock")
	}
	unlock2()
	if _, err := s.Lock(ctx, "loc"); err != nil {
		t.Fatal(err)
	}

	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x"} {
		if out := fmt.Sprintf(verb, *s); len(out) > 60 || out == "" {
			t.Fatalf("%s printed %q", verb, out)
		}
	}
}

// TestTwoReplicasShareTokensThroughRedis: two sources on two Redis clients
// (as two machines would have), 16 goroutines each, while 1-second tokens
// expire: one refresh per expiry, no failed call, no refresh token spent twice.
func TestTwoReplicasShareTokensThroughRedis(t *testing.T) {
	addr := startRedis(t)
	ctx := context.Background()
	srv := ghltest.NewServer(ghltest.WithTokenLifetime(time.Second), ghltest.WithRateLimit(1_000_000, time.Second), ghltest.WithContacts(2))
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
	deadline := time.Now().Add(3 * time.Second)
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
				for time.Now().Before(deadline) {
					calls.Add(1)
					if _, err := c.Contacts.List(ctx, ghl.ListOptions{Limit: 1}); err != nil {
						failed.Add(1)
						t.Log(err)
					}
					time.Sleep(5 * time.Millisecond)
				}
			}()
		}
	}
	wg.Wait()
	grants := srv.TokenGrants("refresh_token")
	t.Logf("2 replicas, %d calls over 3 s of 1 s tokens: %d refreshes, %d failed", calls.Load(), grants, failed.Load())
	if failed.Load() != 0 {
		t.Fatalf("%d calls failed", failed.Load())
	}
	if grants < 2 || grants > 3000/800+2 {
		t.Fatalf("%d refreshes; want one per expiry (about 3)", grants)
	}
	tok, err := store0.Load(ctx, ghltest.DefaultLocationID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Refresh(ctx, tok.RefreshToken.Reveal(), ""); err != nil {
		t.Fatalf("the stored refresh token is spent: %v", err)
	}
}

// TestFailOpenAndFailClosed: with Redis gone, the default limiter falls back
// to an in-process one; FailClosed returns the error.
func TestFailOpenAndFailClosed(t *testing.T) {
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 100 * time.Millisecond, MaxRetries: -1})
	defer dead.Close()
	open, _ := redisstore.NewRateLimiter(dead)
	h, err := open.Acquire(context.Background(), "loc")
	if err != nil {
		t.Fatalf("fail open: %v", err)
	}
	h.Done(nil, 0)
	closed, _ := redisstore.NewRateLimiter(dead, redisstore.FailClosed())
	if _, err := closed.Acquire(context.Background(), "loc"); err == nil {
		t.Fatal("fail closed sent without Redis")
	}
}

// countHook counts the commands sent to Redis.
type countHook struct{ n atomic.Int64 }

func (h *countHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { h.n.Add(1); return next(ctx, cmd) }
}
func (h *countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { h.n.Add(int64(len(cmds))); return next(ctx, cmds) }
}

// BenchmarkRedisAcquire is one Acquire and Done through the Redis limiter
// on a local redis-server, reporting the Redis round trips each costs.
func BenchmarkRedisAcquire(b *testing.B) {
	addr := startRedis(b)
	c := client(b, addr)
	hook := &countHook{}
	c.AddHook(hook)
	l, _ := redisstore.NewRateLimiter(c, redisstore.FailClosed())
	ctx := context.Background()
	first, err := l.Acquire(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	first.Done(map[string][]string{"X-Ratelimit-Max": {"1000000"}, "X-Ratelimit-Interval-Milliseconds": {"1000"}}, 200)
	hook.n.Store(0)
	b.ReportAllocs()
	b.ResetTimer()
	var acquires, dones int64
	for b.Loop() {
		before := hook.n.Load()
		h, err := l.Acquire(ctx, "bench")
		if err != nil {
			b.Fatal(err)
		}
		mid := hook.n.Load()
		h.Done(nil, 0)
		acquires += mid - before
		dones += hook.n.Load() - mid
	}
	b.ReportMetric(float64(acquires)/float64(b.N), "roundtrips/acquire")
	b.ReportMetric(float64(dones)/float64(b.N), "roundtrips/done")
}
