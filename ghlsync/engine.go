package ghlsync

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/webhook"
)

// Person is the app's record of a person, as an Engine moves it: the
// contact's fields and tags (Record, with the app's own update time for
// last-write-wins), its tasks and notes.
type Person struct {
	ID     string // the app's ID
	Record Record
	Tasks  []Task
	Notes  []Note
	// Inactive says the person's contact was deleted in HighLevel (the
	// engine called MarkInactive): the engine leaves the person alone.
	Inactive bool
	// Version is the app's own version of the person (a counter, a
	// timestamp), handed back unchanged to SavePerson: an app that changed
	// the person since Person returned it refuses the save with an error,
	// and the engine syncs the person again later, nothing lost.
	Version string
}

// App is what an Engine needs of the app's own people.
type App interface {
	// Person returns the app's person with id; ok is false when the app has
	// none (it deleted it).
	Person(ctx context.Context, id string) (p Person, ok bool, err error)
	// SavePerson saves p, created or updated, with its tasks and notes. A
	// person the engine adopts from HighLevel comes with an ID the app has
	// not seen (EngineOptions.NewLocalID).
	SavePerson(ctx context.Context, p Person) error
	// MarkInactive records that the person's contact was deleted in
	// HighLevel; Person reports it Inactive from then on.
	MarkInactive(ctx context.Context, id string) error
	// Changed returns the IDs of the people the app changed since mark
	// ("" the first time) and the mark to pass next time. An app that
	// calls Engine.Changed for every change returns nil, mark.
	Changed(ctx context.Context, mark string) (ids []string, next string, err error)
}

// Actions in a HistoryEntry.
const (
	ActionCreated  = "created"  // a record or item made on Side
	ActionUpdated  = "updated"  // a field changed on Side
	ActionAdopted  = "adopted"  // a contact made in HighLevel, taken into the app
	ActionInactive = "inactive" // a contact deleted in HighLevel; the app's person marked inactive
	ActionDeleted  = "deleted"  // a record or item deleted on Side
	ActionConflict = "conflict" // both sides changed a field; Rule says who won (Side)
	ActionCleared  = "cleared"  // emptied in the app; HighLevel cannot empty it
	ActionFailed   = "failed"   // the sync of the person failed; it waits in the outbox
)

// HistoryEntry is one change the engine applied, as an operator reads it.
type HistoryEntry struct {
	At       time.Time `json:"at"`
	Run      int64     `json:"run"`    // the cycle (RunOnce) that applied it
	Person   string    `json:"person"` // the app's ID
	RemoteID string    `json:"remoteId,omitempty"`
	Kind     Kind      `json:"kind"`
	Item     string    `json:"item,omitempty"` // a task's or note's app ID
	Side     Side      `json:"side"`           // where it was applied: local (the app) or remote (HighLevel)
	Action   string    `json:"action"`         // one of the Action constants
	Field    string    `json:"field,omitempty"`
	Old      string    `json:"old,omitempty"`
	New      string    `json:"new,omitempty"`
	Rule     string    `json:"rule,omitempty"`    // for a conflict: the rule that decided it
	Request  string    `json:"request,omitempty"` // the HighLevel request that carried it
	Note     string    `json:"note,omitempty"`    // an error, or why
}

// String is the entry in one line.
func (h HistoryEntry) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s run %d %s: %s %s", h.At.UTC().Format(time.RFC3339), h.Run, h.Person, h.Kind, h.Action)
	if h.Item != "" {
		fmt.Fprintf(&b, " %s", h.Item)
	}
	fmt.Fprintf(&b, " on %s", h.Side)
	if h.Field != "" {
		fmt.Fprintf(&b, ": %s %q -> %q", h.Field, h.Old, h.New)
	} else if h.New != "" {
		fmt.Fprintf(&b, ": %q", h.New)
	}
	if h.Rule != "" {
		fmt.Fprintf(&b, " (%s)", h.Rule)
	}
	if h.Request != "" {
		fmt.Fprintf(&b, " [%s]", h.Request)
	}
	if h.Note != "" {
		fmt.Fprintf(&b, " — %s", h.Note)
	}
	return b.String()
}

// RunSummary is what one cycle did.
type RunSummary struct {
	Run       int64
	Created   int   // contacts created in HighLevel (or found by their key and linked)
	Adopted   int   // contacts made in HighLevel, taken into the app
	Pushed    int   // people whose contact was updated in HighLevel
	Pulled    int   // people updated in the app from HighLevel
	Items     int   // tasks and notes created or updated, on either side
	Conflicts int   // fields both sides changed, decided by the merge policy
	Inactive  int   // people marked inactive (their contact deleted in HighLevel)
	Deleted   int   // contacts deleted in HighLevel (the app deleted the person)
	Failed    int   // people whose sync failed this cycle (they wait in the outbox)
	Queued    int   // people waiting in the outbox after the cycle
	Requests  int64 // HighLevel requests the cycle sent (retries included)
	Errors    []error
}

// LogValue is the summary as one structured log line.
func (s RunSummary) LogValue() slog.Value {
	return slog.GroupValue(slog.Int64("run", s.Run), slog.Int("created", s.Created), slog.Int("adopted", s.Adopted),
		slog.Int("pushed", s.Pushed), slog.Int("pulled", s.Pulled), slog.Int("items", s.Items),
		slog.Int("conflicts", s.Conflicts), slog.Int("inactive", s.Inactive), slog.Int("deleted", s.Deleted),
		slog.Int("failed", s.Failed), slog.Int("queued", s.Queued), slog.Int64("requests", s.Requests))
}

// OnAppDelete says what the engine does when the app no longer has a person
// it synced.
type OnAppDelete int

const (
	// LeaveInHighLevel keeps the contact; the engine stops syncing it and
	// never takes it back into the app.
	LeaveInHighLevel OnAppDelete = iota
	// DeleteInHighLevel deletes the contact too.
	DeleteInHighLevel
)

// EngineOptions configures an Engine. Zero values are the defaults.
type EngineOptions struct {
	// State keeps links, bases, checkpoints, the outbox and the history.
	// Default: in memory, lost on restart; give a durable one
	// (OpenFileState, or a database) in production.
	State EngineState
	// Fields limits the sync to these contact fields ("tags" included when
	// listed); nil syncs every field the app's records hold.
	Fields []string
	// Merge decides conflicts, for contacts, tasks and notes: a policy
	// (LastWriteWins, LocalWins, RemoteWins) and a Resolver per field.
	Merge MergeOptions
	// Key matches a new app person with an existing contact (default: by
	// email).
	Key EnsureOptions
	// Quiet is how long without a webhook before the engine polls the
	// change feed (default 1 minute).
	Quiet time.Duration
	// PollEvery is how often the engine polls the change feed even while
	// webhooks flow, for a delivery HighLevel lost (default 15 minutes).
	PollEvery time.Duration
	// NewLocalID names a contact made in HighLevel for the app (default
	// "ghl-" and its ID). It must depend on the contact alone, so a person
	// adopted twice (a crash between the app's save and the engine's
	// bookkeeping) is saved under one ID.
	NewLocalID func(ghl.Contact) string
	// NewItemID names a task or note made in HighLevel (default "ghl-"
	// and its ID); the same rule holds.
	NewItemID func(kind Kind, remoteID string) string
	// OnAppDelete is what to do when the app no longer has a person.
	OnAppDelete OnAppDelete
	// TaskGroup is how many people's tasks a cycle reads in one task
	// search, in rotation, to see tasks edited in HighLevel (which fires no
	// webhook) and task webhooks that were lost (default 20).
	TaskGroup int
	// NoteBatch is how many people's notes a cycle re-reads, one request
	// each, in rotation, on every other cycle while webhooks are quiet
	// (default 1): notes have no location-wide search.
	NoteBatch int
	// SweepEvery is how often the engine reads the whole location to find
	// contacts deleted while no webhook said so (default 24 hours; at 500
	// contacts a request; negative: never).
	SweepEvery time.Duration
	// MinBackoff and MaxBackoff bound the wait before a failed person is
	// tried again (defaults 5 s and 10 minutes), doubling per attempt.
	MinBackoff, MaxBackoff time.Duration
	// Replica names this process among the replicas that share a
	// Replicated state (default: the host name and process ID).
	Replica string
	// LeaseTTL is how long the pull lease lasts unless renewed (each
	// cycle renews it, and a long cycle every third of it, between
	// people): when its holder dies, another replica pulls after at most
	// this long (default 30 s).
	LeaseTTL time.Duration
	// ClaimTTL is how long a replica's claim on a person lasts if it dies
	// while syncing them (default 2 minutes; keep it above the longest one
	// person's sync may take, rate limit waits included).
	ClaimTTL time.Duration
	// Now is the engine's clock (default time.Now); tests pass a settable
	// one (ghltest.Clock).
	Now func() time.Time
	// Logger gets one line per cycle (its RunSummary) and one per failure
	// (default: none).
	Logger *slog.Logger
}

// Engine keeps an app's people, with their tasks, notes, tags and custom
// fields, the same as a HighLevel location's contacts, by itself:
//
//   - the app says what changed (Engine.Changed, or App.Changed) and the
//     engine pushes it through a durable outbox: a failed push survives a
//     restart and is tried again with backoff;
//   - it pulls from webhooks (Handle, for webhook.NewHandler) and, while
//     they are quiet, by polling the change feed; contacts made in
//     HighLevel are adopted into the app, never the engine's own pushes;
//   - a contact deleted in HighLevel (a webhook, a 404 when read, or the
//     daily sweep) marks the app's person inactive, and it is never
//     brought back; a person the app deleted is left or deleted in
//     HighLevel (OnAppDelete);
//   - tasks and notes follow their contact; tags merge as sets, custom
//     fields by key, conflicts by the merge policy;
//   - every change lands in the history (History, ExportHistory), every
//     cycle in a RunSummary.
//
// The app's save always comes before the engine's own bookkeeping, so a
// crash anywhere loses nothing: the next cycle sees the same differences.
// A cycle with nothing to do costs at most two requests whatever the
// number of people: the change feed (while webhooks are quiet, and every
// PollEvery), and one background read in rotation (one task search over
// TaskGroup people, or, every other quiet cycle, NoteBatch people's
// notes). A change costs a read and a write; the webhook a write of the
// engine's own causes is recognised and not read again.
//
// RunOnce runs one cycle; Run runs them on a schedule. An Engine is safe
// for concurrent use; run one per location and State.
type Engine struct {
	client *ghl.Client
	app    App
	opts   EngineOptions
	state  EngineState
	rep    Replicated // the state, when replicas share it
	syncer *Syncer
	stream *Stream

	mu  gosync.Mutex // one cycle at a time
	run int64
}

// Checkpoint names an Engine keeps in its State.
const (
	cpFeed     = "engine:feed"
	cpAppMark  = "engine:app"
	cpRun      = "engine:run"
	cpTaskNext = "engine:tasks"
	cpNoteNext = "engine:notes"
	cpSweep    = "engine:sweep"
)

// NewEngine returns an engine that syncs app with client's location,
// resuming from the state's checkpoints.
func NewEngine(client *ghl.Client, app App, opts EngineOptions) (*Engine, error) {
	switch {
	case client == nil:
		return nil, &ghl.InputError{Field: "client", Reason: "must not be nil"}
	case app == nil:
		return nil, &ghl.InputError{Field: "app", Reason: "must not be nil"}
	case opts.TaskGroup < 0 || opts.TaskGroup > 500:
		return nil, &ghl.InputError{Field: "TaskGroup", Reason: "must be between 0 (the default) and 500"}
	case opts.NoteBatch < 0:
		return nil, &ghl.InputError{Field: "NoteBatch", Reason: "must not be negative"}
	case opts.MinBackoff < 0 || opts.MaxBackoff < 0:
		return nil, &ghl.InputError{Field: "MinBackoff", Reason: "backoffs must not be negative"}
	}
	if opts.State == nil {
		opts.State = NewMemoryState()
	}
	if opts.Quiet <= 0 {
		opts.Quiet = time.Minute
	}
	if opts.NewLocalID == nil {
		opts.NewLocalID = func(c ghl.Contact) string { return "ghl-" + c.ID }
	}
	opts.TaskGroup = cmp.Or(opts.TaskGroup, 20)
	opts.NoteBatch = cmp.Or(opts.NoteBatch, 1)
	if opts.SweepEvery == 0 {
		opts.SweepEvery = 24 * time.Hour
	}
	opts.MinBackoff = cmp.Or(opts.MinBackoff, 5*time.Second)
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = max(10*time.Minute, opts.MinBackoff)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Replica == "" {
		host, _ := os.Hostname()
		opts.Replica = fmt.Sprintf("%s-%d-%d", host, os.Getpid(), rand.Int64N(1<<31))
	}
	opts.LeaseTTL = cmp.Or(opts.LeaseTTL, 30*time.Second)
	opts.ClaimTTL = cmp.Or(opts.ClaimTTL, 2*time.Minute)
	e := &Engine{client: client, app: app, opts: opts, state: opts.State,
		syncer: &Syncer{Client: client, State: opts.State, Merge: opts.Merge, Key: opts.Key, Fields: opts.Fields, NewItemID: opts.NewItemID}}
	ctx := context.Background()
	cp, err := opts.State.Checkpoint(ctx, cpFeed)
	if err != nil {
		return nil, err
	}
	e.stream = &Stream{Feed: &Feed{Client: client}, Quiet: opts.Quiet, PollEvery: opts.PollEvery, Now: opts.Now, Checkpoint: cp,
		Echo: e.echo}
	e.rep, _ = opts.State.(Replicated)
	b, err := opts.State.Checkpoint(ctx, cpRun)
	if err != nil {
		return nil, err
	}
	if len(b) > 0 {
		e.run, _ = strconv.ParseInt(string(b), 10, 64)
	}
	return e, nil
}

// echo says a contact webhook's payload holds what the engine last synced
// (its own write coming back): the contact need not be read.
func (e *Engine) echo(payload ghl.Contact) bool {
	ctx := context.Background()
	if _, linked, err := e.state.LocalID(ctx, KindContact, payload.ID); err != nil || !linked {
		return false
	}
	base, ok, err := e.state.Base(ctx, KindContact, payload.ID)
	return err == nil && ok && e.syncer.only(FromContact(payload)).Equal(base)
}

// Syncer returns the Syncer the engine works with (the same client, state
// and policy), for a one-off sync of a person outside the cycle.
func (e *Engine) Syncer() *Syncer { return e.syncer }

// Handle takes a verified webhook delivery; plug it into
// webhook.NewHandler. It only records a hint for the next cycle, so it
// answers at once; with a Replicated state, the hint goes to the state for
// whichever replica pulls (an error then makes the handler answer 500, and
// HighLevel delivers again).
func (e *Engine) Handle(ctx context.Context, ev webhook.Event) error {
	if e.rep == nil {
		return e.stream.Handle(ctx, ev)
	}
	h, ok := HintOf(ev)
	if !ok {
		return nil
	}
	return e.rep.AddHint(ctx, h)
}

// Changed tells the engine the app changed (or created) the person with id.
// The person is queued, durably, for the next cycle.
func (e *Engine) Changed(ctx context.Context, id string) error {
	if id == "" {
		return &ghl.InputError{Field: "id", Reason: "must not be empty"}
	}
	return e.state.Enqueue(ctx, id, e.opts.Now())
}

// Run runs a cycle, then one every interval (default 10 s), until ctx ends;
// it returns ctx's error. Each cycle's summary goes to the Logger. Once ctx
// has ended, a RunOnce call returns when the cycle in progress has
// finished, and no other starts: the state can be closed.
func (e *Engine) Run(ctx context.Context, every time.Duration) error {
	if every <= 0 {
		every = 10 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		_, _ = e.RunOnce(ctx)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// RunOnce runs one cycle: the webhooks' hints and, while they are quiet,
// the feed; the app's changes and the outbox; the tasks of the next
// TaskGroup people or, on every other quiet cycle, the notes of the next
// NoteBatch people; the sweep when it is due. A failure of one person is in the summary, and the
// person waits in the outbox; the error returned is the cycle's own (the
// state could not be read or written), with the summary so far.
func (e *Engine) RunOnce(ctx context.Context) (*RunSummary, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return &RunSummary{Run: e.run}, err // ended: no cycle, nothing written
	}
	e.run++
	var counter ghl.RequestCounter
	ctx = ghl.ContextWithRequestCounter(ctx, &counter)
	c := &cycle{e: e, ctx: ctx, sum: &RunSummary{Run: e.run}, done: map[string]bool{}}
	err := c.run()
	if errors.Is(err, errLeaseLost) {
		err = nil
	}
	if ferr := c.flush(); err == nil {
		err = ferr
	}
	if serr := e.state.SaveCheckpoint(ctx, cpRun, []byte(strconv.FormatInt(e.run, 10))); err == nil {
		err = serr
	}
	c.sum.Requests = counter.Count()
	c.sum.Queued, _ = e.state.Queued(ctx)
	if l := e.opts.Logger; l != nil {
		l.LogAttrs(ctx, slog.LevelInfo, "ghlsync: cycle", slog.Any("summary", *c.sum))
		if err != nil {
			l.LogAttrs(ctx, slog.LevelError, "ghlsync: cycle stopped", slog.Int64("run", e.run), slog.String("error", err.Error()))
		}
	}
	return c.sum, err
}

// History returns the history of the app's person id ("" for everyone),
// oldest first.
func (e *Engine) History(ctx context.Context, id string) ([]HistoryEntry, error) {
	var out []HistoryEntry
	err := e.state.History(ctx, id, func(h HistoryEntry) bool { out = append(out, h); return true })
	return out, err
}

// ExportHistory writes the whole history as JSON lines, oldest first.
func (e *Engine) ExportHistory(ctx context.Context, w io.Writer) error {
	enc := json.NewEncoder(w)
	var werr error
	err := e.state.History(ctx, "", func(h HistoryEntry) bool {
		werr = enc.Encode(h)
		return werr == nil
	})
	return cmp.Or(werr, err)
}

// cycle is one RunOnce's working set.
type cycle struct {
	e       *Engine
	ctx     context.Context
	sum     *RunSummary
	done    map[string]bool // people synced this cycle
	history []HistoryEntry
	puller  bool // this replica holds the pull lease (always, alone)
	leased  time.Time
}

// errLeaseLost ends a cycle whose replica lost the pull lease mid-cycle
// (it ran past LeaseTTL without renewing, and another replica took it):
// what it had not finished is the new holder's.
var errLeaseLost = errors.New("ghlsync: the pull lease passed to another replica")

// keepLease renews the pull lease during a long cycle, a third of
// LeaseTTL after it was last taken, so that it does not lapse under a live
// holder.
func (c *cycle) keepLease() error {
	e := c.e
	if e.rep == nil || !c.puller || e.opts.Now().Sub(c.leased) < e.opts.LeaseTTL/3 {
		return nil
	}
	ok, err := e.rep.Lease(c.ctx, "pull", e.opts.Replica, e.opts.LeaseTTL)
	if err != nil {
		return err
	}
	if !ok {
		c.puller = false
		return errLeaseLost
	}
	c.leased = e.opts.Now()
	return nil
}

// want says which of HighLevel's sides of a person must be read.
type want struct{ contact, tasks, notes bool }

var wantAll = want{true, true, true}

func (c *cycle) run() error {
	e, ctx := c.e, c.ctx
	// One replica pulls: the lease holder.
	puller, hintIDs := true, []int64(nil)
	if e.rep != nil {
		var err error
		if puller, err = e.rep.Lease(ctx, "pull", e.opts.Replica, e.opts.LeaseTTL); err != nil {
			return err
		}
		if puller {
			hints, err := e.rep.Hints(ctx, 10000)
			if err != nil {
				return err
			}
			for _, h := range hints {
				e.stream.addHint(h, true)
				hintIDs = append(hintIDs, h.ID)
			}
		}
	}
	c.puller, c.leased = puller, e.opts.Now()
	if !puller {
		return c.push()
	}
	// What HighLevel says changed (webhook hints; the feed while quiet).
	events, err := e.stream.Next(ctx)
	if err != nil {
		c.fail("", fmt.Errorf("ghlsync: changes from HighLevel: %w", err))
		hintIDs = nil // kept in the state, for the next cycle
	}
	// What the app says changed, into the outbox first.
	mark, err := e.state.Checkpoint(ctx, cpAppMark)
	if err != nil {
		return err
	}
	ids, next, err := e.app.Changed(ctx, string(mark))
	if err != nil {
		c.fail("", fmt.Errorf("ghlsync: the app's changes: %w", err))
	} else if err := c.batch(func(ctx context.Context) error {
		for _, id := range ids {
			if err := e.state.Enqueue(ctx, id, e.opts.Now()); err != nil {
				return err
			}
		}
		if next != string(mark) {
			return e.state.SaveCheckpoint(ctx, cpAppMark, []byte(next))
		}
		return nil
	}); err != nil {
		return err
	}
	for _, ev := range events {
		if err := c.event(ev); err != nil {
			return err
		}
		if err := c.flush(); err != nil {
			return err
		}
	}
	if err := c.push(); err != nil {
		return err
	}
	// One background read: tasks edited in HighLevel fire no webhook, and
	// notes have no search.
	if e.stream.quiet() && e.run%2 == 0 {
		err = c.noteRound()
	} else {
		err = c.taskRound()
	}
	if err != nil {
		return err
	}
	if err := c.sweep(); err != nil {
		return err
	}
	// The feed's position last: what it delivered was applied or queued.
	if err := e.state.SaveCheckpoint(ctx, cpFeed, e.stream.Checkpoint); err != nil {
		return err
	}
	if len(hintIDs) > 0 {
		return e.rep.DoneHints(ctx, hintIDs)
	}
	return nil
}

// push syncs the people due in the outbox.
func (c *cycle) push() error {
	due, err := c.e.state.Due(c.ctx, c.e.opts.Now(), 0)
	if err != nil {
		return err
	}
	for _, entry := range due {
		if c.done[entry.ID] {
			continue
		}
		w := want{}
		if entry.Attempts > 0 {
			w = wantAll // a retry: whatever failed, read it all again
		}
		if err := c.person(entry.ID, nil, w); err != nil {
			return err
		}
		if err := c.flush(); err != nil {
			return err
		}
	}
	return nil
}

// claim takes the person for this replica where replicas share the state;
// ok false: another replica is syncing them. Call release after.
func (c *cycle) claim(lid string) (ok bool, release func(), err error) {
	rep := c.e.rep
	if rep == nil {
		return true, func() {}, nil
	}
	if err := c.keepLease(); err != nil {
		return false, nil, err
	}
	if ok, err = rep.Claim(c.ctx, lid, c.e.opts.Replica, c.e.opts.ClaimTTL); err != nil || !ok {
		return false, nil, err
	}
	return true, func() { _ = rep.Release(context.WithoutCancel(c.ctx), lid, c.e.opts.Replica) }, nil
}

// event applies one change from HighLevel.
func (c *cycle) event(ev Event) error {
	e, ctx := c.e, c.ctx
	lid, linked, err := e.state.LocalID(ctx, KindContact, ev.ContactID)
	if err != nil {
		return err
	}
	switch {
	case ev.Deleted:
		if linked {
			return c.inactive(lid, ev.ContactID, "deleted in HighLevel (webhook)")
		}
		return nil
	case linked:
		if c.done[lid] {
			return nil
		}
		return c.person(lid, ev.Contact, want{contact: ev.Contact != nil, tasks: ev.TasksChanged, notes: ev.NotesChanged})
	}
	ct := ev.Contact
	if ct == nil { // a task or note of a contact not seen yet
		got, err := e.client.Contacts.Get(ctx, ev.ContactID)
		if errors.Is(err, ghl.ErrNotFound) {
			return nil
		} else if err != nil {
			c.fail("", fmt.Errorf("ghlsync: read contact %s: %w", ev.ContactID, err))
			return nil
		}
		ct = got
	}
	return c.adopt(*ct)
}

// adopt takes a contact made in HighLevel into the app: never one the app
// is itself pushing (a create whose answer was lost, found again by its
// key), which is left to that push to link.
func (c *cycle) adopt(ct ghl.Contact) error {
	e, ctx := c.e, c.ctx
	owner, err := c.pendingOwner(ct)
	if err != nil {
		return err
	}
	if owner != "" {
		if c.done[owner] {
			return nil
		}
		return c.person(owner, nil, wantAll)
	}
	id := e.opts.NewLocalID(ct)
	if id == "" {
		c.fail("", fmt.Errorf("ghlsync: NewLocalID gave contact %s no ID", ct.ID))
		return nil
	}
	pulled, err := e.syncer.PullNew(ctx, id, ct)
	if errors.Is(err, ErrAlreadyLinked) {
		return nil // linked meanwhile (the engine's own push)
	} else if err != nil {
		c.fail(id, err)
		return nil
	}
	if err := e.app.SavePerson(ctx, Person{ID: id, Record: pulled.Local}); err != nil {
		c.fail(id, fmt.Errorf("ghlsync: save adopted person %s: %w", id, err))
		return nil
	}
	if err := pulled.Commit(ctx); err != nil {
		return err
	}
	c.sum.Adopted++
	c.note(HistoryEntry{Person: id, RemoteID: ct.ID, Kind: KindContact, Side: Local, Action: ActionAdopted,
		New: label(pulled.Local), Note: "made in HighLevel"})
	return c.person(id, &ct, want{tasks: true, notes: true})
}

// pendingOwner returns the app person waiting in the outbox, not yet
// linked, whose key the contact holds: the contact is that person's own
// create (its answer lost, or the link not yet recorded), not a new one.
func (c *cycle) pendingOwner(ct ghl.Contact) (string, error) {
	e, ctx := c.e, c.ctx
	queued, err := e.state.Due(ctx, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), 0)
	if err != nil {
		return "", err
	}
	theirs, err := keyOf(createRequest(FromContact(ct)), e.opts.Key)
	if err != nil {
		return "", nil // the contact has no key: no push of the app's can be it
	}
	for _, q := range queued {
		if _, linked, err := e.state.RemoteID(ctx, KindContact, q.ID); err != nil {
			return "", err
		} else if linked {
			continue
		}
		p, ok, err := e.app.Person(ctx, q.ID)
		if err != nil || !ok {
			continue
		}
		if k, err := keyOf(createRequest(p.Record), e.opts.Key); err == nil && k == theirs {
			return q.ID, nil
		}
	}
	return "", nil
}

// inactive marks a person whose contact was deleted in HighLevel.
func (c *cycle) inactive(lid, rid, why string) error {
	e, ctx := c.e, c.ctx
	c.done[lid] = true
	ok, release, err := c.claim(lid)
	if err != nil || !ok {
		return err
	}
	defer release()
	p, ok, err := e.app.Person(ctx, lid)
	if err == nil && (!ok || p.Inactive) {
		return c.dequeue(lid) // deleted in the app too, or marked already
	}
	if err := e.app.MarkInactive(ctx, lid); err != nil {
		c.fail(lid, fmt.Errorf("ghlsync: mark %s inactive: %w", lid, err))
		return nil
	}
	c.sum.Inactive++
	c.note(HistoryEntry{Person: lid, RemoteID: rid, Kind: KindContact, Side: Local, Action: ActionInactive, Note: why})
	return c.dequeue(lid)
}

// dequeue removes a person's outbox entry, whatever its Seq: for a person
// whose syncing ended (deleted on one side).
func (c *cycle) dequeue(lid string) error {
	entry, ok, err := c.e.state.Pending(c.ctx, lid)
	if err != nil || !ok {
		return err
	}
	return c.e.state.Dequeue(c.ctx, lid, entry.Seq)
}

// person syncs one person. w says which of HighLevel's sides to read
// whatever the app holds; the app's own changes since the last sync
// (against the bases) add theirs. A failure keeps the person in the
// outbox, with backoff; only a failure of the state is returned.
func (c *cycle) person(lid string, remote *ghl.Contact, w want) error {
	e, ctx := c.e, c.ctx
	c.done[lid] = true
	ok, release, err := c.claim(lid)
	if err != nil || !ok {
		return err // another replica is syncing them: it stays queued
	}
	defer release()
	mark := len(c.history)
	entry, queued, err := e.state.Pending(ctx, lid)
	if err != nil {
		return err
	}
	p, ok, err := e.app.Person(ctx, lid)
	switch {
	case err != nil:
		return c.retry(lid, fmt.Errorf("ghlsync: read app person %s: %w", lid, err))
	case !ok:
		return c.appDeleted(lid)
	case p.Inactive:
		return c.dequeue(lid)
	}
	if p.ID == "" {
		p.ID = lid
	}
	rid, linked, err := e.state.RemoteID(ctx, KindContact, lid)
	if err != nil {
		return err
	}
	// The contact: read it when HighLevel's side is wanted, or the app's
	// side moved from the base (or it is not linked yet).
	var res *ContactResult
	if !linked || remote != nil || w.contact {
		res, err = e.syncer.SyncContact(ctx, lid, p.Record, remote)
	} else if moved, merr := c.contactMoved(rid, p.Record); merr != nil {
		return merr
	} else if moved {
		res, err = e.syncer.SyncContact(ctx, lid, p.Record, nil)
	}
	var le *LinkError
	switch {
	case errors.Is(err, ErrRemoteDeleted):
		return c.inactive(lid, rid, "deleted in HighLevel (not found when read)")
	case errors.As(err, &le):
		if !c.repeated(lid, err) {
			c.note(HistoryEntry{Person: lid, RemoteID: le.RemoteID, Kind: KindContact, Side: Remote, Action: ActionConflict,
				Rule: "one contact per key", Note: le.Error()})
		}
		return c.retry(lid, err)
	case err != nil:
		return c.retry(lid, err)
	}
	changed := false
	if res != nil {
		rid = res.RemoteID
		c.contactHistory(lid, p, res)
		changed = res.LocalChanged
		p.Record = res.Local
	}
	// Tasks and notes: when HighLevel's are wanted, or the app's moved.
	var tr *AssocResult[Task]
	var nr *AssocResult[Note]
	var itemErr error
	syncTasks := w.tasks
	if !syncTasks {
		if syncTasks, err = itemsMoved(c, KindTask, p.Tasks, func(t Task) (string, Record) { return t.RemoteID, taskRecord(&t) }); err != nil {
			return err
		}
	}
	if syncTasks {
		tr, itemErr = e.syncer.SyncTasks(ctx, rid, p.Tasks)
		p.Tasks = dropGone(tr.Items, tr.RemoteDeleted, func(t Task) string { return t.LocalID })
		changed = changed || tr.Pulled > 0 || len(tr.RemoteDeleted) > 0 || tr.Created > 0
		c.itemHistory(lid, rid, KindTask, tr.Changes, tr.RemoteDeleted, tr.Conflicts)
	}
	syncNotes := w.notes
	if !syncNotes && itemErr == nil {
		if syncNotes, err = itemsMoved(c, KindNote, p.Notes, func(n Note) (string, Record) { return n.RemoteID, noteRecord(&n) }); err != nil {
			return err
		}
	}
	if syncNotes && itemErr == nil {
		nr, itemErr = e.syncer.SyncNotes(ctx, rid, p.Notes)
		p.Notes = dropGone(nr.Items, nr.RemoteDeleted, func(n Note) string { return n.LocalID })
		changed = changed || nr.Pulled > 0 || len(nr.RemoteDeleted) > 0 || nr.Created > 0
		c.itemHistory(lid, rid, KindNote, nr.Changes, nr.RemoteDeleted, nr.Conflicts)
	}
	if changed {
		// The app's save first; the engine's bookkeeping after.
		if err := e.app.SavePerson(ctx, p); err != nil {
			// What would have reached the app did not; what reached
			// HighLevel did.
			c.history = append(c.history[:mark], slices.DeleteFunc(slices.Clone(c.history[mark:]), func(h HistoryEntry) bool { return h.Side == Local })...)
			return c.retry(lid, fmt.Errorf("ghlsync: save app person %s: %w", lid, err))
		}
	}
	// The engine's bookkeeping, with the history of what it recorded, at
	// once where the state has batches (one transaction, one file write).
	err = c.batch(func(ctx context.Context) error {
		for _, cm := range []interface{ Commit(context.Context) error }{res, tr, nr} {
			if err := cm.Commit(ctx); err != nil {
				return err
			}
		}
		if itemErr == nil && queued {
			// Only the entry this sync read the person for: a change the
			// app made meanwhile keeps the person queued.
			if err := e.state.Dequeue(ctx, lid, entry.Seq); err != nil {
				return err
			}
		}
		return c.flushTo(ctx)
	})
	if err != nil {
		return err
	}
	if res != nil {
		c.sum.Created += b2i(res.Created)
		c.sum.Pushed += b2i(res.Pushed && !res.Created)
		c.sum.Pulled += b2i(res.LocalChanged)
		c.sum.Conflicts += len(res.Conflicts)
	}
	if tr != nil {
		c.sum.Items += tr.Created + tr.Pushed + tr.Pulled
		c.sum.Conflicts += len(tr.Conflicts)
	}
	if nr != nil {
		c.sum.Items += nr.Created + nr.Pushed + nr.Pulled
		c.sum.Conflicts += len(nr.Conflicts)
	}
	if itemErr != nil {
		return c.retry(lid, itemErr)
	}
	return nil
}

// batch runs fn in one batch of the state's, where it has them.
func (c *cycle) batch(fn func(ctx context.Context) error) error {
	if b, ok := c.e.state.(Batcher); ok {
		return b.Batch(c.ctx, fn)
	}
	return fn(c.ctx)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// contactMoved says the app's record differs from the base of its
// contact (what both sides held after the last sync).
func (c *cycle) contactMoved(rid string, local Record) (bool, error) {
	base, ok, err := c.e.state.Base(c.ctx, KindContact, rid)
	if err != nil || !ok {
		return true, err
	}
	return !c.e.syncer.only(local).Equal(base), nil
}

// itemsMoved says an app item is new or differs from its base.
func itemsMoved[T any](c *cycle, kind Kind, items []T, rec func(T) (string, Record)) (bool, error) {
	for _, it := range items {
		rid, r := rec(it)
		if rid == "" {
			return true, nil
		}
		base, ok, err := c.e.state.Base(c.ctx, kind, rid)
		if err != nil {
			return false, err
		}
		if !ok || !base.Equal(r) {
			return true, nil
		}
	}
	return false, nil
}

// dropGone removes the items deleted in HighLevel: the deletion holds.
func dropGone[T any](items []T, gone []string, local func(T) string) []T {
	if len(gone) == 0 {
		return items
	}
	return slices.DeleteFunc(slices.Clone(items), func(it T) bool { return slices.Contains(gone, local(it)) })
}

// appDeleted handles a person the app no longer has.
func (c *cycle) appDeleted(lid string) error {
	e, ctx := c.e, c.ctx
	rid, linked, err := e.state.RemoteID(ctx, KindContact, lid)
	if err != nil {
		return err
	}
	if linked && e.opts.OnAppDelete == DeleteInHighLevel {
		if err := e.client.Contacts.Delete(ctx, rid); err != nil && !errors.Is(err, ghl.ErrNotFound) {
			return c.retry(lid, err)
		}
		c.sum.Deleted++
		c.note(HistoryEntry{Person: lid, RemoteID: rid, Kind: KindContact, Side: Remote, Action: ActionDeleted,
			Request: "DELETE /contacts/" + rid, Note: "deleted in the app"})
	}
	return c.dequeue(lid)
}

// repeated says the person's last attempt failed the same way: the history
// has it already.
func (c *cycle) repeated(lid string, err error) bool {
	entry, ok, perr := c.e.state.Pending(c.ctx, lid)
	return perr == nil && ok && entry.Attempts > 0 && entry.LastErr == err.Error()
}

// retry keeps a failed person in the outbox, with backoff. A failure the
// same as the last one is counted, not written to the history again.
func (c *cycle) retry(lid string, err error) error {
	e, ctx := c.e, c.ctx
	if c.repeated(lid, err) {
		c.sum.Failed++
		c.sum.Errors = append(c.sum.Errors, err)
	} else {
		c.fail(lid, err)
	}
	entry, _, perr := e.state.Pending(ctx, lid)
	if perr != nil {
		return perr
	}
	wait := min(e.opts.MinBackoff<<min(entry.Attempts, 20), e.opts.MaxBackoff)
	return e.state.Retry(ctx, lid, e.opts.Now().Add(wait), err.Error())
}

func (c *cycle) fail(lid string, err error) {
	c.sum.Failed++
	c.sum.Errors = append(c.sum.Errors, err)
	c.note(HistoryEntry{Person: lid, Kind: KindContact, Side: Remote, Action: ActionFailed, Note: err.Error()})
	if l := c.e.opts.Logger; l != nil {
		l.LogAttrs(c.ctx, slog.LevelWarn, "ghlsync: sync failed", slog.String("person", lid), slog.String("error", err.Error()))
	}
}

func (c *cycle) note(h HistoryEntry) {
	h.At, h.Run = c.e.opts.Now(), c.e.run
	c.history = append(c.history, h)
}

// flush appends the cycle's history to the state.
func (c *cycle) flush() error { return c.flushTo(c.ctx) }

func (c *cycle) flushTo(ctx context.Context) error {
	if len(c.history) == 0 {
		return nil
	}
	if err := c.e.state.AppendHistory(ctx, c.history...); err != nil {
		return err
	}
	c.history = c.history[:0]
	return nil
}

// label names a contact in a history: its name, else its email or phone.
func label(r Record) string {
	if n := strings.TrimSpace(r.Get(FieldFirstName) + " " + r.Get(FieldLastName)); n != "" {
		return n
	}
	return cmp.Or(r.Get(FieldEmail), r.Get(FieldPhone))
}

// contactHistory records what SyncContact did.
func (c *cycle) contactHistory(lid string, before Person, res *ContactResult) {
	if res.Created {
		c.note(HistoryEntry{Person: lid, RemoteID: res.RemoteID, Kind: KindContact, Side: Remote, Action: ActionCreated,
			New: label(before.Record), Request: "POST /contacts/"})
	}
	rules := map[string]string{}
	for _, cf := range res.Conflicts {
		rules[cf.Field] = cf.Rule
		c.note(HistoryEntry{Person: lid, RemoteID: res.RemoteID, Kind: KindContact, Side: cf.Winner, Action: ActionConflict,
			Field: cf.Field, Old: cf.Base, New: cf.Value, Rule: cf.Rule,
			Note: fmt.Sprintf("the app had %q, HighLevel %q", cf.Local, cf.Remote)})
	}
	for _, ch := range res.Changes {
		h := HistoryEntry{Person: lid, RemoteID: res.RemoteID, Kind: KindContact, Side: ch.Side, Action: ActionUpdated,
			Field: ch.Field, Old: ch.Old, New: ch.New, Rule: rules[ch.Field]}
		if ch.Side == Remote && !res.Created {
			h.Request = "PUT /contacts/" + res.RemoteID
		}
		c.note(h)
	}
	for _, f := range res.Cleared {
		c.note(HistoryEntry{Person: lid, RemoteID: res.RemoteID, Kind: KindContact, Side: Remote, Action: ActionCleared, Field: f,
			Note: "emptied in the app; HighLevel's update cannot empty it, so it keeps its value there"})
	}
}

// itemHistory records what a task or note sync did.
func (c *cycle) itemHistory(lid, rid string, kind Kind, changes []FieldChange, gone []string, conflicts []Conflict) {
	path := "/contacts/" + rid + "/" + string(kind) + "s"
	for _, cf := range conflicts {
		c.note(HistoryEntry{Person: lid, RemoteID: rid, Kind: kind, Side: cf.Winner, Action: ActionConflict, Field: cf.Field,
			Old: cf.Base, New: cf.Value, Rule: cf.Rule, Note: fmt.Sprintf("the app had %q, HighLevel %q", cf.Local, cf.Remote)})
	}
	for _, ch := range changes {
		h := HistoryEntry{Person: lid, RemoteID: rid, Kind: kind, Item: ch.Item, Side: ch.Side, Action: ActionUpdated,
			Field: ch.Field, Old: ch.Old, New: ch.New}
		if ch.Field == "" {
			h.Action = ActionCreated
		}
		if ch.Side == Remote {
			h.Request = "PUT " + path + "/…"
			if h.Action == ActionCreated {
				h.Request = "POST " + path
			}
		}
		c.note(h)
	}
	for _, item := range gone {
		c.note(HistoryEntry{Person: lid, RemoteID: rid, Kind: kind, Item: item, Side: Local, Action: ActionDeleted, Note: "deleted in HighLevel"})
	}
}

// rotation returns the next n linked people after the checkpoint cp,
// wrapping around, and moves cp past them.
func (c *cycle) rotation(cp string, n int) ([]string, error) {
	e, ctx := c.e, c.ctx
	b, err := e.state.Checkpoint(ctx, cp)
	if err != nil {
		return nil, err
	}
	ids, err := e.state.Linked(ctx, KindContact, string(b), n)
	if err != nil {
		return nil, err
	}
	if len(ids) < n && len(b) > 0 { // wrap around
		more, err := e.state.Linked(ctx, KindContact, "", n-len(ids))
		if err != nil {
			return nil, err
		}
		for _, id := range more {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return ids, e.state.SaveCheckpoint(ctx, cp, []byte(ids[len(ids)-1]))
}

// taskSearchLimit is the page size of the engine's task searches.
const taskSearchLimit = 100

// taskRound reads the tasks of the next TaskGroup linked people in one
// search, in rotation, and syncs the tasks of those whose tasks moved in
// HighLevel: edited (they differ from their bases), new, or deleted. Task
// edits fire no webhook, and deliveries get lost: this is how the engine
// sees them, at one request a cycle whatever the population (more only
// when the group holds more than 100 tasks).
func (c *cycle) taskRound() error {
	e, ctx := c.e, c.ctx
	ids, err := c.rotation(cpTaskNext, e.opts.TaskGroup)
	if err != nil || len(ids) == 0 {
		return err
	}
	rids := make([]string, 0, len(ids))
	ridOf := map[string]string{}
	for _, lid := range ids {
		if c.done[lid] {
			continue
		}
		rid, ok, err := e.state.RemoteID(ctx, KindContact, lid)
		if err != nil {
			return err
		}
		if ok {
			rids = append(rids, rid)
			ridOf[lid] = rid
		}
	}
	if len(rids) == 0 {
		return nil
	}
	byContact := map[string][]ghl.Task{}
	for skip := 0; ; skip += taskSearchLimit {
		page, err := e.client.Tasks.Search(ctx, ghl.TaskSearchRequest{ContactIDs: rids, Limit: taskSearchLimit, Skip: skip})
		if err != nil {
			c.fail("", fmt.Errorf("ghlsync: task search: %w", err))
			return nil // the next round reads them
		}
		for _, t := range page {
			byContact[t.ContactID] = append(byContact[t.ContactID], t)
		}
		if len(page) < taskSearchLimit {
			break
		}
	}
	for _, lid := range ids {
		rid, ok := ridOf[lid]
		if !ok || c.done[lid] {
			continue
		}
		moved, err := c.tasksMoved(lid, byContact[rid])
		if err != nil {
			return err
		}
		if moved {
			if err := c.person(lid, nil, want{tasks: true}); err != nil {
				return err
			}
		}
	}
	return nil
}

// tasksMoved compares HighLevel's tasks of a person with the bases and the
// app's links: a task new, edited or gone in HighLevel.
func (c *cycle) tasksMoved(lid string, tasks []ghl.Task) (bool, error) {
	e, ctx := c.e, c.ctx
	seen := map[string]bool{}
	for _, t := range tasks {
		seen[t.ID] = true
		base, ok, err := e.state.Base(ctx, KindTask, t.ID)
		if err != nil {
			return false, err
		}
		if !ok || !taskRecord(&Task{Title: t.Title, Body: t.Body, DueDate: t.DueDate.Time, Completed: t.Completed}).Equal(base) {
			return true, nil
		}
	}
	p, ok, err := e.app.Person(ctx, lid)
	if err != nil || !ok || p.Inactive {
		return false, nil // the person's own sync deals with it
	}
	for _, t := range p.Tasks {
		if t.RemoteID != "" && !seen[t.RemoteID] {
			return true, nil
		}
	}
	return false, nil
}

// noteRound re-reads the notes of the next NoteBatch linked people, in
// rotation: notes have no location-wide search, and a note change moves
// neither the contact's dateUpdated nor the feed, so while webhooks are
// quiet this is how the engine sees them.
func (c *cycle) noteRound() error {
	ids, err := c.rotation(cpNoteNext, c.e.opts.NoteBatch)
	if err != nil {
		return err
	}
	for _, lid := range ids {
		if c.done[lid] {
			continue
		}
		if err := c.person(lid, nil, want{notes: true}); err != nil {
			return err
		}
	}
	return nil
}

// sweep reads the whole location every SweepEvery for contacts deleted
// with no webhook to say so, and marks their people inactive.
func (c *cycle) sweep() error {
	e, ctx := c.e, c.ctx
	if e.opts.SweepEvery < 0 {
		return nil
	}
	b, err := e.state.Checkpoint(ctx, cpSweep)
	if err != nil {
		return err
	}
	now := e.opts.Now()
	last, perr := time.Parse(time.RFC3339Nano, string(b))
	if perr != nil { // the first cycle: the clock starts now
		return e.state.SaveCheckpoint(ctx, cpSweep, []byte(now.Format(time.RFC3339Nano)))
	}
	if now.Sub(last) < e.opts.SweepEvery {
		return nil
	}
	known := map[string]string{} // remote → local
	after := ""
	for {
		ids, err := e.state.Linked(ctx, KindContact, after, 1000)
		if err != nil {
			return err
		}
		for _, lid := range ids {
			rid, ok, err := e.state.RemoteID(ctx, KindContact, lid)
			if err != nil {
				return err
			}
			if ok {
				known[rid] = lid
			}
		}
		if len(ids) < 1000 {
			break
		}
		after = ids[len(ids)-1]
	}
	rids := make([]string, 0, len(known))
	for rid := range known {
		rids = append(rids, rid)
	}
	slices.Sort(rids)
	// A small location may lose a few contacts at once; beyond 5% (or
	// three) Sweep suspects a wrong location and reports none.
	gone, err := Sweep(ctx, e.client, rids, SweepOptions{MaxMissing: max(0.05, 3/float64(max(len(rids), 1)))})
	if err != nil {
		c.fail("", err)
		return nil // tried again next cycle
	}
	for _, rid := range gone {
		if err := c.inactive(known[rid], rid, "deleted in HighLevel (sweep)"); err != nil {
			return err
		}
	}
	return e.state.SaveCheckpoint(ctx, cpSweep, []byte(now.Format(time.RFC3339Nano)))
}
