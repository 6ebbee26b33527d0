package ghl

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
)

// ErrNoToken is returned by TokenStore.Load when nothing is stored under the key.
var ErrNoToken = errors.New("ghl: no token stored")

// ErrLockLost is what a store's save returns (wrapped) when the caller no
// longer holds the key's lock (its lease ran out while a refresh was in
// flight, and another process took it): the save was refused, so that it
// cannot race what the new holder writes. A RefreshingSource then takes the
// lock again and saves its pair only if the store still holds the one it
// replaced.
var ErrLockLost = errors.New("ghl: the token store's lock was lost before the save")

// TokenStore persists token pairs, keyed by location (or company) ID.
//
// HighLevel refresh tokens are single-use, so a store also serializes
// refreshes: a RefreshingSource holds Lock while it reloads, refreshes and
// saves, and so two processes sharing a store never spend one refresh token
// twice. A record must live as long as its refresh token (a year), never only
// as long as its access token. Run TestTokenStoreContract-style checks on
// your own implementation: see ghltest's StoreContract.
type TokenStore interface {
	// Load returns the token under key, or an error wrapping ErrNoToken.
	Load(ctx context.Context, key string) (*Token, error)
	// Save replaces the token under key. A failed Save must leave the
	// previous token readable.
	Save(ctx context.Context, key string, t *Token) error
	// Lock takes the key's refresh lock, waiting until ctx ends; the
	// returned func releases it.
	Lock(ctx context.Context, key string) (unlock func(), err error)
}

// CompareAndSaver is a TokenStore that can replace a pair only while it
// still holds the one the caller read (matched on the refresh token, or on
// nothing stored when old is nil). A RefreshingSource uses it when the store
// has it, so that a refresh whose lock expired mid-way (a stalled process)
// can never overwrite a newer pair; ok is false when the store held
// something else, and nothing was written.
type CompareAndSaver interface {
	CompareAndSave(ctx context.Context, key string, old, new *Token) (ok bool, err error)
}

// keyLocks is an in-process lock per key that waits with a context.
type keyLocks struct {
	mu    sync.Mutex
	locks map[string]chan struct{}
}

func (k *keyLocks) lock(ctx context.Context, key string) (func(), error) {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]chan struct{}{}
	}
	ch := k.locks[key]
	if ch == nil {
		ch = make(chan struct{}, 1)
		k.locks[key] = ch
	}
	k.mu.Unlock()
	select {
	case ch <- struct{}{}:
		var once sync.Once
		return func() { once.Do(func() { <-ch }) }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func cloneToken(t *Token) *Token {
	c := *t
	c.ApprovedLocations = slices.Clone(t.ApprovedLocations)
	return &c
}

func checkStoreKey(key string) error { return checkID("token store key", key) }

// MemoryStore keeps tokens in memory: for tests, and for single-process
// programs that persist tokens some other way.
//
// Printing a MemoryStore (any fmt verb, slog) shows how many keys it holds,
// never the tokens.
type MemoryStore struct {
	st *memoryState
}

// memoryState sits behind a pointer, so a MemoryStore copied by value (to be
// printed) copies no lock.
type memoryState struct {
	locks  keyLocks
	mu     sync.Mutex
	tokens map[string]*Token
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{st: &memoryState{tokens: map[string]*Token{}}}
}

// state returns the store's state, creating it for a zero MemoryStore.
func (m *MemoryStore) state() *memoryState {
	if m.st == nil {
		m.st = &memoryState{tokens: map[string]*Token{}}
	}
	return m.st
}

// String describes the store without its tokens.
func (m MemoryStore) String() string {
	n := 0
	if m.st != nil {
		m.st.mu.Lock()
		n = len(m.st.tokens)
		m.st.mu.Unlock()
	}
	return "ghl.MemoryStore{" + strconv.Itoa(n) + " keys}"
}

// Format prints String for every verb, so no verb reveals a token.
func (m MemoryStore) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, m.String()) }

// LogValue keeps the tokens out of slog output.
func (m MemoryStore) LogValue() slog.Value { return slog.StringValue(m.String()) }

// Load returns a copy of the token under key.
func (m *MemoryStore) Load(_ context.Context, key string) (*Token, error) {
	st := m.state()
	st.mu.Lock()
	defer st.mu.Unlock()
	t := st.tokens[key]
	if t == nil {
		return nil, fmt.Errorf("%w under %q", ErrNoToken, key)
	}
	return cloneToken(t), nil
}

// Save stores a copy of t under key.
func (m *MemoryStore) Save(_ context.Context, key string, t *Token) error {
	if err := checkStoreKey(key); err != nil {
		return err
	}
	if t == nil || t.AccessToken.IsZero() {
		return invalid("token", "has no access token")
	}
	st := m.state()
	st.mu.Lock()
	defer st.mu.Unlock()
	st.tokens[key] = cloneToken(t)
	return nil
}

// Lock serializes refreshes of key within this process.
func (m *MemoryStore) Lock(ctx context.Context, key string) (func(), error) {
	return m.state().locks.lock(ctx, key)
}

// FileStore keeps each key's token in its own file, encrypted with
// AES-256-GCM under a key you provide (a fresh nonce per write, the store key
// bound as additional data). Writes are atomic: a temporary file is written,
// synced and renamed over the old one, so a crash mid-write leaves the
// previous pair readable. Files are 0600 in a 0700 directory. Lock uses an
// flock(2) lock file, so processes on one machine sharing the directory
// never spend one refresh token twice.
//
// Printing a FileStore (any fmt verb, slog) shows its directory, never the
// encryption key.
type FileStore struct {
	dir string
	// cipher holds the AEAD in a closure: its key schedule starts with the
	// key, and no printer can look into a func value.
	cipher func() cipher.AEAD
	locks  *keyLocks
}

// fileMagic starts every token file: format version 1.
var fileMagic = []byte("GHLTOK1\n")

// beforeRename is a test hook: a crash between write and rename.
var beforeRename func(tmp string) error

// NewFileStore opens (creating if needed) a token directory. encKey must be
// 32 random bytes; keep it outside the directory, e.g. in a secret manager.
// The directory must be this user's own and not a symbolic link; one that
// other users may read is tightened to 0700, and refused when that fails.
// Token and lock files are never opened through a symbolic link, and one
// another user owns is refused.
func NewFileStore(dir string, encKey []byte) (*FileStore, error) {
	if len(encKey) != 32 {
		return nil, invalid("encryption key", "must be 32 bytes for AES-256, not %d", len(encKey))
	}
	if dir == "" {
		return nil, invalid("token directory", "must not be empty")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("ghl: token directory: %w", err)
	}
	if err := privateDir(dir); err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, fmt.Errorf("ghl: token encryption: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("ghl: token encryption: %w", err)
	}
	return &FileStore{dir: dir, cipher: func() cipher.AEAD { return aead }, locks: &keyLocks{}}, nil
}

// privateDir makes sure dir is this user's own directory (not a symbolic
// link, not another user's) that only its owner can list or enter: an
// existing directory that others may read is tightened to 0700, or refused
// when that is not allowed.
func privateDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("ghl: token directory: %w", err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return invalid("token directory", "%s is a symbolic link; give the directory itself", dir)
	}
	if !fi.IsDir() {
		return invalid("token directory", "%s is not a directory", dir)
	}
	if err := checkOwner("token directory", dir, fi); err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return invalid("token directory", "%s has mode %04o, open to other users, and cannot be made 0700: %v", dir, fi.Mode().Perm(), err)
	}
	return nil
}

// String describes the store without its key.
func (f FileStore) String() string { return "ghl.FileStore{" + f.dir + "}" }

// GoString is String, so %#v does not print the key either.
func (f FileStore) GoString() string { return f.String() }

// Format prints String for every verb, so no verb reveals the key.
func (f FileStore) Format(s fmt.State, _ rune) { _, _ = io.WriteString(s, f.String()) }

// LogValue keeps the key out of slog output.
func (f FileStore) LogValue() slog.Value { return slog.StringValue(f.String()) }

func (f *FileStore) path(key string) string { return filepath.Join(f.dir, key+".token") }

// readOwnFile reads path, never through a symbolic link, and only if this
// process's user owns it.
func readOwnFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|noFollow, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := checkOwner("token file", path, fi); err != nil {
		return nil, err
	}
	return io.ReadAll(f)
}

// Load decrypts the token under key.
func (f *FileStore) Load(_ context.Context, key string) (*Token, error) {
	if err := checkStoreKey(key); err != nil {
		return nil, err
	}
	b, err := readOwnFile(f.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w under %q", ErrNoToken, key)
	}
	if err != nil {
		return nil, fmt.Errorf("ghl: read token %q: %w", key, err)
	}
	aead := f.cipher()
	ns := aead.NonceSize()
	if len(b) < len(fileMagic)+ns+aead.Overhead() || string(b[:len(fileMagic)]) != string(fileMagic) {
		return nil, fmt.Errorf("ghl: token file for %q is truncated or not a token file", key)
	}
	b = b[len(fileMagic):]
	plain, err := aead.Open(nil, b[:ns], b[ns:], []byte(key))
	if err != nil {
		return nil, fmt.Errorf("ghl: token file for %q cannot be decrypted: wrong encryption key, or the file was changed", key)
	}
	var t Token
	if err := t.UnmarshalBinary(plain); err != nil || t.AccessToken.IsZero() {
		return nil, fmt.Errorf("ghl: token file for %q holds no token", key)
	}
	return &t, nil
}

// Save encrypts t and replaces the file under key atomically.
func (f *FileStore) Save(_ context.Context, key string, t *Token) (err error) {
	if err := checkStoreKey(key); err != nil {
		return err
	}
	if t == nil || t.AccessToken.IsZero() {
		return invalid("token", "has no access token")
	}
	plain, err := t.MarshalBinary()
	if err != nil {
		return fmt.Errorf("ghl: encode token: %w", err)
	}
	aead := f.cipher()
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return fmt.Errorf("ghl: token nonce: %w", err)
	}
	out := append(append(slices.Clone(fileMagic), nonce...), aead.Seal(nil, nonce, plain, []byte(key))...)

	tmp, err := os.CreateTemp(f.dir, "."+key+".tmp-*")
	if err != nil {
		return fmt.Errorf("ghl: save token %q: %w", key, err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(out); err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil && beforeRename != nil {
		err = beforeRename(tmp.Name())
	}
	if err == nil {
		err = os.Rename(tmp.Name(), f.path(key))
	}
	if err != nil {
		return fmt.Errorf("ghl: save token %q: %w", key, err)
	}
	if d, derr := os.Open(f.dir); derr == nil {
		_ = d.Sync() // make the rename itself durable
		_ = d.Close()
	}
	return nil
}

// Lock takes the key's lock in this process and its lock file across
// processes.
func (f *FileStore) Lock(ctx context.Context, key string) (func(), error) {
	if err := checkStoreKey(key); err != nil {
		return nil, err
	}
	unlock, err := f.locks.lock(ctx, key)
	if err != nil {
		return nil, err
	}
	release, err := lockFile(ctx, filepath.Join(f.dir, key+".lock"))
	if err != nil {
		unlock()
		return nil, fmt.Errorf("ghl: lock token %q: %w", key, err)
	}
	return func() { release(); unlock() }, nil
}
