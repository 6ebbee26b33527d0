// Package redisstore shares what the replicas of one HighLevel app must
// share, through the Redis they already run: the token pairs of each
// location (TokenStore, with a Redis lock and compare-and-swap saves, so
// no refresh token is ever spent twice) and the rate budget (RateLimiter,
// so that N replicas together never exceed HighLevel's limit).
//
// It is a module of its own, so that programs that do not use Redis never
// download a Redis client.
package redisstore

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ghlkit/ghl"
)

// TokenStore is a ghl.TokenStore on Redis. Each pair is kept encrypted with
// AES-256-GCM under a key you provide (a fresh nonce per save, the store key
// bound as additional data), next to a hash of its refresh token for
// compare-and-swap. Lock is a Redis lock with a random token and an expiry,
// released only by its holder. Printing a TokenStore never shows the key.
type TokenStore struct {
	rdb     redis.UniversalClient
	aead    cipher.AEAD
	prefix  string
	lockTTL time.Duration
}

// StoreOption configures a TokenStore.
type StoreOption func(*TokenStore)

// WithPrefix puts the store's Redis keys under prefix (default "ghl:").
func WithPrefix(prefix string) StoreOption { return func(s *TokenStore) { s.prefix = prefix } }

// WithLockTTL sets how long a refresh lock lasts if its holder dies
// (default 30 s, the RefreshingSource's refresh timeout).
func WithLockTTL(d time.Duration) StoreOption {
	return func(s *TokenStore) {
		if d > 0 {
			s.lockTTL = d
		}
	}
}

// NewTokenStore returns a store on rdb. encKey must be 32 random bytes, kept
// outside Redis (a secret manager).
func NewTokenStore(rdb redis.UniversalClient, encKey []byte, opts ...StoreOption) (*TokenStore, error) {
	if rdb == nil {
		return nil, &ghl.InputError{Field: "redis client", Reason: "must not be nil"}
	}
	if len(encKey) != 32 {
		return nil, &ghl.InputError{Field: "encryption key", Reason: fmt.Sprintf("must be 32 bytes for AES-256, not %d", len(encKey))}
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	s := &TokenStore{rdb: rdb, aead: aead, prefix: "ghl:", lockTTL: 30 * time.Second}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// String describes the store without its key.
func (s TokenStore) String() string { return "redisstore.TokenStore{" + s.prefix + "}" }

// Format prints String for every verb, so no verb reveals the key.
func (s TokenStore) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// LogValue keeps the key out of slog output.
func (s TokenStore) LogValue() slog.Value { return slog.StringValue(s.String()) }

func (s *TokenStore) tokenKey(key string) string { return s.prefix + "token:" + key }
func (s *TokenStore) lockKey(key string) string  { return s.prefix + "lock:" + key }

// rtHash is what compare-and-swap compares: a hash of the refresh token.
func rtHash(t *ghl.Token) string {
	if t == nil {
		return ""
	}
	sum := sha256.Sum256([]byte("ghl-rt:" + t.RefreshToken.Reveal()))
	return hex.EncodeToString(sum[:])
}

func (s *TokenStore) seal(key string, t *ghl.Token) ([]byte, error) {
	plain, err := t.MarshalBinary()
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return append(nonce, s.aead.Seal(nil, nonce, plain, []byte(key))...), nil
}

func (s *TokenStore) open(key string, b []byte) (*ghl.Token, error) {
	ns := s.aead.NonceSize()
	if len(b) < ns+s.aead.Overhead() {
		return nil, fmt.Errorf("redisstore: the token under %q is not one this store wrote", key)
	}
	plain, err := s.aead.Open(nil, b[:ns], b[ns:], []byte(key))
	if err != nil {
		return nil, fmt.Errorf("redisstore: the token under %q does not decrypt with this key", key)
	}
	var t ghl.Token
	if err := t.UnmarshalBinary(plain); err != nil {
		return nil, fmt.Errorf("redisstore: the token under %q is unreadable", key)
	}
	return &t, nil
}

// Load returns the pair under key, or an error wrapping ghl.ErrNoToken.
func (s *TokenStore) Load(ctx context.Context, key string) (*ghl.Token, error) {
	b, err := s.rdb.HGet(ctx, s.tokenKey(key), "v").Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("%w under %q", ghl.ErrNoToken, key)
	}
	if err != nil {
		return nil, fmt.Errorf("redisstore: load %q: %w", key, err)
	}
	return s.open(key, b)
}

// Save replaces the pair under key.
func (s *TokenStore) Save(ctx context.Context, key string, t *ghl.Token) error {
	if key == "" {
		return &ghl.InputError{Field: "token store key", Reason: "must not be empty"}
	}
	if t == nil || t.AccessToken.IsZero() {
		return &ghl.InputError{Field: "token", Reason: "has no access token"}
	}
	b, err := s.seal(key, t)
	if err != nil {
		return err
	}
	if err := s.rdb.HSet(ctx, s.tokenKey(key), "v", b, "rt", rtHash(t)).Err(); err != nil {
		return fmt.Errorf("redisstore: save %q: %w", key, err)
	}
	return nil
}

// casScript replaces the pair only while the stored refresh-token hash is
// ARGV[1] ("" for nothing stored).
var casScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], 'rt')
if (cur == false and ARGV[1] == '') or cur == ARGV[1] then
  redis.call('HSET', KEYS[1], 'v', ARGV[2], 'rt', ARGV[3])
  return 1
end
return 0`)

// CompareAndSave replaces the pair under key with t only while the store
// still holds old (nil: nothing), in one atomic step; see
// ghl.CompareAndSaver.
func (s *TokenStore) CompareAndSave(ctx context.Context, key string, old, t *ghl.Token) (bool, error) {
	if t == nil || t.AccessToken.IsZero() {
		return false, &ghl.InputError{Field: "token", Reason: "has no access token"}
	}
	b, err := s.seal(key, t)
	if err != nil {
		return false, err
	}
	n, err := casScript.Run(ctx, s.rdb, []string{s.tokenKey(key)}, rtHash(old), b, rtHash(t)).Int()
	if err != nil {
		return false, fmt.Errorf("redisstore: save %q: %w", key, err)
	}
	return n == 1, nil
}

// unlockScript deletes the lock only for its holder.
var unlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// Lock takes key's refresh lock, waiting until ctx ends. The lock expires
// after the lock TTL if its holder dies; the returned func releases it only
// while it is still this holder's.
func (s *TokenStore) Lock(ctx context.Context, key string) (func(), error) {
	token := make([]byte, 16)
	if _, err := rand.Read(token); err != nil {
		return nil, err
	}
	tok := hex.EncodeToString(token)
	wait := 5 * time.Millisecond
	for {
		ok, err := s.rdb.SetNX(ctx, s.lockKey(key), tok, s.lockTTL).Result()
		if err != nil {
			return nil, fmt.Errorf("redisstore: lock %q: %w", key, err)
		}
		if ok {
			return func() {
				// A fresh context: the caller's may have ended, and the lock
				// must not be left for its TTL.
				ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				defer cancel()
				_ = unlockScript.Run(ctx, s.rdb, []string{s.lockKey(key)}, tok).Err()
			}, nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		wait = min(wait*2, 200*time.Millisecond)
	}
}
