// Package redisstore shares what the replicas of one HighLevel app must
// share, through the Redis they already run: the token pairs of each
// location (TokenStore, with a renewed Redis lock and fenced
// compare-and-swap saves, so no refresh token is ever spent twice), the
// rate budget (RateLimiter, so that N replicas together never exceed
// HighLevel's limit) and which webhook deliveries were processed
// (SeenStore, so a replay to another replica is not processed again).
//
// It is a module of its own, so that programs that do not use Redis never
// download a Redis client.
package redisstore

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ghlkit/ghl"
)

// TokenStore is a ghl.TokenStore on Redis. Each pair is kept encrypted with
// AES-256-GCM under a key you provide: a fresh nonce per save, and as
// additional data the pair's full Redis key and a version that every save
// increments, so a ciphertext moved to another key (another prefix sharing
// the encryption key) does not open, and an older ciphertext written back
// in place of a newer one is refused by a store that has read the newer.
// Beside it sits a keyed MAC of its refresh token, for compare-and-swap.
//
// Lock is a Redis lock with a random token: its lease (the lock TTL) is
// renewed while it is held, so it never runs out under a live holder
// however slow HighLevel answers; a save under the lock is fenced with the
// lock's token, so a holder whose lease did run out (a process stalled past
// the TTL) cannot write over what the new holder writes (it gets
// ghl.ErrLockLost). Printing a TokenStore never shows the key.
type TokenStore struct {
	rdb     redis.UniversalClient
	cipher  func() (cipher.AEAD, []byte) // the AEAD and the MAC key, in a closure no printer can look into
	prefix  string
	lockTTL time.Duration

	held     *sync.Map // key → lock token of a lock this store holds
	versions *sync.Map // key → highest version read or written (uint64)
}

// StoreOption configures a TokenStore.
type StoreOption func(*TokenStore)

// WithPrefix puts the store's Redis keys under prefix (default "ghl:").
func WithPrefix(prefix string) StoreOption { return func(s *TokenStore) { s.prefix = prefix } }

// MinLockTTL is the shortest lock TTL a TokenStore takes: the lease is
// renewed every third of it, and a renewal must get through in that time.
const MinLockTTL = 100 * time.Millisecond

// WithLockTTL sets how long a refresh lock lasts after its holder stops
// renewing it (it died, or stalled): default 30 s, at least MinLockTTL. A
// live holder renews it every third of the TTL for as long as it holds it,
// so the TTL need not cover the refresh itself.
func WithLockTTL(d time.Duration) StoreOption { return func(s *TokenStore) { s.lockTTL = d } }

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
	mac := hmac.New(sha256.New, encKey)
	mac.Write([]byte("ghl redisstore: refresh-token MAC key"))
	macKey := mac.Sum(nil)
	s := &TokenStore{rdb: rdb, cipher: func() (cipher.AEAD, []byte) { return aead, macKey }, prefix: "ghl:",
		lockTTL: 30 * time.Second, held: &sync.Map{}, versions: &sync.Map{}}
	for _, o := range opts {
		o(s)
	}
	if s.lockTTL < MinLockTTL {
		return nil, &ghl.InputError{Field: "lock TTL", Reason: fmt.Sprintf("%s is below %s: the lease could not be renewed in time", s.lockTTL, MinLockTTL)}
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

// rtMAC is what compare-and-swap compares: a keyed MAC of the refresh
// token, bound to the record's Redis key.
func (s *TokenStore) rtMAC(key string, t *ghl.Token) string {
	if t == nil {
		return ""
	}
	_, macKey := s.cipher()
	m := hmac.New(sha256.New, macKey)
	m.Write([]byte(s.tokenKey(key)))
	m.Write([]byte{0})
	m.Write([]byte(t.RefreshToken.Reveal()))
	return "m1:" + hex.EncodeToString(m.Sum(nil))
}

// legacyRT is the unkeyed hash earlier versions stored; a record still
// carrying it is matched by it until its next save.
func legacyRT(t *ghl.Token) string {
	if t == nil {
		return ""
	}
	sum := sha256.Sum256([]byte("ghl-rt:" + t.RefreshToken.Reveal()))
	return hex.EncodeToString(sum[:])
}

// aad is the additional data a record is sealed with: its full Redis key
// and its version. Version 0 is a record of an earlier release, sealed with
// the store key alone.
func (s *TokenStore) aad(key string, version uint64) []byte {
	if version == 0 {
		return []byte(key)
	}
	return []byte("ghl-redisstore-v2\x00" + s.tokenKey(key) + "\x00" + strconv.FormatUint(version, 10))
}

func (s *TokenStore) seal(key string, version uint64, t *ghl.Token) ([]byte, error) {
	plain, err := t.MarshalBinary()
	if err != nil {
		return nil, err
	}
	aead, _ := s.cipher()
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return append(nonce, aead.Seal(nil, nonce, plain, s.aad(key, version))...), nil
}

func (s *TokenStore) open(key string, version uint64, b []byte) (*ghl.Token, error) {
	aead, _ := s.cipher()
	ns := aead.NonceSize()
	if len(b) < ns+aead.Overhead() {
		return nil, fmt.Errorf("redisstore: the token under %q is not one this store wrote", key)
	}
	plain, err := aead.Open(nil, b[:ns], b[ns:], s.aad(key, version))
	if err != nil {
		return nil, fmt.Errorf("redisstore: the token under %q does not decrypt with this key (a wrong key, or a record moved from another key or version)", key)
	}
	var t ghl.Token
	if err := t.UnmarshalBinary(plain); err != nil {
		return nil, fmt.Errorf("redisstore: the token under %q is unreadable", key)
	}
	return &t, nil
}

// seen records version as read or written for key, and refuses a version
// below the highest one this store has seen: an older record written back.
func (s *TokenStore) seen(key string, version uint64) error {
	for {
		cur, loaded := s.versions.LoadOrStore(key, version)
		if !loaded {
			return nil
		}
		old := cur.(uint64)
		switch {
		case version < old:
			return fmt.Errorf("redisstore: the token under %q is version %d, older than version %d read before: an older record was written back", key, version, old)
		case version == old:
			return nil
		}
		if s.versions.CompareAndSwap(key, old, version) {
			return nil
		}
	}
}

// Load returns the pair under key, or an error wrapping ghl.ErrNoToken.
func (s *TokenStore) Load(ctx context.Context, key string) (*ghl.Token, error) {
	vals, err := s.rdb.HMGet(ctx, s.tokenKey(key), "v", "ver").Result()
	if err != nil {
		return nil, fmt.Errorf("redisstore: load %q: %w", key, err)
	}
	v, ok := vals[0].(string)
	if !ok {
		return nil, fmt.Errorf("%w under %q", ghl.ErrNoToken, key)
	}
	var version uint64
	if vs, ok := vals[1].(string); ok {
		if version, err = strconv.ParseUint(vs, 10, 64); err != nil {
			return nil, fmt.Errorf("redisstore: the token under %q has an unreadable version", key)
		}
	}
	t, err := s.open(key, version, []byte(v))
	if err != nil {
		return nil, err
	}
	if err := s.seen(key, version); err != nil {
		return nil, err
	}
	return t, nil
}

// saveScript writes a record: ARGV[4] is the version it was sealed for,
// which must follow the stored one (another save in between makes the
// caller seal again); with a lock token (ARGV[5]) the lock must be that
// holder's; with compare set (ARGV[6] = '1') the stored refresh-token MAC
// must be ARGV[1] or the legacy hash ARGV[2] (” for nothing stored).
// Returns 1 saved, 0 the record moved (compare failed), -1 the version
// moved, -2 the lock is another holder's.
// KEYS: the record, the lock. ARGV: old MAC, old legacy hash, sealed value,
// new version, lock token, compare, new MAC.
var saveScript = redis.NewScript(`
if ARGV[5] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[5] then return -2 end
local cur = redis.call('HMGET', KEYS[1], 'rt', 'ver')
local ver = tonumber(cur[2]) or 0
if tonumber(ARGV[4]) ~= ver + 1 then return -1 end
if ARGV[6] == '1' then
  local rt = cur[1]
  if rt == false then
    if ARGV[1] ~= '' then return 0 end
  elseif rt ~= ARGV[1] and rt ~= ARGV[2] then
    return 0
  end
end
redis.call('HSET', KEYS[1], 'v', ARGV[3], 'rt', ARGV[7], 'ver', ARGV[4])
return 1`)

// write seals t for the next version and saves it, sealing again if
// another save took that version first.
func (s *TokenStore) write(ctx context.Context, key string, old, t *ghl.Token, compare bool) (bool, error) {
	if err := ghlKey(key); err != nil {
		return false, err
	}
	if t == nil || t.AccessToken.IsZero() {
		return false, &ghl.InputError{Field: "token", Reason: "has no access token"}
	}
	lockToken := ""
	if tok, ok := s.held.Load(key); ok {
		lockToken = tok.(string)
	}
	cmp := "0"
	if compare {
		cmp = "1"
	}
	for range 10 {
		vs, err := s.rdb.HGet(ctx, s.tokenKey(key), "ver").Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return false, fmt.Errorf("redisstore: save %q: %w", key, err)
		}
		var version uint64
		if vs != "" {
			if version, err = strconv.ParseUint(vs, 10, 64); err != nil {
				return false, fmt.Errorf("redisstore: the token under %q has an unreadable version", key)
			}
		}
		version++
		b, err := s.seal(key, version, t)
		if err != nil {
			return false, err
		}
		n, err := saveScript.Run(ctx, s.rdb, []string{s.tokenKey(key), s.lockKey(key)},
			s.rtMAC(key, old), legacyRT(old), b, version, lockToken, cmp, s.rtMAC(key, t)).Int()
		if err != nil {
			return false, fmt.Errorf("redisstore: save %q: %w", key, err)
		}
		switch n {
		case 1:
			_ = s.seen(key, version)
			return true, nil
		case 0:
			return false, nil
		case -2:
			return false, fmt.Errorf("redisstore: save %q: %w", key, ghl.ErrLockLost)
		}
		// -1: another save took the version; seal again.
	}
	return false, fmt.Errorf("redisstore: save %q: the record kept changing", key)
}

func ghlKey(key string) error {
	if key == "" {
		return &ghl.InputError{Field: "token store key", Reason: "must not be empty"}
	}
	return nil
}

// Save replaces the pair under key. Under this store's lock for key it is
// fenced: it fails with ghl.ErrLockLost if the lock was lost.
func (s *TokenStore) Save(ctx context.Context, key string, t *ghl.Token) error {
	_, err := s.write(ctx, key, nil, t, false)
	return err
}

// CompareAndSave replaces the pair under key with t only while the store
// still holds old (nil: nothing), in one atomic step; see
// ghl.CompareAndSaver. Under this store's lock for key it is fenced like
// Save.
func (s *TokenStore) CompareAndSave(ctx context.Context, key string, old, t *ghl.Token) (bool, error) {
	return s.write(ctx, key, old, t, true)
}

// unlockScript deletes the lock only for its holder.
var unlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// renewScript extends the lock's lease only for its holder.
var renewScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`)

// Lock takes key's refresh lock, waiting until ctx ends. While it is held
// its lease is renewed every third of the lock TTL; if the holder dies the
// lock expires after the TTL. The returned func stops the renewal and
// releases the lock, only while it is still this holder's. Call it.
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
			s.held.Store(key, tok)
			stop := s.renew(key, tok)
			var once sync.Once
			return func() {
				once.Do(func() {
					stop()
					s.held.CompareAndDelete(key, tok)
					// A fresh context: the caller's may have ended, and the
					// lock must not be left for its TTL.
					ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
					defer cancel()
					_ = unlockScript.Run(ctx, s.rdb, []string{s.lockKey(key)}, tok).Err()
				})
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

// renew extends the lock's lease every third of the TTL until stop is
// called or the lock is found to be another holder's.
func (s *TokenStore) renew(key, tok string) (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(s.lockTTL / 3)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), s.lockTTL/3)
			n, err := renewScript.Run(ctx, s.rdb, []string{s.lockKey(key)}, tok, s.lockTTL.Milliseconds()).Int()
			cancel()
			if err == nil && n == 0 {
				return // lost: a save under it is refused (fenced)
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}
