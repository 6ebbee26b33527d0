package redisstore_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ghlkit/ghl/internal/testenv"

	"github.com/redis/go-redis/v9"

	"github.com/ghlkit/ghl/redisstore"
	"github.com/ghlkit/ghl/webhook"
)

// replica is one replica's webhook receiver on a SeenStore of its own
// (its own Redis client), counting the deliveries its function processed.
type replica struct {
	srv       *httptest.Server
	processed *atomic.Int32
}

func newReplica(t *testing.T, addr string, signer *webhook.TestSigner, processed *atomic.Int32, fail *atomic.Bool, opts ...redisstore.SeenOption) replica {
	t.Helper()
	seen, err := redisstore.NewSeenStore(client(t, addr), opts...)
	if err != nil {
		t.Fatal(err)
	}
	v, err := signer.TestVerifier()
	if err != nil {
		t.Fatal(err)
	}
	h := webhook.NewHandler(v, func(context.Context, webhook.Event) error {
		if fail != nil && fail.Load() {
			return context.DeadlineExceeded
		}
		processed.Add(1)
		return nil
	}, webhook.WithSeenStore(seen))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return replica{srv: srv, processed: processed}
}

func deliver(t *testing.T, url string, signer *webhook.TestSigner, body []byte) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header = signer.Sign(body)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestSeenStoreSharedByReplicas: a delivery replayed to another replica, or
// to a replica restarted with a new store, is acknowledged and not processed
// again; a failed delivery is released, and HighLevel's retry is processed.
func TestSeenStoreSharedByReplicas(t *testing.T) {
	addr := startRedis(t)
	signer, err := webhook.NewTestSigner()
	if err != nil {
		t.Fatal(err)
	}
	var processed atomic.Int32
	var fail atomic.Bool
	r1 := newReplica(t, addr, signer, &processed, &fail)
	r2 := newReplica(t, addr, signer, &processed, &fail)
	body := []byte(`{"type":"ContactCreate","locationId":"L1","id":"c1","webhookId":"wh-shared-1"}`)

	if got := deliver(t, r1.srv.URL, signer, body); got != 200 {
		t.Fatalf("first delivery: %d", got)
	}
	if got := deliver(t, r2.srv.URL, signer, body); got != 200 {
		t.Fatalf("replay to the other replica: %d", got)
	}
	restarted := newReplica(t, addr, signer, &processed, &fail)
	if got := deliver(t, restarted.srv.URL, signer, body); got != 200 {
		t.Fatalf("replay after a restart: %d", got)
	}
	if n := processed.Load(); n != 1 {
		t.Fatalf("processed %d times, want once", n)
	}

	// A failure releases the claim: the retry, on any replica, is processed.
	other := []byte(`{"type":"ContactCreate","locationId":"L1","id":"c2","webhookId":"wh-shared-2"}`)
	fail.Store(true)
	if got := deliver(t, r1.srv.URL, signer, other); got == 200 {
		t.Fatal("a failed delivery was acknowledged")
	}
	fail.Store(false)
	if got := deliver(t, r2.srv.URL, signer, other); got != 200 {
		t.Fatalf("the retry after a failure: %d", got)
	}
	if n := processed.Load(); n != 2 {
		t.Fatalf("processed %d, want 2", n)
	}
}

// TestSeenStoreLeasesAndWindows: a claim whose replica died mid-way lasts
// only the processing lease, so HighLevel's retry is processed after it; a
// processed delivery is remembered until its window ends; with Redis down a
// claim answers "in progress" (HighLevel retries later), or "new" with
// FailOpenSeen.
func TestSeenStoreLeasesAndWindows(t *testing.T) {
	addr := startRedis(t)
	rdb := client(t, addr)
	s, _ := redisstore.NewSeenStore(rdb, redisstore.WithProcessingLease(100*time.Millisecond))
	window := time.Now().Add(3 * time.Hour)
	if got := s.Claim("dies", window); got != webhook.ClaimNew {
		t.Fatalf("first claim: %v", got)
	}
	if got := s.Claim("dies", window); got != webhook.ClaimInProgress {
		t.Fatalf("second claim while the first is processed: %v", got)
	}
	// The replica dies without Done or Release: once the lease ends, a
	// retry is new again (Redis expires the key; look until it has).
	testenv.WaitFor(t, "the processing lease's end", func() bool { return s.Claim("dies", window) == webhook.ClaimNew })

	if got := s.Claim("ok", window); got != webhook.ClaimNew {
		t.Fatalf("claim: %v", got)
	}
	s.Done("ok")
	if got := s.Claim("ok", window); got != webhook.ClaimDone {
		t.Fatalf("claim after done: %v", got)
	}
	ttl := rdb.PTTL(context.Background(), "ghl:seen:ok").Val()
	if ttl < 2*time.Hour || ttl > 3*time.Hour {
		t.Fatalf("a processed delivery is remembered for %s; want until its window ends (3 h)", ttl)
	}
	s.Release("ok") // a done claim is not released
	if got := s.Claim("ok", window); got != webhook.ClaimDone {
		t.Fatalf("claim after releasing a done one: %v", got)
	}

	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 50 * time.Millisecond, MaxRetries: -1})
	defer dead.Close()
	closed, _ := redisstore.NewSeenStore(dead)
	if got := closed.Claim("x", window); got != webhook.ClaimInProgress {
		t.Fatalf("Redis down, fail closed: %v", got)
	}
	open, _ := redisstore.NewSeenStore(dead, redisstore.FailOpenSeen())
	if got := open.Claim("x", window); got != webhook.ClaimNew {
		t.Fatalf("Redis down, fail open: %v", got)
	}
}
