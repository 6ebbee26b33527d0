package redisstore

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ghlkit/ghl/webhook"
)

// SeenStore is a webhook.SeenStore on Redis, so that the replicas of an app
// de-duplicate HighLevel's deliveries together, across restarts: a delivery
// replayed to another replica, or to this one after a restart, is
// acknowledged without being processed again.
//
// A claim is a key set only if absent (SET NX). While a delivery is being
// processed its key lasts a short lease (WithProcessingLease, default 5
// minutes), so a replica that dies mid-way does not block HighLevel's
// retries for the whole window; once processed it lasts until the end of
// the handler's de-duplication window.
//
//	seen, err := redisstore.NewSeenStore(rdb)
//	h := webhook.NewHandler(verifier, fn, webhook.WithSeenStore(seen))
//
// When Redis cannot be reached a claim answers ClaimInProgress, so the
// handler answers with its failure status and HighLevel delivers again later
// (FailOpenSeen processes it instead, risking a duplicate).
type SeenStore struct {
	rdb      redis.UniversalClient
	prefix   string
	lease    time.Duration
	failOpen bool
	timeout  time.Duration
}

// SeenOption configures a SeenStore.
type SeenOption func(*SeenStore)

// WithSeenPrefix puts the store's keys under prefix (default "ghl:").
func WithSeenPrefix(prefix string) SeenOption { return func(s *SeenStore) { s.prefix = prefix } }

// WithProcessingLease sets how long a claim lasts while its delivery is
// being processed (default 5 minutes): longer than your handler takes,
// shorter than HighLevel keeps retrying.
func WithProcessingLease(d time.Duration) SeenOption {
	return func(s *SeenStore) {
		if d > 0 {
			s.lease = d
		}
	}
}

// FailOpenSeen makes a claim answer ClaimNew when Redis cannot be reached:
// the delivery is processed, and may be processed twice.
func FailOpenSeen() SeenOption { return func(s *SeenStore) { s.failOpen = true } }

// NewSeenStore returns a SeenStore on rdb.
func NewSeenStore(rdb redis.UniversalClient, opts ...SeenOption) (*SeenStore, error) {
	if rdb == nil {
		return nil, fmt.Errorf("redisstore: the redis client must not be nil")
	}
	s := &SeenStore{rdb: rdb, prefix: "ghl:", lease: 5 * time.Minute, timeout: 5 * time.Second}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// String describes the store.
func (s SeenStore) String() string { return "redisstore.SeenStore{" + s.prefix + "}" }

// Format prints String for every verb.
func (s SeenStore) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// LogValue is String.
func (s SeenStore) LogValue() slog.Value { return slog.StringValue(s.String()) }

func (s *SeenStore) key(id string) string { return s.prefix + "seen:" + id }

// claimScript: set the key to "p:<until ms>" if absent, for the lease;
// else say what it holds. Returns 1 new, 2 in progress, 3 done.
var claimScript = redis.NewScript(`
if redis.call('SET', KEYS[1], 'p:' .. ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
local v = redis.call('GET', KEYS[1])
if v == 'd' then return 3 end
if v == false then
  redis.call('SET', KEYS[1], 'p:' .. ARGV[1], 'PX', ARGV[2])
  return 1
end
return 2`)

// seenDoneScript: a claim in progress becomes done until its window's end.
var seenDoneScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v == false or string.sub(v, 1, 2) ~= 'p:' then return 0 end
local untilMs = tonumber(string.sub(v, 3))
redis.call('SET', KEYS[1], 'd', 'PXAT', untilMs)
return 1`)

// releaseScript: forget a claim still in progress.
var releaseScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v ~= false and string.sub(v, 1, 2) == 'p:' then return redis.call('DEL', KEYS[1]) end
return 0`)

// Claim records id as being processed, until the delivery is done or the
// processing lease ends; see webhook.SeenStore.
func (s *SeenStore) Claim(id string, until time.Time) webhook.Claim {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	lease := min(s.lease, time.Until(until))
	if lease <= 0 {
		lease = time.Millisecond
	}
	n, err := claimScript.Run(ctx, s.rdb, []string{s.key(id)}, strconv.FormatInt(until.UnixMilli(), 10), lease.Milliseconds()).Int()
	switch {
	case err != nil && s.failOpen:
		return webhook.ClaimNew
	case err != nil:
		return webhook.ClaimInProgress // HighLevel delivers again later
	case n == 1:
		return webhook.ClaimNew
	case n == 3:
		return webhook.ClaimDone
	}
	return webhook.ClaimInProgress
}

// Done marks id as processed until the end of the window it was claimed for.
func (s *SeenStore) Done(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	_ = seenDoneScript.Run(ctx, s.rdb, []string{s.key(id)}).Err()
}

// Release forgets a claim whose processing failed, so that HighLevel's retry
// is processed.
func (s *SeenStore) Release(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	_ = releaseScript.Run(ctx, s.rdb, []string{s.key(id)}).Err()
}

var _ webhook.SeenStore = (*SeenStore)(nil)
