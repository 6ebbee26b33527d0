package redisstore_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/redisstore"
)

// startRedis starts a real redis-server on a free loopback port, without
// persistence, for one test. Without the binary the test is skipped, unless
// GHL_REDIS_TEST=required (CI), which fails it.
func startRedis(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("GHL_REDIS_TEST") == "required" {
			t.Fatal("no redis-server on PATH, and GHL_REDIS_TEST=required")
		}
		t.Skip("skipped: no redis-server on PATH (apt-get install redis-server)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := "127.0.0.1:" + strconv.Itoa(port)
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	for i := 0; ; i++ {
		if c.Ping(context.Background()).Err() == nil {
			return addr
		}
		if i > 200 {
			t.Fatal("redis-server did not answer")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func client(t testing.TB, addr string) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { c.Close() })
	return c
}

func key32(t testing.TB) []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}

func TestTokenStoreContract(t *testing.T) {
	addr := startRedis(t)
	key := key32(t)
	n := 0
	ghltest.StoreContract(t, func(t *testing.T) ghl.TokenStore {
		n++
		s, err := redisstore.NewTokenStore(client(t, addr), key, redisstore.WithPrefix(fmt.Sprintf("t%d:", n)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestLimiterContract(t *testing.T) {
	addr := startRedis(t)
	n := 0
	ghltest.LimiterContract(t, func(t *testing.T) []ghl.RateLimiter {
		n++
		prefix := fmt.Sprintf("l%d:", n)
		a, err := redisstore.NewRateLimiter(client(t, addr), redisstore.WithLimiterPrefix(prefix), redisstore.FailClosed())
		if err != nil {
			t.Fatal(err)
		}
		b, _ := redisstore.NewRateLimiter(client(t, addr), redisstore.WithLimiterPrefix(prefix), redisstore.FailClosed())
		return []ghl.RateLimiter{a, b} // two replicas, one budget
	})
}

// TestReplicaWiring: a replica wired as the replicas guide shows (tokens and
// the rate budget in Redis), against ghltest and a real redis-server.
func TestReplicaWiring(t *testing.T) {
	addr := startRedis(t)
	srv := ghltest.NewServer(ghltest.WithContacts(3))
	defer srv.Close()
	ctx := context.Background()
	encKey := key32(t)
	cfg := &ghl.OAuthConfig{ClientID: ghltest.DefaultClientID, ClientSecret: ghl.NewSecret(ghltest.DefaultClientSecret), BaseURL: srv.URL()}
	locationID := ghltest.DefaultLocationID
	code, err := srv.AuthorizationCode(cfg.ClientID, "", locationID, "contacts.readonly")
	if err != nil {
		t.Fatal(err)
	}

	replica := func() (*ghl.Client, error) {
		rdb := redis.NewClient(&redis.Options{Addr: addr})  // e.g. "redis:6379"
		store, err := redisstore.NewTokenStore(rdb, encKey) // AES-256-GCM values; the key lives outside Redis
		if err != nil {
			return nil, err
		}
		limiter, err := redisstore.NewRateLimiter(rdb)
		if err != nil {
			return nil, err
		}
		src, err := cfg.NewSource(store, locationID)
		if err != nil {
			return nil, err
		}
		return ghl.NewClient(ghl.WithTokenSource(src), ghl.WithLocation(locationID), ghl.WithRateLimiter(limiter),
			ghl.WithBaseURL(srv.URL())) // ghltest here; leave out for HighLevel
	}

	store, err := redisstore.NewTokenStore(client(t, addr), encKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := cfg.ExchangeAndSave(ctx, code, store); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		c, err := replica()
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.Contacts.Search(ctx, ghl.SearchRequest{})
		if err != nil || res.Total != 3 {
			t.Fatalf("a replica's search: %v, %+v", err, res)
		}
	}
}
