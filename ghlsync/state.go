package ghlsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	gosync "sync"
	"time"

	"github.com/ghlkit/ghl"
)

// Kind is a kind of synced record.
type Kind string

// The kinds of records a sync links and keeps bases of.
const (
	KindContact Kind = "contact"
	KindTask    Kind = "task"
	KindNote    Kind = "note"
)

// State is what a sync keeps between runs: the checkpoints of its change
// feeds, the base record of each synced record (what both sides held after
// the last sync, for Merge), and the maps between the app's IDs and
// HighLevel's, per Kind. An app's own database can implement it;
// MemoryState and FileState are provided.
//
// Implementations must be safe for concurrent use. A save that returns nil
// must survive a crash of the process (FileState writes atomically).
type State interface {
	// Checkpoint returns the checkpoint saved under name, or nil.
	Checkpoint(ctx context.Context, name string) ([]byte, error)
	// SaveCheckpoint replaces the checkpoint under name.
	SaveCheckpoint(ctx context.Context, name string, cp []byte) error
	// Base returns the base record of the HighLevel record of kind with
	// remoteID (ok false when none).
	Base(ctx context.Context, kind Kind, remoteID string) (r Record, ok bool, err error)
	// SaveBase replaces the base record of a HighLevel record.
	SaveBase(ctx context.Context, kind Kind, remoteID string, r Record) error
	// RemoteID returns the HighLevel ID linked to an app ID of a kind.
	RemoteID(ctx context.Context, kind Kind, localID string) (id string, ok bool, err error)
	// LocalID returns the app ID linked to a HighLevel ID of a kind.
	LocalID(ctx context.Context, kind Kind, remoteID string) (id string, ok bool, err error)
	// Link records that an app ID and a HighLevel ID are the same record,
	// replacing an earlier link of the app ID. A HighLevel ID linked to
	// another app ID is refused with a *LinkError (ErrAlreadyLinked): one
	// HighLevel record is never linked to two app records.
	Link(ctx context.Context, kind Kind, localID, remoteID string) error
	// Unlink forgets the link of an app ID (nothing when it has none).
	Unlink(ctx context.Context, kind Kind, localID string) error
}

// ErrAlreadyLinked matches a *LinkError.
var ErrAlreadyLinked = errors.New("ghlsync: the HighLevel record is linked to another app record")

// LinkError is a HighLevel record the sync was asked to tie to an app
// record while it is tied to another: two app records with one key (an
// email both hold), or a contact adopted while the app's own create of it
// was under way. Nothing was linked or written; the app decides (merge the
// two records, change one's key, or Unlink the other).
type LinkError struct {
	Kind     Kind
	LocalID  string // the app record the sync was working on
	RemoteID string // the HighLevel record
	LinkedTo string // the app record it is linked to
	Key      string // what matched, when a key did ("email a@b.co")
}

// Error names the records.
func (e *LinkError) Error() string {
	s := fmt.Sprintf("ghlsync: HighLevel %s %s is linked to app record %s, not %s", e.Kind, e.RemoteID, e.LinkedTo, e.LocalID)
	if e.Key != "" {
		s += " (both match " + e.Key + ")"
	}
	return s
}

// Is matches ErrAlreadyLinked.
func (e *LinkError) Is(target error) bool { return target == ErrAlreadyLinked }

// stateData is the whole state, as FileState stores it.
type stateData struct {
	Checkpoints map[string][]byte          `json:"checkpoints"`
	Bases       map[string]Record          `json:"bases"` // baseKey → record
	Links       map[Kind]map[string]string `json:"links"` // kind → local ID → remote ID
	Outbox      map[string]OutboxEntry     `json:"outbox,omitempty"`
	OutboxSeq   int64                      `json:"outboxSeq,omitempty"`
	History     []HistoryEntry             `json:"history,omitempty"`
	reverse     map[Kind]map[string]string // kind → remote ID → local ID
	undo        *[]func()                  // while changes may be undone
}

// baseKey is where a base is kept in a stateData (the form FileState has
// always written).
func baseKey(kind Kind, remoteID string) string { return string(kind) + ":" + remoteID }

func newStateData() *stateData {
	return &stateData{Checkpoints: map[string][]byte{}, Bases: map[string]Record{}, Links: map[Kind]map[string]string{},
		Outbox: map[string]OutboxEntry{}, reverse: map[Kind]map[string]string{}}
}

// index rebuilds the reverse links after loading.
func (d *stateData) index() {
	d.reverse = map[Kind]map[string]string{}
	for kind, m := range d.Links {
		rev := map[string]string{}
		for l, r := range m {
			rev[r] = l
		}
		d.reverse[kind] = rev
	}
}

func (d *stateData) link(kind Kind, localID, remoteID string) {
	if d.Links[kind] == nil {
		d.Links[kind], d.reverse[kind] = map[string]string{}, map[string]string{}
	}
	if old, ok := d.Links[kind][localID]; ok {
		deleteIn(d, d.reverse[kind], old)
	}
	setIn(d, d.Links[kind], localID, remoteID)
	setIn(d, d.reverse[kind], remoteID, localID)
}

func (d *stateData) unlink(kind Kind, localID string) {
	if old, ok := d.Links[kind][localID]; ok {
		deleteIn(d, d.reverse[kind], old)
		deleteIn(d, d.Links[kind], localID)
	}
}

// MemoryState keeps the state in memory: for tests, and for apps that keep
// it elsewhere between runs.
type MemoryState struct {
	mu  gosync.Mutex // guards d
	wmu gosync.Mutex // one writer (a change or a Batch) at a time
	d   *stateData
	// save, when set, is called with the state after every change, under
	// the lock (FileState's persistence).
	save func(*stateData) error
}

// memBatchKey carries a MemoryState batch's working copy in its context.
type memBatchKey struct{ m *MemoryState }

// Batcher is a State that can apply several writes at once: the calls fn
// makes with the context it is given are kept together, or, when fn
// returns an error, not at all. The engine keeps a person's bookkeeping
// in one batch; an app's import can commit its records in groups.
// MemoryState, FileState (one file write per batch) and boltstate (one
// transaction) implement it.
type Batcher interface {
	Batch(ctx context.Context, fn func(ctx context.Context) error) error
}

// Batch runs fn with a context in which the state's writes are kept
// together: all of them (and, for a FileState, written in one file write)
// when fn returns nil, none when it returns an error. Reads with that
// context see the batch's writes; other callers wait for the batch to end.
// fn must use the state with the context it is given only, from its own
// goroutine.
func (m *MemoryState) Batch(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(memBatchKey{m}).(*stateData); ok {
		return fn(ctx) // already in one
	}
	m.wmu.Lock()
	defer m.wmu.Unlock()
	defer m.lock()()
	var undo []func()
	m.d.undo = &undo
	err := fn(context.WithValue(ctx, memBatchKey{m}, m.d))
	m.d.undo = nil
	if err == nil && m.save != nil {
		err = m.save(m.d)
	}
	if err != nil {
		rollback(undo)
	}
	return err
}

// rollback undoes changes, the last first.
func rollback(undo []func()) {
	for i := len(undo) - 1; i >= 0; i-- {
		undo[i]()
	}
}

// view returns the data a read with ctx sees, and what to call after.
func (m *MemoryState) view(ctx context.Context) (*stateData, func()) {
	if d, ok := ctx.Value(memBatchKey{m}).(*stateData); ok {
		return d, func() {} // the batch holds the lock
	}
	unlock := m.lock()
	return m.d, unlock
}

// NewMemoryState returns an empty MemoryState.
func NewMemoryState() *MemoryState { return &MemoryState{d: newStateData()} }

func (m *MemoryState) lock() func() {
	m.mu.Lock()
	if m.d == nil {
		m.d = newStateData()
	}
	return m.mu.Unlock
}

// change applies f and persists the result; on a failed save the change is
// undone, so memory never runs ahead of what was saved.
func (m *MemoryState) change(ctx context.Context, f func(d *stateData)) error {
	return m.changeIf(ctx, func(d *stateData) error { f(d); return nil })
}

// changeIf is change for an f that may refuse (and then changes nothing:
// f checks before it writes). A change that cannot be saved is undone, so
// memory never runs ahead of what was saved.
func (m *MemoryState) changeIf(ctx context.Context, f func(d *stateData) error) error {
	if d, ok := ctx.Value(memBatchKey{m}).(*stateData); ok {
		return f(d)
	}
	m.wmu.Lock()
	defer m.wmu.Unlock()
	defer m.lock()()
	if m.save == nil {
		return f(m.d)
	}
	var undo []func()
	m.d.undo = &undo
	err := f(m.d)
	m.d.undo = nil
	if err == nil {
		err = m.save(m.d)
	}
	if err != nil {
		rollback(undo)
	}
	return err
}

// remember records how to undo a change about to be made, when changes
// may be undone (a batch, or a change not saved yet).
func (d *stateData) remember(f func()) {
	if d.undo != nil {
		*d.undo = append(*d.undo, f)
	}
}

// setIn sets m[k] = v, remembering the old entry.
func setIn[K comparable, V any](d *stateData, m map[K]V, k K, v V) {
	old, had := m[k]
	d.remember(func() {
		if had {
			m[k] = old
		} else {
			delete(m, k)
		}
	})
	m[k] = v
}

// deleteIn deletes m[k], remembering it.
func deleteIn[K comparable, V any](d *stateData, m map[K]V, k K) {
	if old, had := m[k]; had {
		d.remember(func() { m[k] = old })
		delete(m, k)
	}
}

// setSeq sets the outbox sequence, remembering the old one.
func (d *stateData) setSeq(n int64) {
	old := d.OutboxSeq
	d.remember(func() { d.OutboxSeq = old })
	d.OutboxSeq = n
}

// setHistory replaces the history, remembering the old one.
func (d *stateData) setHistory(h []HistoryEntry) {
	old := d.History
	d.remember(func() { d.History = old })
	d.History = h
}

// Checkpoint returns the checkpoint saved under name, or nil.
func (m *MemoryState) Checkpoint(ctx context.Context, name string) ([]byte, error) {
	d, done := m.view(ctx)
	defer done()
	return append([]byte(nil), d.Checkpoints[name]...), nil
}

// SaveCheckpoint replaces the checkpoint under name.
func (m *MemoryState) SaveCheckpoint(ctx context.Context, name string, cp []byte) error {
	cp = append([]byte(nil), cp...)
	return m.change(ctx, func(d *stateData) { setIn(d, d.Checkpoints, name, cp) })
}

// Base returns the base record of a HighLevel record.
func (m *MemoryState) Base(ctx context.Context, kind Kind, remoteID string) (Record, bool, error) {
	d, done := m.view(ctx)
	defer done()
	r, ok := d.Bases[baseKey(kind, remoteID)]
	r.Fields = maps.Clone(r.Fields)
	return r, ok, nil
}

// SaveBase replaces the base record of a HighLevel record.
func (m *MemoryState) SaveBase(ctx context.Context, kind Kind, remoteID string, r Record) error {
	r.Fields, r.Tags = maps.Clone(r.Fields), append([]string(nil), r.Tags...)
	return m.change(ctx, func(d *stateData) { setIn(d, d.Bases, baseKey(kind, remoteID), r) })
}

// RemoteID returns the HighLevel ID linked to localID.
func (m *MemoryState) RemoteID(ctx context.Context, kind Kind, localID string) (string, bool, error) {
	d, done := m.view(ctx)
	defer done()
	id, ok := d.Links[kind][localID]
	return id, ok, nil
}

// LocalID returns the app ID linked to remoteID.
func (m *MemoryState) LocalID(ctx context.Context, kind Kind, remoteID string) (string, bool, error) {
	d, done := m.view(ctx)
	defer done()
	id, ok := d.reverse[kind][remoteID]
	return id, ok, nil
}

// Link records that localID and remoteID are the same record, replacing an
// earlier link of localID; a remoteID linked to another app ID is refused
// (*LinkError).
func (m *MemoryState) Link(ctx context.Context, kind Kind, localID, remoteID string) error {
	if localID == "" || remoteID == "" {
		return errors.New("ghlsync: Link needs both IDs")
	}
	return m.changeIf(ctx, func(d *stateData) error {
		if other, linked := d.reverse[kind][remoteID]; linked && other != localID {
			return &LinkError{Kind: kind, LocalID: localID, RemoteID: remoteID, LinkedTo: other}
		}
		d.link(kind, localID, remoteID)
		return nil
	})
}

// Linked returns up to limit app IDs linked to records of kind, in order,
// after the ID after ("" from the start).
func (m *MemoryState) Linked(ctx context.Context, kind Kind, after string, limit int) ([]string, error) {
	d, done := m.view(ctx)
	defer done()
	var out []string
	for id := range d.Links[kind] {
		if id > after {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	if limit > 0 && len(out) > limit {
		out = out[:limit:limit]
	}
	return out, nil
}

// Unlink forgets localID's link.
func (m *MemoryState) Unlink(ctx context.Context, kind Kind, localID string) error {
	return m.change(ctx, func(d *stateData) { d.unlink(kind, localID) })
}

// FileState is a State kept in one JSON file, rewritten atomically (a
// temporary file, synced, renamed over the old one) on every change, so a
// crash leaves the previous state readable. It suits state of up to some
// tens of thousands of records; beyond that, implement State on a
// database.
//
// One process owns the file at a time: OpenFileState takes an exclusive
// lock (flock on path + ".lock", released by Close or when the process
// ends), and a second process gets an error instead of silently losing the
// first one's changes. The file must be the caller's own: a symbolic link,
// or a file or lock file owned by another user, is refused.
type FileState struct {
	MemoryState
	path   string
	unlock func()
}

// ErrStateInUse is returned by OpenFileState when another process (or
// another FileState of this process not yet closed) holds the file.
var ErrStateInUse = errors.New("ghlsync: the state file is in use by another process")

// OpenFileState opens (or creates) the state file at path. A file that
// exists but cannot be read as state is an error: it is never overwritten.
// Close it when done.
func OpenFileState(path string) (*FileState, error) {
	if err := ownFile(path); err != nil {
		return nil, err
	}
	unlock, err := lockExclusive(path + ".lock")
	if err != nil {
		return nil, err
	}
	f := &FileState{path: path, unlock: unlock}
	f.d = newStateData()
	b, err := readOwnFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		unlock()
		return nil, fmt.Errorf("ghlsync: state file: %w", err)
	default:
		d := newStateData()
		if err := json.Unmarshal(b, d); err != nil {
			unlock()
			return nil, fmt.Errorf("ghlsync: state file %s is not sync state: %w", path, err)
		}
		for _, m := range []any{&d.Checkpoints, &d.Bases, &d.Links} {
			switch m := m.(type) {
			case *map[string][]byte:
				if *m == nil {
					*m = map[string][]byte{}
				}
			case *map[string]Record:
				if *m == nil {
					*m = map[string]Record{}
				}
			case *map[Kind]map[string]string:
				if *m == nil {
					*m = map[Kind]map[string]string{}
				}
			}
		}
		if d.Outbox == nil {
			d.Outbox = map[string]OutboxEntry{}
		}
		d.index()
		f.d = d
	}
	f.save = f.write
	return f, nil
}

// Path returns the file the state is kept in.
func (f *FileState) Path() string { return f.path }

// Close releases the file for another process. The FileState must not be
// used after.
func (f *FileState) Close() error {
	if f.unlock != nil {
		f.unlock()
		f.unlock = nil
	}
	return nil
}

// ownFile refuses a path that is a symbolic link, or not a regular file,
// or owned by another user (a file planted in a shared directory).
func ownFile(path string) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("ghlsync: state file: %w", err)
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("ghlsync: state file %s is a symbolic link; give the file itself", path)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("ghlsync: state file %s is not a regular file", path)
	}
	return checkOwner(path, fi)
}

// readOwnFile reads path without following a symbolic link planted after
// the check.
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
	if err := checkOwner(path, fi); err != nil {
		return nil, err
	}
	return io.ReadAll(f)
}

// write replaces the file with d, atomically.
func (f *FileState) write(d *stateData) error {
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	dir := filepath.Dir(f.path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(f.path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("ghlsync: state file: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("ghlsync: state file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("ghlsync: state file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("ghlsync: state file: %w", err)
	}
	if err := os.Rename(tmp.Name(), f.path); err != nil {
		return fmt.Errorf("ghlsync: state file: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// EngineState is the State an Engine keeps: with the outbox of people
// whose changes must reach HighLevel (durable, so a failed push survives a
// restart) and the history of every change the engine applied. MemoryState
// and FileState implement it.
type EngineState interface {
	State
	// Enqueue records that the app's person id changed at at and must be
	// synced. An entry already queued keeps its place and attempts and
	// takes a new Seq, so that a sync that read the person before this
	// change does not dequeue it.
	Enqueue(ctx context.Context, id string, at time.Time) error
	// Pending returns the entry of id, if one is queued.
	Pending(ctx context.Context, id string) (e OutboxEntry, ok bool, err error)
	// Due returns up to limit (0: all) entries whose Next has come, oldest
	// Since first.
	Due(ctx context.Context, now time.Time, limit int) ([]OutboxEntry, error)
	// Dequeue removes the entry of id if its Seq is still seq (nothing
	// otherwise, or when none).
	Dequeue(ctx context.Context, id string, seq int64) error
	// Retry puts the entry of id (made when none is queued) off until next,
	// counting the attempt and keeping the error.
	Retry(ctx context.Context, id string, next time.Time, lastErr string) error
	// Queued returns how many entries wait.
	Queued(ctx context.Context) (int, error)
	// Linked returns up to limit app IDs linked to records of kind, in
	// ascending order, after the ID after ("" from the start): the engine
	// walks the linked people in rotation with it.
	Linked(ctx context.Context, kind Kind, after string, limit int) ([]string, error)
	// AppendHistory appends entries to the history.
	AppendHistory(ctx context.Context, entries ...HistoryEntry) error
	// History calls fn for each entry, oldest first, of the app's person
	// ("" for all), until fn returns false.
	History(ctx context.Context, person string, fn func(HistoryEntry) bool) error
}

// Replicated is an EngineState several processes share (pgstate's): an
// engine on each replica takes the pull lease before it pulls (the feed,
// webhook hints, the background reads, the sweep), so one replica pulls at
// a time and another takes over when its lease lapses; hands the webhooks
// it receives to the state for the lease holder; and claims each person
// before it syncs them, so no two replicas push one person at once. Any
// replica pushes from the shared outbox.
type Replicated interface {
	EngineState
	// Lease takes, or renews, the lease name for holder until ttl from
	// now, unless another holder's is current; ok says holder has it.
	Lease(ctx context.Context, name, holder string, ttl time.Duration) (ok bool, err error)
	// Claim takes person for holder until ttl from now, unless another
	// holder's claim is current; ok says holder has it.
	Claim(ctx context.Context, person, holder string, ttl time.Duration) (ok bool, err error)
	// Release drops holder's claim on person.
	Release(ctx context.Context, person, holder string) error
	// AddHint keeps a webhook's hint for the lease holder.
	AddHint(ctx context.Context, h Hint) error
	// Hints returns up to limit hints, oldest first.
	Hints(ctx context.Context, limit int) ([]Hint, error)
	// DoneHints removes the hints of the given IDs (those Hints
	// returned: one saved meanwhile, under a lower ID by a transaction
	// that committed late, stays).
	DoneHints(ctx context.Context, ids []int64) error
}

// Hint is a webhook delivery as a Replicated state keeps it.
type Hint struct {
	ID        int64        // set by the state
	Kind      string       // "contact", "delete", "task" or "note"
	ContactID string       // "" for a task delivery without one
	TaskID    string       // a task delivery's task, to find its contact
	TaskTitle string       // and its title
	Payload   *ghl.Contact `json:",omitempty"` // a contact delivery's contact
}

// OutboxEntry is a person waiting in the outbox.
type OutboxEntry struct {
	ID       string    `json:"id"`       // the app's person
	Since    time.Time `json:"since"`    // when it was first queued
	Next     time.Time `json:"next"`     // not tried before
	Seq      int64     `json:"seq"`      // changes with every Enqueue
	Attempts int       `json:"attempts"` // failed so far
	LastErr  string    `json:"lastErr,omitempty"`
}

// Enqueue records a change of id.
func (m *MemoryState) Enqueue(ctx context.Context, id string, at time.Time) error {
	return m.change(ctx, func(d *stateData) {
		d.setSeq(d.OutboxSeq + 1)
		e, ok := d.Outbox[id]
		if !ok {
			e = OutboxEntry{ID: id, Since: at, Next: at}
		}
		e.Seq = d.OutboxSeq
		setIn(d, d.Outbox, id, e)
	})
}

// Pending returns id's entry.
func (m *MemoryState) Pending(ctx context.Context, id string) (OutboxEntry, bool, error) {
	d, done := m.view(ctx)
	defer done()
	e, ok := d.Outbox[id]
	return e, ok, nil
}

// Due returns the entries due at now, oldest first.
func (m *MemoryState) Due(ctx context.Context, now time.Time, limit int) ([]OutboxEntry, error) {
	d, done := m.view(ctx)
	defer done()
	var out []OutboxEntry
	for _, e := range d.Outbox {
		if !e.Next.After(now) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b OutboxEntry) int {
		if c := a.Since.Compare(b.Since); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Dequeue removes id's entry if its Seq is seq.
func (m *MemoryState) Dequeue(ctx context.Context, id string, seq int64) error {
	d, done := m.view(ctx)
	e, ok := d.Outbox[id]
	done()
	if !ok || e.Seq != seq {
		return nil
	}
	return m.change(ctx, func(d *stateData) {
		if e, ok := d.Outbox[id]; ok && e.Seq == seq {
			deleteIn(d, d.Outbox, id)
		}
	})
}

// Retry puts id's entry off until next.
func (m *MemoryState) Retry(ctx context.Context, id string, next time.Time, lastErr string) error {
	return m.change(ctx, func(d *stateData) {
		e, ok := d.Outbox[id]
		if !ok {
			d.setSeq(d.OutboxSeq + 1)
			e = OutboxEntry{ID: id, Since: next, Seq: d.OutboxSeq}
		}
		e.Next, e.LastErr = next, lastErr
		e.Attempts++
		setIn(d, d.Outbox, id, e)
	})
}

// Queued returns how many entries wait.
func (m *MemoryState) Queued(ctx context.Context) (int, error) {
	d, done := m.view(ctx)
	defer done()
	return len(d.Outbox), nil
}

// MaxHistory is how many history entries a MemoryState (and so a
// FileState) keeps at least: beyond a quarter more, the oldest go. Export
// them regularly, or keep the state in a database (boltstate), to keep
// them all.
const MaxHistory = 20000

// AppendHistory appends entries, dropping the oldest beyond MaxHistory.
func (m *MemoryState) AppendHistory(ctx context.Context, entries ...HistoryEntry) error {
	if len(entries) == 0 {
		return nil
	}
	return m.change(ctx, func(d *stateData) {
		h := append(d.History, entries...)
		if len(h) > MaxHistory+MaxHistory/4 { // trimmed a quarter at a time
			h = slices.Clone(h[len(h)-MaxHistory:])
		}
		d.setHistory(h)
	})
}

// History calls fn for person's entries ("" for all), oldest first.
func (m *MemoryState) History(ctx context.Context, person string, fn func(HistoryEntry) bool) error {
	d, done := m.view(ctx)
	h := d.History[:len(d.History):len(d.History)] // appends never touch it
	done()
	for _, e := range h {
		if person != "" && e.Person != person {
			continue
		}
		if !fn(e) {
			return nil
		}
	}
	return nil
}
