// Package boltstate keeps a sync's state (ghlsync.EngineState: links,
// bases, checkpoints, the engine's outbox and history) in one file, on
// bbolt, an embedded B+tree database: every change is a transaction,
// written and synced to disk before it returns, and costs the same whether
// the file holds a thousand records or a million. A process killed at any
// point leaves the last committed state; nothing acknowledged is lost and
// no record is half-written.
//
//	st, err := boltstate.Open("ghl-sync.db")
//	...
//	engine, err := ghlsync.NewEngine(client, app, ghlsync.EngineOptions{State: st})
//
// One process opens a file at a time (a second Open waits up to
// Options.Timeout, then fails with ErrInUse); for several replicas, keep
// the state in Postgres. It is a module of its own so that a program
// importing only ghl does not download a database.
package boltstate

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/ghlkit/ghl/ghlsync"
)

// Buckets.
var (
	bCheckpoints = []byte("checkpoints")
	bBases       = []byte("bases")    // kind \0 remote ID → Record (JSON)
	bLinks       = []byte("links")    // kind \0 local ID → remote ID
	bReverse     = []byte("reverse")  // kind \0 remote ID → local ID
	bOutbox      = []byte("outbox")   // person ID → OutboxEntry (JSON)
	bHistory     = []byte("history")  // sequence (8 bytes) → HistoryEntry (JSON)
	bByPerson    = []byte("byPerson") // person \0 sequence → nothing
	bMeta        = []byte("meta")
	kOutboxSeq   = []byte("outboxSeq")
	kVersion     = []byte("version")
	allBuckets   = [][]byte{bCheckpoints, bBases, bLinks, bReverse, bOutbox, bHistory, bByPerson, bMeta}
)

// schemaVersion is the layout this package writes; Open refuses a file of
// a later one.
const schemaVersion = 1

// ErrInUse is returned by Open when another process holds the file.
var ErrInUse = errors.New("boltstate: the state file is in use by another process")

// Options configures Open.
type Options struct {
	// Timeout is how long Open waits for another process to release the
	// file (default 1 s).
	Timeout time.Duration
	// NoSync skips the disk sync of each commit: a killed process still
	// loses nothing (the operating system keeps what was written), a power
	// failure may lose the last commits. Faster on slow disks.
	NoSync bool
}

// State is a ghlsync.EngineState in a bbolt file. It is safe for
// concurrent use.
type State struct {
	db   *bolt.DB
	path string
}

var (
	_ ghlsync.EngineState = (*State)(nil)
	_ ghlsync.Batcher     = (*State)(nil)
)

// Open opens (or creates) the state file at path.
func Open(path string, opts ...Options) (*State, error) {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Second
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: o.Timeout, NoSync: o.NoSync,
		NoFreelistSync: true, FreelistType: bolt.FreelistMapType}) // the freelist is rebuilt on open: less to write per commit
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s", ErrInUse, path)
	}
	if err != nil {
		return nil, fmt.Errorf("boltstate: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bMeta)
		if v := meta.Get(kVersion); v != nil {
			if got := binary.BigEndian.Uint64(v); got > schemaVersion {
				return fmt.Errorf("boltstate: %s was written by a later version (schema %d; this one reads %d)", path, got, schemaVersion)
			}
		}
		return meta.Put(kVersion, u64(schemaVersion))
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &State{db: db, path: path}, nil
}

// Close closes the file. The State must not be used after.
func (s *State) Close() error { return s.db.Close() }

// Path returns the file's path.
func (s *State) Path() string { return s.path }

func key(kind ghlsync.Kind, id string) []byte { return []byte(string(kind) + "\x00" + id) }

func u64(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

// batchKey carries a Batch's transaction in its context.
type batchKey struct{ s *State }

// Batch runs fn with a context in which every call to the state joins one
// transaction, committed when fn returns nil and discarded, changing
// nothing, when it returns an error: an import commits its records in
// groups, the engine a person's bookkeeping at once. Calls inside see the
// batch's own writes. fn must use the state only with the context it is
// given, from its own goroutine.
func (s *State) Batch(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(batchKey{s}).(*bolt.Tx); ok {
		return fn(ctx) // already in one
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error { return fn(context.WithValue(ctx, batchKey{s}, tx)) })
}

func (s *State) view(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if tx, ok := ctx.Value(batchKey{s}).(*bolt.Tx); ok {
		return fn(tx)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(fn)
}

func (s *State) update(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if tx, ok := ctx.Value(batchKey{s}).(*bolt.Tx); ok {
		return fn(tx)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(fn)
}

// Checkpoint returns the checkpoint saved under name, or nil.
func (s *State) Checkpoint(ctx context.Context, name string) ([]byte, error) {
	var out []byte
	err := s.view(ctx, func(tx *bolt.Tx) error {
		if v := tx.Bucket(bCheckpoints).Get([]byte(name)); v != nil {
			out = bytes.Clone(v)
		}
		return nil
	})
	return out, err
}

// SaveCheckpoint replaces the checkpoint under name.
func (s *State) SaveCheckpoint(ctx context.Context, name string, cp []byte) error {
	return s.update(ctx, func(tx *bolt.Tx) error { return tx.Bucket(bCheckpoints).Put([]byte(name), bytes.Clone(cp)) })
}

// Base returns the base record of a HighLevel record.
func (s *State) Base(ctx context.Context, kind ghlsync.Kind, remoteID string) (ghlsync.Record, bool, error) {
	var r ghlsync.Record
	found := false
	err := s.view(ctx, func(tx *bolt.Tx) error {
		v := tx.Bucket(bBases).Get(key(kind, remoteID))
		if v == nil {
			return nil
		}
		found = true
		return json.Unmarshal(v, &r)
	})
	return r, found, err
}

// SaveBase replaces the base record of a HighLevel record.
func (s *State) SaveBase(ctx context.Context, kind ghlsync.Kind, remoteID string, r ghlsync.Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx) error { return tx.Bucket(bBases).Put(key(kind, remoteID), b) })
}

// RemoteID returns the HighLevel ID linked to an app ID.
func (s *State) RemoteID(ctx context.Context, kind ghlsync.Kind, localID string) (string, bool, error) {
	return s.get(ctx, bLinks, key(kind, localID))
}

// LocalID returns the app ID linked to a HighLevel ID.
func (s *State) LocalID(ctx context.Context, kind ghlsync.Kind, remoteID string) (string, bool, error) {
	return s.get(ctx, bReverse, key(kind, remoteID))
}

func (s *State) get(ctx context.Context, bucket, k []byte) (string, bool, error) {
	var out string
	found := false
	err := s.view(ctx, func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucket).Get(k); v != nil {
			out, found = string(v), true
		}
		return nil
	})
	return out, found, err
}

// Link records that localID and remoteID are the same record, replacing
// an earlier link of localID; a remoteID linked to another app ID is
// refused with a *ghlsync.LinkError, and nothing changes.
func (s *State) Link(ctx context.Context, kind ghlsync.Kind, localID, remoteID string) error {
	if localID == "" || remoteID == "" {
		return errors.New("boltstate: Link needs both IDs")
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		links, rev := tx.Bucket(bLinks), tx.Bucket(bReverse)
		if other := rev.Get(key(kind, remoteID)); other != nil && string(other) != localID {
			return &ghlsync.LinkError{Kind: kind, LocalID: localID, RemoteID: remoteID, LinkedTo: string(other)}
		}
		if old := links.Get(key(kind, localID)); old != nil {
			if err := rev.Delete(key(kind, string(old))); err != nil {
				return err
			}
		}
		if err := links.Put(key(kind, localID), []byte(remoteID)); err != nil {
			return err
		}
		return rev.Put(key(kind, remoteID), []byte(localID))
	})
}

// Unlink forgets localID's link.
func (s *State) Unlink(ctx context.Context, kind ghlsync.Kind, localID string) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		links := tx.Bucket(bLinks)
		old := links.Get(key(kind, localID))
		if old == nil {
			return nil
		}
		if err := tx.Bucket(bReverse).Delete(key(kind, string(old))); err != nil {
			return err
		}
		return links.Delete(key(kind, localID))
	})
}

// Linked returns up to limit app IDs linked to records of kind, in order,
// after the ID after.
func (s *State) Linked(ctx context.Context, kind ghlsync.Kind, after string, limit int) ([]string, error) {
	var out []string
	prefix := key(kind, "")
	err := s.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bLinks).Cursor()
		k, _ := c.Seek(key(kind, after))
		if k != nil && string(k) == string(key(kind, after)) {
			k, _ = c.Next()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			if limit > 0 && len(out) == limit {
				break
			}
			out = append(out, string(k[len(prefix):]))
		}
		return nil
	})
	return out, err
}

func getEntry(b *bolt.Bucket, id string) (ghlsync.OutboxEntry, bool, error) {
	var e ghlsync.OutboxEntry
	v := b.Get([]byte(id))
	if v == nil {
		return e, false, nil
	}
	return e, true, json.Unmarshal(v, &e)
}

func putEntry(b *bolt.Bucket, e ghlsync.OutboxEntry) error {
	v, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return b.Put([]byte(e.ID), v)
}

func nextSeq(tx *bolt.Tx) (int64, error) {
	meta := tx.Bucket(bMeta)
	var n uint64
	if v := meta.Get(kOutboxSeq); v != nil {
		n = binary.BigEndian.Uint64(v)
	}
	n++
	return int64(n), meta.Put(kOutboxSeq, u64(n))
}

// Enqueue records a change of id (see ghlsync.EngineState).
func (s *State) Enqueue(ctx context.Context, id string, at time.Time) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bOutbox)
		e, ok, err := getEntry(b, id)
		if err != nil {
			return err
		}
		if !ok {
			e = ghlsync.OutboxEntry{ID: id, Since: at, Next: at}
		}
		if e.Seq, err = nextSeq(tx); err != nil {
			return err
		}
		return putEntry(b, e)
	})
}

// Pending returns id's entry.
func (s *State) Pending(ctx context.Context, id string) (ghlsync.OutboxEntry, bool, error) {
	var e ghlsync.OutboxEntry
	var ok bool
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		e, ok, err = getEntry(tx.Bucket(bOutbox), id)
		return err
	})
	return e, ok, err
}

// Due returns up to limit entries due at now, oldest first.
func (s *State) Due(ctx context.Context, now time.Time, limit int) ([]ghlsync.OutboxEntry, error) {
	var out []ghlsync.OutboxEntry
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bOutbox).ForEach(func(_, v []byte) error {
			var e ghlsync.OutboxEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			if !e.Next.After(now) {
				out = append(out, e)
			}
			return nil
		})
	})
	sortEntries(out)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, err
}

func sortEntries(es []ghlsync.OutboxEntry) {
	slices.SortFunc(es, func(a, b ghlsync.OutboxEntry) int {
		if c := a.Since.Compare(b.Since); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// Dequeue removes id's entry if its Seq is seq.
func (s *State) Dequeue(ctx context.Context, id string, seq int64) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bOutbox)
		e, ok, err := getEntry(b, id)
		if err != nil || !ok || e.Seq != seq {
			return err
		}
		return b.Delete([]byte(id))
	})
}

// Retry puts id's entry off until next.
func (s *State) Retry(ctx context.Context, id string, next time.Time, lastErr string) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bOutbox)
		e, ok, err := getEntry(b, id)
		if err != nil {
			return err
		}
		if !ok {
			e = ghlsync.OutboxEntry{ID: id, Since: next}
			if e.Seq, err = nextSeq(tx); err != nil {
				return err
			}
		}
		e.Next, e.LastErr = next, lastErr
		e.Attempts++
		return putEntry(b, e)
	})
}

// Queued returns how many entries wait.
func (s *State) Queued(ctx context.Context) (int, error) {
	n := 0
	err := s.view(ctx, func(tx *bolt.Tx) error { n = tx.Bucket(bOutbox).Stats().KeyN; return nil })
	return n, err
}

// AppendHistory appends entries. The file keeps them all.
func (s *State) AppendHistory(ctx context.Context, entries ...ghlsync.HistoryEntry) error {
	if len(entries) == 0 {
		return nil
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		h, idx := tx.Bucket(bHistory), tx.Bucket(bByPerson)
		for _, e := range entries {
			n, err := h.NextSequence()
			if err != nil {
				return err
			}
			v, err := json.Marshal(e)
			if err != nil {
				return err
			}
			if err := h.Put(u64(n), v); err != nil {
				return err
			}
			if err := idx.Put(append([]byte(e.Person+"\x00"), u64(n)...), nil); err != nil {
				return err
			}
		}
		return nil
	})
}

// History calls fn for person's entries ("" for all), oldest first. It
// reads in one transaction: fn must not write to the state.
func (s *State) History(ctx context.Context, person string, fn func(ghlsync.HistoryEntry) bool) error {
	return s.view(ctx, func(tx *bolt.Tx) error {
		h := tx.Bucket(bHistory)
		emit := func(v []byte) (bool, error) {
			var e ghlsync.HistoryEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return false, err
			}
			return fn(e), nil
		}
		if person == "" {
			c := h.Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				if more, err := emit(v); err != nil || !more {
					return err
				}
			}
			return nil
		}
		prefix := []byte(person + "\x00")
		c := tx.Bucket(bByPerson).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			if more, err := emit(h.Get(k[len(prefix):])); err != nil || !more {
				return err
			}
		}
		return nil
	})
}
