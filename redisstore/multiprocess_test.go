package redisstore_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/redisstore"
)

// run4 starts 4 OS processes (this test binary again) that bulk-upsert
// their 500 each of 2,000 contacts into one location, with tokens in Redis
// and the rate budget in Redis (shared) or in each process (separate).
// It returns what ghltest saw.
func run4(t *testing.T, shared bool) (requests, refused, refreshes int, elapsed time.Duration) {
	addr := startRedis(t)
	const burst, window = 50, 200 * time.Millisecond // 250 per second
	srv := ghltest.NewServer(ghltest.WithRateLimit(burst, window), ghltest.WithTokenLifetime(700*time.Millisecond))
	defer srv.Close()
	cfg := &ghl.OAuthConfig{ClientID: ghltest.DefaultClientID, ClientSecret: ghl.NewSecret(ghltest.DefaultClientSecret), BaseURL: srv.URL()}
	code, err := srv.AuthorizationCode(cfg.ClientID, "", ghltest.DefaultLocationID, "contacts.write")
	if err != nil {
		t.Fatal(err)
	}
	key := key32(t)
	store, _ := redisstore.NewTokenStore(client(t, addr), key)
	if _, _, err := cfg.ExchangeAndSave(context.Background(), code, store); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	outs := make([]strings.Builder, 4)
	errs := make([]error, 4)
	start := time.Now()
	for i := range 4 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestUpsertWorkerProcess$", "-test.v")
		cmd.Env = append(os.Environ(), "GHL_WORKER=1", "GHL_WORKER_BASE="+srv.URL(), "GHL_WORKER_REDIS="+addr,
			"GHL_WORKER_KEY="+hex.EncodeToString(key), "GHL_WORKER_SHARE="+strconv.Itoa(i), "GHL_WORKER_SHARED="+strconv.FormatBool(shared))
		cmd.Stdout, cmd.Stderr = &outs[i], &outs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = cmd.Wait() }()
	}
	wg.Wait()
	elapsed = time.Since(start)
	for i := range 4 {
		if errs[i] != nil || !strings.Contains(outs[i].String(), "worker: 500 done, 0 failed") {
			t.Fatalf("worker %d: %v\n%.3000s", i, errs[i], outs[i].String())
		}
	}
	if n := srv.ContactCount(ghltest.DefaultLocationID); n != 2000 {
		t.Fatalf("%d contacts, want 2,000: every item applied once", n)
	}
	for _, r := range srv.Requests() {
		if r.Path == "/contacts/upsert" {
			requests++
			if r.Status == 429 {
				refused++
			}
		}
	}
	return requests, refused, srv.TokenGrants("refresh_token"), elapsed
}

// TestFourProcessesShareOneLocation: 4 OS processes through the Redis
// limiter draw no 429 and together use the allowed rate; with separate
// in-process limiters, for contrast, they draw 429s. Tokens expire every
// 700 ms: one refresh per expiry, no failed call.
func TestFourProcessesShareOneLocation(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 4 processes twice, about 20 s")
	}
	for _, shared := range []bool{true, false} {
		requests, refused, refreshes, elapsed := run4(t, shared)
		allowed := 250.0 // per second
		pct := 2000 / elapsed.Seconds() / allowed * 100
		mode := "Redis limiter"
		if !shared {
			mode = "separate in-process limiters"
		}
		t.Logf("4 processes, %s: 2,000 upserts in %s (%.1f%% of the allowed rate, start-up included), %d requests, %d answered 429, %d refreshes",
			mode, elapsed.Round(10*time.Millisecond), pct, requests, refused, refreshes)
		if shared && refused != 0 {
			t.Errorf("%d requests answered 429 through the shared limiter", refused)
		}
		if refreshes > int(elapsed/(500*time.Millisecond))+2 {
			t.Errorf("%d refreshes in %s of 700 ms tokens: more than one per expiry", refreshes, elapsed)
		}
	}
}

// TestUpsertWorkerProcess is the worker half of
// TestFourProcessesShareOneLocation; it does nothing unless started by it.
func TestUpsertWorkerProcess(t *testing.T) {
	if os.Getenv("GHL_WORKER") != "1" {
		t.Skip("a helper process for TestFourProcessesShareOneLocation")
	}
	ctx := context.Background()
	key, _ := hex.DecodeString(os.Getenv("GHL_WORKER_KEY"))
	rdb := redis.NewClient(&redis.Options{Addr: os.Getenv("GHL_WORKER_REDIS")})
	store, err := redisstore.NewTokenStore(rdb, key)
	if err != nil {
		t.Fatal(err)
	}
	base := os.Getenv("GHL_WORKER_BASE")
	cfg := &ghl.OAuthConfig{ClientID: ghltest.DefaultClientID, ClientSecret: ghl.NewSecret(ghltest.DefaultClientSecret), BaseURL: base}
	src, err := cfg.NewSource(store, ghltest.DefaultLocationID, ghl.WithRefreshLeeway(150*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	var lim ghl.RateLimiter = ghl.NewRateLimiter()
	if os.Getenv("GHL_WORKER_SHARED") == "true" {
		if lim, err = redisstore.NewRateLimiter(rdb); err != nil {
			t.Fatal(err)
		}
	}
	c, err := ghl.NewClient(ghl.WithBaseURL(base), ghl.WithTokenSource(src), ghl.WithLocation(ghltest.DefaultLocationID),
		ghl.WithRateLimiter(lim), ghl.WithRetryPolicy(ghl.RetryPolicy{MaxRetries: 10, MinWait: 20 * time.Millisecond, MaxWait: time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	share, _ := strconv.Atoi(os.Getenv("GHL_WORKER_SHARE"))
	reqs := make([]ghl.UpsertContactRequest, 500)
	for i := range reqs {
		n := share*500 + i
		reqs[i] = ghl.UpsertContactRequest{CreateContactRequest: ghl.CreateContactRequest{Email: ghl.Ptr(fmt.Sprintf("member%d@example.com", n))}}
	}
	report := c.Contacts.BulkUpsert(ctx, reqs, ghl.BulkOptions{Concurrency: 8})
	for _, it := range report.Items {
		if it.Err != nil {
			fmt.Println("failed:", it.Err)
		}
	}
	fmt.Printf("worker: %d done, %d failed\n", report.Created+report.Updated, report.Failed+report.NotSent)
}
