package ghlsync_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghlsync"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/internal/testenv"
	"github.com/ghlkit/ghl/webhook"
)

// The simulation runs the sync parts wired as an app wires them (Stream,
// Syncer, SyncTasks, SyncNotes, saving its own records before each
// Commit) against ghltest on a settable clock, under a schedule generated
// from a seed: edits on both sides of fields, custom fields, DND, tags,
// tasks and notes; clears; email edits and collisions; creates and deletes
// in HighLevel; request faults (503, 500, 429, drops before and after
// processing, truncation); webhook drops, duplicates, reorders and stops;
// search-index lag; token expiry; restarts from the state; a crash between
// the sync's work and the app's save. After the schedule it lets things
// settle and checks the invariants (see check). A seed replays exactly:
//
//	GHL_SIM_SEED=42 go test ./ghlsync -run TestSimulation -v
//
// and a failing seed is shrunk to the fewest steps that still fail, printed
// with the command that replays just those (GHL_SIM_KEEP).

// simSteps is the length of a schedule.
const simSteps = 60

type opKind int

const (
	opCycle opKind = iota
	opAppEdit
	opAppTag
	opAppNewPerson
	opAppCollide
	opAppTask
	opAppNote
	opHumanEdit
	opHumanTag
	opHumanNewContact
	opHumanDelete
	opHumanTask
	opHumanNote
	opFault
	opHookFault
	opHookStop
	opHookResume
	opExpireTokens
	opRestart
	opCrash
	numOps
)

var opNames = [...]string{"cycle", "app edit", "app tag", "app new person", "app collide", "app task", "app note",
	"human edit", "human tag", "human new contact", "human delete", "human task", "human note", "fault", "webhook fault",
	"webhooks stop", "webhooks resume", "expire tokens", "restart", "crash"}

// opWeights: how often each kind appears in a schedule.
var opWeights = [numOps]int{opCycle: 10, opAppEdit: 8, opAppTag: 4, opAppNewPerson: 2, opAppCollide: 1, opAppTask: 4, opAppNote: 3,
	opHumanEdit: 8, opHumanTag: 4, opHumanNewContact: 2, opHumanDelete: 1, opHumanTask: 4, opHumanNote: 3, opFault: 5,
	opHookFault: 3, opHookStop: 2, opHookResume: 2, opExpireTokens: 1, opRestart: 3, opCrash: 3}

// simOp is one step of a schedule. Its parameters are drawn when the
// schedule is made, so a step means the same thing whichever others are
// removed (the shrinker relies on it).
type simOp struct {
	kind    opKind
	a, b, c int           // targets and choices, taken modulo what exists
	tick    time.Duration // the clock moves this much before the step
}

func (o simOp) String() string {
	return fmt.Sprintf("%s(%d,%d,%d)+%s", opNames[o.kind], o.a, o.b, o.c, o.tick)
}

// schedule draws a seed's steps.
func schedule(seed uint64) []simOp {
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	total := 0
	for _, w := range opWeights {
		total += w
	}
	maxTick := 3000
	if seed%2 == 0 {
		maxTick = 600 // many steps inside the search lag
	}
	ops := make([]simOp, simSteps)
	for i := range ops {
		n, k := rng.IntN(total), opKind(0)
		for ; n >= opWeights[k]; k++ {
			n -= opWeights[k]
		}
		ops[i] = simOp{kind: k, a: rng.IntN(1 << 16), b: rng.IntN(1 << 16), c: rng.IntN(1 << 16),
			tick: time.Duration(1+rng.IntN(maxTick)) * time.Millisecond}
	}
	return ops
}

// simulation settings: which of the seed's worlds (search lag, webhooks
// on) it runs in.
func settings(seed uint64) (lag time.Duration, hooks bool) {
	lags := []time.Duration{0, 150 * time.Millisecond, 2 * time.Second, 5 * time.Second}
	return lags[seed%4], seed%3 != 0
}

const (
	simLocation = ghltest.DefaultLocationID
	uiToken     = "sim-ui-token"
	quiet       = 5 * time.Second
)

var simTags = []string{"vip", "beta", "lead", "gold"}

// appPerson is the app's record of a person.
type appPerson struct {
	rec      ghlsync.Record
	tasks    []ghlsync.Task
	notes    []ghlsync.Note
	inactive bool // deleted in HighLevel
}

// write is one change of a field, by one side, for the oracle.
type write struct {
	app   bool
	value string
	seq   int
}

// world is one run of a schedule.
type world struct {
	seed uint64
	ctx  context.Context
	clk  *ghltest.Clock
	srv  *ghltest.Server
	user *ghl.Client // someone working in HighLevel
	app  *ghl.Client // the integration
	recv *httptest.Server

	cfg    *ghl.OAuthConfig
	tokens *ghl.MemoryStore
	state  *ghlsync.MemoryState // the sync's state: survives restarts
	fields []string

	mu     gosync.Mutex
	stream *ghlsync.Stream
	syncer *ghlsync.Syncer

	people    map[string]*appPerson // the app's database: survives restarts
	next      int
	crashing  bool
	lastHuman string // the contact someone last worked on in HighLevel

	seq        int
	appWrites  map[string]map[string]write // local ID → field → last app write
	hlWrites   map[string]map[string]write // contact ID → field → last HighLevel write
	syncPoints map[string][]int            // local ID → seqs at which the person was synced
	collided   map[string]bool             // app records refused with a *LinkError
	deleted    map[string]bool             // contacts deleted in HighLevel
	created    map[string]map[string]bool  // contact ID or local ID → task/note texts created there
	removed    map[string]bool             // task and note texts deleted or edited away
	itemOf     map[string]string           // text → the app's task or note LocalID that held it
	gone       map[string]bool             // task and note IDs deleted in HighLevel
	doneWrites map[string]map[bool]write   // task title → side (app) → its last completion write
	itemSyncs  map[string][]int            // local ID → seqs at which its tasks and notes were synced
	noteEdits  map[string][]int            // the app's note LocalID → seqs of the app's edits
	hlEdit     map[string]write            // text a person wrote into a note in HighLevel → the note's ID (value) and seq
	log        []string

	// Engine mode: the world's app is wired to a ghlsync.Engine instead.
	engine   *ghlsync.Engine
	useMarks bool     // the app reports changes through App.Changed, not Engine.Changed
	changes  []string // the app's change log, for App.Changed
	crashAt  int      // the app call (counting down) at which the process dies
	touched  map[string]bool
}

func newWorld(t testing.TB, seed uint64, engine bool) *world {
	lag, hooks := settings(seed)
	w := &world{seed: seed, useMarks: engine && seed%2 == 1, touched: map[string]bool{}, ctx: context.Background(), clk: ghltest.NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)),
		state: ghlsync.NewMemoryState(), people: map[string]*appPerson{}, appWrites: map[string]map[string]write{},
		hlWrites: map[string]map[string]write{}, syncPoints: map[string][]int{}, collided: map[string]bool{},
		deleted: map[string]bool{}, created: map[string]map[string]bool{}, removed: map[string]bool{},
		itemOf: map[string]string{}, gone: map[string]bool{}, doneWrites: map[string]map[bool]write{}, itemSyncs: map[string][]int{},
		noteEdits: map[string][]int{}, hlEdit: map[string]write{}}
	w.srv = ghltest.NewServer(ghltest.WithClock(w.clk.Now), ghltest.WithSeed(seed+1), ghltest.WithSearchLag(lag),
		ghltest.WithRateLimit(1_000_000, time.Second), ghltest.WithToken(uiToken, simLocation), ghltest.WithTokenLifetime(time.Hour))
	t.Cleanup(w.srv.Close)
	fast := ghl.WithRetryPolicy(ghl.RetryPolicy{MaxRetries: 2, MinWait: time.Microsecond, MaxWait: time.Microsecond, SettleWait: time.Microsecond})
	var err error
	w.user, err = ghl.NewClient(ghl.WithBaseURL(w.srv.URL()), ghl.WithToken(uiToken), ghl.WithLocation(simLocation),
		ghl.WithUserAgent("highlevel-ui"), ghl.WithoutRateLimiter(), fast)
	must(t, err)
	w.cfg = &ghl.OAuthConfig{ClientID: ghltest.DefaultClientID, ClientSecret: ghl.NewSecret(ghltest.DefaultClientSecret),
		BaseURL: w.srv.URL(), Now: w.clk.Now}
	code, err := w.srv.AuthorizationCode(w.cfg.ClientID, "", simLocation, "contacts.write")
	must(t, err)
	w.tokens = ghl.NewMemoryStore()
	_, _, err = w.cfg.ExchangeAndSave(w.ctx, code, w.tokens)
	must(t, err)
	src, err := w.cfg.NewSource(w.tokens, simLocation, ghl.WithSourceClock(w.clk.Now), ghl.WithReauthGrace(0))
	must(t, err)
	w.app, err = ghl.NewClient(ghl.WithBaseURL(w.srv.URL()), ghl.WithTokenSource(src), ghl.WithLocation(simLocation),
		ghl.WithUserAgent("sim-app"), ghl.WithoutRateLimiter(), fast)
	must(t, err)
	defs, err := w.user.CustomFields.List(w.ctx, "", "contact")
	must(t, err)
	score := ""
	for _, d := range defs {
		if d.Key() == "score" {
			score = "customFields." + d.ID
		}
	}
	w.fields = []string{ghlsync.FieldFirstName, ghlsync.FieldLastName, ghlsync.FieldEmail, ghlsync.FieldCity, score,
		"dndSettings.SMS", "dndSettings.Email", ghlsync.FieldPostalCode, "tags"}
	if engine {
		w.engine = &ghlsync.Engine{} // restart makes the real one
	}
	w.restart()
	if hooks {
		v, err := w.srv.WebhookVerifier(webhook.WithClock(w.clk.Now))
		must(t, err)
		w.recv = httptest.NewServer(webhook.NewHandler(v, func(ctx context.Context, ev webhook.Event) error {
			w.mu.Lock()
			st, eng := w.stream, w.engine
			w.mu.Unlock()
			if eng != nil {
				return eng.Handle(ctx, ev)
			}
			return st.Handle(ctx, ev)
		}))
		t.Cleanup(w.recv.Close)
		w.srv.DeliverWebhooks(w.recv.URL, nil)
	}
	for range 3 {
		w.newPerson("")
	}
	return w
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (w *world) logf(format string, args ...any) {
	w.log = append(w.log, fmt.Sprintf("%4d %s ", w.seq, w.clk.Now().Format("15:04:05.000"))+fmt.Sprintf(format, args...))
}

// restart builds the sync's objects anew from the saved state, as a new
// process would: the Stream's order guard is empty.
func (w *world) restart() {
	if w.engine != nil {
		eng, err := ghlsync.NewEngine(w.app, simApp{w}, ghlsync.EngineOptions{State: w.state, Fields: w.fields,
			Merge: ghlsync.MergeOptions{Policy: ghlsync.LastWriteWins}, Key: ghlsync.EnsureOptions{By: ghlsync.ByEmail, Probes: []time.Duration{0}},
			Quiet: quiet, Now: w.clk.Now, MinBackoff: time.Second, MaxBackoff: 8 * time.Second, SweepEvery: time.Minute})
		if err != nil {
			panic(err)
		}
		w.mu.Lock()
		w.engine = eng
		w.mu.Unlock()
		return
	}
	cp, _ := w.state.Checkpoint(w.ctx, "feed")
	w.mu.Lock()
	w.stream = &ghlsync.Stream{Feed: &ghlsync.Feed{Client: w.app}, Quiet: quiet, Now: w.clk.Now, Checkpoint: cp}
	w.syncer = &ghlsync.Syncer{Client: w.app, State: w.state, Fields: w.fields,
		Merge: ghlsync.MergeOptions{Policy: ghlsync.LastWriteWins},
		Key:   ghlsync.EnsureOptions{By: ghlsync.ByEmail, Probes: []time.Duration{0}}}
	w.mu.Unlock()
}

// ids returns the app's people, sorted; live ones only when asked.
func (w *world) ids(live bool) []string {
	var out []string
	for id, p := range w.people {
		if !live || !p.inactive && !w.collided[id] {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// contacts returns HighLevel's live contacts, read by someone there.
func (w *world) contacts() []ghl.Contact {
	var out []ghl.Contact
	for c, err := range w.user.Contacts.ListAll(w.ctx, ghl.ListOptions{}) {
		if err != nil {
			return nil
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b ghl.Contact) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func (w *world) noteWrite(writes map[string]map[string]write, id, field, value string, app bool) {
	if writes[id] == nil {
		writes[id] = map[string]write{}
	}
	writes[id][field] = write{app: app, value: value, seq: w.seq}
}

func (w *world) noteCreated(id, text string) {
	if w.created[id] == nil {
		w.created[id] = map[string]bool{}
	}
	w.created[id][text] = true
}

func (w *world) newPerson(email string) string {
	id := fmt.Sprintf("p%d", w.next)
	w.next++
	if email == "" {
		email = id + "@sim.example"
	}
	rec := ghlsync.Record{UpdatedAt: w.clk.Now()}.Set(ghlsync.FieldFirstName, strings.ToUpper(id)).Set(ghlsync.FieldEmail, email)
	w.people[id] = &appPerson{rec: rec}
	for _, f := range []string{ghlsync.FieldFirstName, ghlsync.FieldEmail} {
		w.noteWrite(w.appWrites, id, f, rec.Get(f), true)
	}
	w.appChanged(id)
	return id
}

// fieldEdit is one edit a side makes: a field and its new value.
func (w *world) fieldEdit(o simOp, app bool) (string, string) {
	side := "h"
	if app {
		side = "a"
	}
	v := fmt.Sprintf("%s%d", side, o.seqTag())
	switch f := w.fields[o.b%8]; {
	case f == ghlsync.FieldEmail:
		return f, v + "@sim.example"
	case (f == ghlsync.FieldCity || f == ghlsync.FieldPostalCode && app) && o.c%4 == 0:
		return f, "" // cleared (postalCode: HighLevel cannot clear it)
	case strings.HasPrefix(f, "customFields."):
		return f, strconv.Itoa(o.c % 1000)
	case strings.HasPrefix(f, "dndSettings."):
		return f, []string{"active", "inactive"}[o.c%2]
	default:
		return f, v
	}
}

// seqTag is a number that makes a step's values its own.
func (o simOp) seqTag() int { return o.a ^ o.b<<1 ^ o.c<<2 }

// run executes the steps, then settles, and returns the invariants broken.
func (w *world) run(ops []simOp) []string {
	for _, o := range ops {
		w.seq++
		w.clk.Advance(o.tick)
		w.step(o)
		if w.srv != nil {
			_ = w.srv.WaitWebhooks(w.ctx)
		}
	}
	// Settle: faults off, webhooks on, time past the index lag and the
	// quiet period, then cycles until nothing moves.
	w.seq++
	w.logf("settle")
	w.srv.ClearFaults()
	w.srv.ResumeWebhooks()
	settle := 8
	if w.engine != nil {
		settle += 2*len(w.people) + 2 // notes without webhooks come one person every other cycle
	}
	for range settle {
		w.clk.Advance(2 * quiet)
		w.cycle()
	}
	before := w.writesSent()
	w.clk.Advance(2 * quiet)
	w.cycle()
	var broken []string
	if n := w.writesSent() - before; n != 0 {
		broken = append(broken, fmt.Sprintf("the final cycle sent %d writes", n))
	}
	return append(broken, w.check()...)
}

// writesSent counts the integration's writes so far.
func (w *world) writesSent() int {
	n := 0
	for _, r := range w.srv.Requests() {
		if strings.HasPrefix(r.Header.Get("User-Agent"), "sim-app") && r.Method != "GET" && !strings.HasSuffix(r.Path, "/search") &&
			r.Path != "/oauth/token" {
			n++
		}
	}
	return n
}

func (w *world) step(o simOp) {
	ctx := w.ctx
	live := w.ids(true)
	contacts := w.contacts()
	pick := func(n int) int { return o.a % max(n, 1) }
	switch o.kind {
	case opCycle:
		w.cycle()
	case opAppEdit:
		if len(live) == 0 {
			return
		}
		id := live[pick(len(live))]
		p := w.people[id]
		f, v := w.fieldEdit(o, true)
		if f == ghlsync.FieldEmail && o.c%3 == 0 {
			return // email edits are rarer
		}
		if p.rec.Get(f) == (ghlsync.Record{}.Set(f, v).Get(f)) {
			return // no change
		}
		p.rec = p.rec.Set(f, v)
		p.rec.UpdatedAt = w.clk.Now()
		w.noteWrite(w.appWrites, id, f, v, true)
		w.logf("app %s %s=%q", id, f, v)
		w.appChanged(id)
	case opAppTag:
		if len(live) == 0 {
			return
		}
		id := live[pick(len(live))]
		p := w.people[id]
		tag := simTags[o.b%len(simTags)]
		if p.rec.HasTag(tag) == (o.c%2 == 0) {
			return // no change
		}
		if o.c%2 == 0 {
			p.rec.Tags = ghlsync.NormalizeTags(append(slices.Clone(p.rec.Tags), tag))
			w.noteWrite(w.appWrites, id, "tag:"+tag, "1", true)
		} else {
			p.rec.Tags = slices.DeleteFunc(slices.Clone(p.rec.Tags), func(t string) bool { return t == tag })
			w.noteWrite(w.appWrites, id, "tag:"+tag, "", true)
		}
		p.rec.UpdatedAt = w.clk.Now()
		w.logf("app %s tags %v", id, p.rec.Tags)
		w.appChanged(id)
	case opAppNewPerson:
		w.logf("app new %s", w.newPerson(""))
	case opAppCollide:
		if len(live) == 0 {
			return
		}
		other := w.people[live[pick(len(live))]].rec.Get(ghlsync.FieldEmail)
		w.logf("app new %s with %s's email", w.newPerson(other), other)
	case opAppTask:
		if len(live) == 0 {
			return
		}
		id := live[pick(len(live))]
		p := w.people[id]
		if o.b%3 == 0 || len(p.tasks) == 0 {
			title := fmt.Sprintf("task-a%d", o.seqTag())
			p.tasks = append(p.tasks, ghlsync.Task{LocalID: fmt.Sprintf("%s-t%d", id, o.seqTag()), Title: title,
				DueDate: time.Date(2026, 12, 10, 9, 0, 0, 0, time.UTC).Add(time.Duration(o.c%100) * time.Hour), UpdatedAt: w.clk.Now()})
			w.noteCreated(id, title)
			w.logf("app %s task %s", id, title)
			w.appChanged(id)
			return
		}
		k := o.c % len(p.tasks)
		p.tasks[k].Completed, p.tasks[k].UpdatedAt = !p.tasks[k].Completed, w.clk.Now()
		w.noteDone(p.tasks[k].Title, p.tasks[k].Completed, true)
		w.logf("app %s task %s completed=%v", id, p.tasks[k].Title, p.tasks[k].Completed)
		w.appChanged(id)
	case opAppNote:
		if len(live) == 0 {
			return
		}
		id := live[pick(len(live))]
		p := w.people[id]
		body := fmt.Sprintf("note-a%d", o.seqTag())
		if o.b%2 == 0 || len(p.notes) == 0 {
			p.notes = append(p.notes, ghlsync.Note{LocalID: fmt.Sprintf("%s-n%d", id, o.seqTag()), Body: body, UpdatedAt: w.clk.Now()})
			w.noteCreated(id, body)
			w.itemOf[body] = p.notes[len(p.notes)-1].LocalID
			w.logf("app %s note %s", id, body)
			w.appChanged(id)
			return
		}
		k := o.c % len(p.notes)
		w.removed[p.notes[k].Body] = true
		w.noteEdits[p.notes[k].LocalID] = append(w.noteEdits[p.notes[k].LocalID], w.seq)
		p.notes[k].Body, p.notes[k].UpdatedAt = body, w.clk.Now()
		w.noteCreated(id, body)
		w.itemOf[body] = p.notes[k].LocalID
		w.logf("app %s note %d edited %s", id, k, body)
		w.appChanged(id)
	case opHumanEdit:
		if len(contacts) == 0 {
			return
		}
		ct := contacts[pick(len(contacts))]
		w.lastHuman = ct.ID
		f, v := w.fieldEdit(o, false)
		if cur, ok := w.srv.Contact(simLocation, ct.ID); ok && ghlsync.FromContact(cur).Get(f) == (ghlsync.Record{}.Set(f, v).Get(f)) {
			return // no change
		}
		req := ghl.UpdateContactRequest{}
		switch {
		case f == ghlsync.FieldEmail:
			req.Email = &v
		case f == ghlsync.FieldCity && v == "":
			req.Clear = []string{"city"}
		case f == ghlsync.FieldCity:
			req.City = &v
		case f == ghlsync.FieldFirstName:
			req.FirstName = &v
		case f == ghlsync.FieldLastName:
			req.LastName = &v
		case f == ghlsync.FieldPostalCode:
			req.PostalCode = &v
		case strings.HasPrefix(f, "customFields."):
			n, _ := strconv.Atoi(v)
			req.CustomFields = []ghl.CustomFieldInput{{ID: strings.TrimPrefix(f, "customFields."), Value: n}}
		case strings.HasPrefix(f, "dndSettings."):
			// HighLevel's UI sends the whole object it shows.
			d := ghl.DNDSettings{}
			if ct.DNDSettings != nil {
				d = *ct.DNDSettings
			}
			s := &ghl.DNDSetting{Status: v}
			if f == "dndSettings.SMS" {
				d.SMS = s
			} else {
				d.Email = s
			}
			req.DNDSettings = &d
		}
		if _, err := w.user.Contacts.Update(ctx, ct.ID, req); err == nil {
			w.noteWrite(w.hlWrites, ct.ID, f, v, false)
			w.logf("human %s %s=%q", ct.ID, f, v)
		}
	case opHumanTag:
		if len(contacts) == 0 {
			return
		}
		ct := contacts[pick(len(contacts))]
		tag := simTags[o.b%len(simTags)]
		if cur, ok := w.srv.Contact(simLocation, ct.ID); ok && ghlsync.FromContact(cur).HasTag(tag) == (o.c%2 == 0) {
			return // no change
		}
		var err error
		if o.c%2 == 0 {
			_, err = w.user.Tags.Add(ctx, ct.ID, []string{tag})
			if err == nil {
				w.noteWrite(w.hlWrites, ct.ID, "tag:"+tag, "1", false)
			}
		} else {
			_, err = w.user.Tags.Remove(ctx, ct.ID, []string{tag})
			if err == nil {
				w.noteWrite(w.hlWrites, ct.ID, "tag:"+tag, "", false)
			}
		}
		w.logf("human %s tag %s add=%v err=%v", ct.ID, tag, o.c%2 == 0, err)
	case opHumanNewContact:
		email := fmt.Sprintf("h%d@sim.example", o.seqTag())
		ct, err := w.user.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr(email), FirstName: ghl.Ptr(fmt.Sprintf("H%d", o.seqTag()))})
		if err == nil {
			w.noteWrite(w.hlWrites, ct.ID, ghlsync.FieldEmail, email, false)
			w.noteWrite(w.hlWrites, ct.ID, ghlsync.FieldFirstName, ct.FirstName, false)
			w.logf("human new contact %s %s", ct.ID, email)
		}
	case opHumanDelete:
		if len(contacts) == 0 {
			return
		}
		ct := contacts[pick(len(contacts))]
		if err := w.user.Contacts.Delete(ctx, ct.ID); err == nil {
			w.deleted[ct.ID] = true
			w.logf("human deleted %s", ct.ID)
		}
	case opHumanTask:
		if len(contacts) == 0 {
			return
		}
		ct := contacts[pick(len(contacts))]
		w.lastHuman = ct.ID
		tasks, err := w.user.Tasks.List(ctx, ct.ID)
		if err != nil {
			return
		}
		switch {
		case o.b%3 == 0 || len(tasks) == 0:
			title := fmt.Sprintf("task-h%d", o.seqTag())
			if _, err := w.user.Tasks.Create(ctx, ct.ID, ghl.CreateTaskRequest{Title: title,
				DueDate: time.Date(2026, 12, 11, 9, 0, 0, 0, time.UTC).Add(time.Duration(o.c%100) * time.Hour)}); err == nil {
				w.noteCreated(ct.ID, title)
				w.logf("human %s task %s", ct.ID, title)
			}
		case o.b%3 == 1:
			k := o.c % len(tasks)
			_, err := w.user.Tasks.Complete(ctx, ct.ID, tasks[k].ID, !tasks[k].Completed)
			if err == nil {
				w.noteDone(tasks[k].Title, !tasks[k].Completed, false)
			}
			w.logf("human %s task %s completed=%v err=%v", ct.ID, tasks[k].Title, !tasks[k].Completed, err)
		default:
			k := o.c % len(tasks)
			err := w.user.Tasks.Delete(ctx, ct.ID, tasks[k].ID)
			w.removed[tasks[k].Title] = true
			w.gone[tasks[k].ID] = true
			w.logf("human %s task %s deleted err=%v", ct.ID, tasks[k].Title, err)
		}
	case opHumanNote:
		if len(contacts) == 0 {
			return
		}
		ct := contacts[pick(len(contacts))]
		w.lastHuman = ct.ID
		notes, err := w.user.Notes.List(ctx, ct.ID)
		if err != nil {
			return
		}
		body := fmt.Sprintf("note-h%d", o.seqTag())
		switch {
		case o.b%3 == 0 || len(notes) == 0:
			if _, err := w.user.Notes.Create(ctx, ct.ID, ghl.CreateNoteRequest{Body: body}); err == nil {
				w.noteCreated(ct.ID, body)
				w.logf("human %s note %s", ct.ID, body)
			}
		case o.b%3 == 1:
			k := o.c % len(notes)
			_, err := w.user.Notes.Update(ctx, ct.ID, notes[k].ID, ghl.UpdateNoteRequest{Body: &body})
			if err == nil {
				w.removed[notes[k].Body] = true
				w.noteCreated(ct.ID, body)
				w.hlEdit[body] = write{value: notes[k].ID, seq: w.seq}
			}
			w.logf("human %s note %s edited %s err=%v", ct.ID, notes[k].Body, body, err)
		default:
			k := o.c % len(notes)
			err := w.user.Notes.Delete(ctx, ct.ID, notes[k].ID)
			w.removed[notes[k].Body] = true
			w.gone[notes[k].ID] = true
			w.logf("human %s note %s deleted err=%v", ct.ID, notes[k].Body, err)
		}
	case opFault:
		paths := []struct{ method, path string }{{"POST", "/contacts/"}, {"PUT", "/contacts/*"}, {"GET", "/contacts/*"},
			{"POST", "/contacts/search"}, {"POST", "/contacts/*/tasks"}, {"PUT", "/contacts/*/tasks/*"}, {"GET", "/contacts/*/tasks"},
			{"POST", "/contacts/*/notes"}, {"PUT", "/contacts/*/notes/*"}, {"GET", "/contacts/*/notes"}}
		p := paths[o.b%len(paths)]
		f := ghltest.Fault{Method: p.method, Path: p.path, UserAgent: "sim-app", Times: 1 + o.c%3}
		switch o.c % 6 {
		case 0:
			f.Status, f.Body = 503, `{"message":"Service Unavailable"}`
		case 1:
			f.Status, f.Body = 500, `{"message":"Internal Server Error"}`
		case 2:
			f.Status, f.Body, f.RetryAfter = 429, `{"message":"Too many requests"}`, "0"
		case 3:
			f.DropBefore = true
		case 4:
			f.DropAfter = true
		case 5:
			f.Truncate = true
		}
		w.srv.Inject(f)
		w.logf("fault %+v", f)
	case opHookFault:
		f := ghltest.WebhookFault{Times: 1 + o.c%3}
		switch o.b % 3 {
		case 0:
			f.Drop = true
		case 1:
			f.Duplicate = true
		default:
			f.Reorder = true
		}
		w.srv.InjectWebhook(f)
		w.logf("webhook fault %+v", f)
	case opHookStop:
		w.srv.StopWebhooks()
		w.logf("webhooks stop")
	case opHookResume:
		w.srv.ResumeWebhooks()
		w.logf("webhooks resume")
	case opExpireTokens:
		w.srv.ExpireAccessTokens()
		w.logf("tokens expire")
	case opRestart:
		w.restart()
		w.logf("restart")
	case opCrash:
		if w.engine != nil {
			w.crashAt = 1 + o.b%6
		}
		w.crashing = true
		w.logf("crash during the next cycle")
		w.cycle()
	}
}

// cycle is the app's sync loop, wired as the package documents it: the
// stream's changes, adoption of contacts made in HighLevel, then every
// person's contact, tasks and notes; the app saves each result, then
// commits it. A crashing cycle drops one person's results unsaved and
// restarts.
func (w *world) cycle() {
	if w.engine != nil {
		w.engineCycle()
		return
	}
	ctx := w.ctx
	w.mu.Lock()
	stream, syncer := w.stream, w.syncer
	w.mu.Unlock()
	_ = w.srv.WaitWebhooks(ctx)
	remote := map[string]*ghl.Contact{}
	evs, err := stream.Next(ctx)
	if err != nil {
		w.logf("next: %v", err)
	}
	for _, ev := range evs {
		tags := []string(nil)
		if ev.Contact != nil {
			tags = ev.Contact.Tags
		}
		w.logf("event %s %s deleted=%v tags=%v", ev.Source, ev.ContactID, ev.Deleted, tags)
	}
	for _, ev := range evs {
		lid, linked, _ := w.state.LocalID(ctx, ghlsync.KindContact, ev.ContactID)
		switch {
		case ev.Deleted:
			if p := w.people[lid]; linked && p != nil {
				p.inactive = true
			}
		case linked:
			remote[lid] = ev.Contact
		case ev.Contact != nil:
			id := "ghl-" + ev.ContactID
			pulled, err := syncer.PullNew(ctx, id, *ev.Contact)
			if err != nil {
				w.logf("adopt %s: %v", ev.ContactID, err)
				continue
			}
			if p := w.people[id]; p != nil {
				p.rec = pulled.Local // saved before, not committed: the same record
			} else {
				w.people[id] = &appPerson{rec: pulled.Local}
			}
			if err := pulled.Commit(ctx); err == nil {
				w.syncPoints[id] = append(w.syncPoints[id], w.seq)
			}
		}
	}
	victim := ""
	if w.crashing {
		// The person someone just worked on in HighLevel: the sync has
		// something to bring into the app when it dies.
		if lid, ok, _ := w.state.LocalID(ctx, ghlsync.KindContact, w.lastHuman); ok {
			victim = lid
		} else if live := w.ids(true); len(live) > 0 {
			victim = live[w.seq%len(live)]
		}
	}
	for _, id := range w.ids(false) {
		p := w.people[id]
		if p.inactive {
			continue
		}
		res, err := syncer.SyncContact(ctx, id, p.rec, remote[id]) // a refused record is tried again: the other may have moved
		if err == nil {
			delete(w.collided, id)
			if res.Stale {
				w.logf("%s: a stale snapshot was read again", id)
				staleSeen.Add(1)
			}
		}
		switch {
		case errors.Is(err, ghlsync.ErrRemoteDeleted):
			p.inactive = true
			continue
		case errors.Is(err, ghlsync.ErrAlreadyLinked):
			w.collided[id] = true
			w.logf("%s: %v", id, err)
			continue
		case err != nil:
			w.logf("%s: %v", id, err)
			continue
		}
		if id == victim {
			// The app dies before saving this person: the sync did its work,
			// nothing is saved, nothing committed.
			_, _ = (&ghlsync.Syncer{Client: w.app, State: w.state}).SyncTasks(ctx, res.RemoteID, p.tasks)
			_, _ = (&ghlsync.Syncer{Client: w.app, State: w.state}).SyncNotes(ctx, res.RemoteID, p.notes)
			w.logf("crash before %s was saved", id)
			continue
		}
		if res.Pushed || res.LocalChanged || res.Created {
			w.logf("%s synced: created=%v pushed=%v pulled=%v tags=%v", id, res.Created, res.Pushed, res.LocalChanged, res.Local.Tags)
		}
		p.rec = res.Local
		if res.Commit(ctx) == nil {
			w.syncPoints[id] = append(w.syncPoints[id], w.seq)
		}
		tr, err := (&ghlsync.Syncer{Client: w.app, State: w.state}).SyncTasks(ctx, res.RemoteID, p.tasks)
		p.tasks = dropDeleted(tr.Items, tr.RemoteDeleted, func(t ghlsync.Task) string { return t.LocalID })
		if tr.Commit(ctx) == nil && err == nil {
			w.itemSyncs[id] = append(w.itemSyncs[id], w.seq)
		}
		if err != nil {
			w.logf("%s tasks: %v", id, err)
			continue
		}
		nr, err := (&ghlsync.Syncer{Client: w.app, State: w.state}).SyncNotes(ctx, res.RemoteID, p.notes)
		p.notes = dropDeleted(nr.Items, nr.RemoteDeleted, func(n ghlsync.Note) string { return n.LocalID })
		_ = nr.Commit(ctx)
		if err != nil {
			w.logf("%s notes: %v", id, err)
		}
	}
	_ = w.state.SaveCheckpoint(ctx, "feed", stream.Checkpoint)
	if w.crashing {
		w.crashing = false
		w.restart()
	}
}

var staleSeen atomic.Int64

// dropDeleted removes the items whose HighLevel side was deleted: the
// simulated app follows HighLevel's deletions of tasks and notes.
func dropDeleted[T any](items []T, gone []string, local func(T) string) []T {
	return slices.DeleteFunc(slices.Clone(items), func(it T) bool { return slices.Contains(gone, local(it)) })
}

// check returns the invariants broken once the world has settled.
func (w *world) check() []string {
	ctx := w.ctx
	if w.engine != nil {
		w.collisions()
	}
	var broken []string
	fail := func(format string, args ...any) { broken = append(broken, fmt.Sprintf(format, args...)) }
	contacts := w.contacts()
	live := map[string]ghl.Contact{}
	emails := map[string]string{}
	for _, c := range contacts {
		live[c.ID] = c
		if e := strings.ToLower(c.Email); e != "" {
			if other, dup := emails[e]; dup {
				fail("two contacts %s and %s share the email %s", other, c.ID, e)
			}
			emails[e] = c.ID
		}
		if w.deleted[c.ID] {
			fail("contact %s, deleted in HighLevel, is back", c.ID)
		}
	}
	for _, c := range contacts {
		lid, ok, _ := w.state.LocalID(ctx, ghlsync.KindContact, c.ID)
		p := w.people[lid]
		switch {
		case !ok:
			fail("contact %s (%s) is linked to no app record", c.ID, c.Email)
			continue
		case p == nil:
			fail("contact %s is linked to %s, which the app does not hold", c.ID, lid)
			continue
		case p.inactive:
			fail("contact %s lives but app record %s is marked deleted", c.ID, lid)
			continue
		}
		w.checkPerson(lid, p, c, fail)
	}
	for id, p := range w.people {
		if p.inactive {
			rid, ok, _ := w.state.RemoteID(ctx, ghlsync.KindContact, id)
			if ok && !w.deleted[rid] {
				if _, alive := live[rid]; alive {
					fail("app record %s is marked deleted while %s lives", id, rid)
				}
			}
			continue
		}
		if w.collided[id] {
			if _, taken := emails[strings.ToLower(p.rec.Get(ghlsync.FieldEmail))]; !taken {
				fail("app record %s was refused for a key collision, but no contact holds its email %s", id, p.rec.Get(ghlsync.FieldEmail))
			}
			continue
		}
		rid, ok, _ := w.state.RemoteID(ctx, ghlsync.KindContact, id)
		if !ok {
			fail("app record %s is linked to no contact", id)
		} else if _, alive := live[rid]; !alive && !w.deleted[rid] {
			fail("app record %s is linked to %s, which does not exist", id, rid)
		}
	}
	return broken
}

// checkPerson compares one app record with its contact: fields, tags,
// tasks and notes equal; no update lost; nothing created lost or doubled.
func (w *world) checkPerson(lid string, p *appPerson, c ghl.Contact, fail func(string, ...any)) {
	ctx := w.ctx
	remote := ghlsync.FromContact(c)
	for _, f := range w.fields {
		if f == "tags" {
			continue
		}
		a, r := p.rec.Get(f), remote.Get(f)
		if aw, ok := w.appWrites[lid][f]; a == "" && f == ghlsync.FieldPostalCode && ok && aw.value == "" && w.hlWrites[c.ID][f].seq < aw.seq {
			continue // the app cleared it last; HighLevel cannot (documented): it keeps its value
		}
		if a != r {
			fail("%s %s: app %q, HighLevel %q", lid, f, a, r)
		}
	}
	if !slices.Equal(ghlsync.NormalizeTags(p.rec.Tags), remote.Tags) {
		fail("%s tags: app %v, HighLevel %v", lid, ghlsync.NormalizeTags(p.rec.Tags), remote.Tags)
	}
	// No lost update: a field one side changed ends with that side's last
	// value, unless the other changed it too without a sync between them
	// (then the policy picks one of the two).
	final := func(f string) string {
		if name, ok := strings.CutPrefix(f, "tag:"); ok {
			if p.rec.HasTag(name) {
				return "1"
			}
			return ""
		}
		return p.rec.Get(f)
	}
	fields := map[string]bool{}
	for f := range w.appWrites[lid] {
		fields[f] = true
	}
	for f := range w.hlWrites[c.ID] {
		fields[f] = true
	}
	for f := range fields {
		a, aok := w.appWrites[lid][f]
		h, hok := w.hlWrites[c.ID][f]
		norm := func(v string) string { return ghlsync.Record{}.Set("x", v).Get("x") }
		if f == ghlsync.FieldEmail {
			norm = func(v string) string { return strings.ToLower(strings.TrimSpace(v)) }
		}
		last, other, both := a, h, aok && hok
		if !aok || hok && h.seq > a.seq {
			last, other = h, a
		}
		got := norm(final(f))
		switch {
		case !both || w.syncedBetween(lid, other.seq, last.seq):
			if got != norm(last.value) {
				fail("%s %s: lost update: %s wrote %q last (step %d), the sides hold %q", lid, f, side(last.app), last.value, last.seq, got)
			}
		case got != norm(last.value) && got != norm(other.value):
			fail("%s %s: both sides wrote (%q, %q), the sides hold %q", lid, f, a.value, h.value, got)
		}
	}
	// Tasks and notes: the same on both sides, none twice, none created lost.
	tasks, err := w.user.Tasks.List(ctx, c.ID)
	if err != nil {
		fail("%s: tasks: %v", lid, err)
		return
	}
	var hlTasks, appTasks []string
	for _, t := range tasks {
		hlTasks = append(hlTasks, fmt.Sprintf("%s|%v|%s", t.Title, t.Completed, t.DueDate.UTC().Format(time.RFC3339)))
	}
	for _, t := range p.tasks {
		appTasks = append(appTasks, fmt.Sprintf("%s|%v|%s", t.Title, t.Completed, t.DueDate.UTC().Truncate(time.Second).Format(time.RFC3339)))
	}
	slices.Sort(hlTasks)
	slices.Sort(appTasks)
	if !slices.Equal(hlTasks, appTasks) {
		fail("%s tasks: app %v, HighLevel %v", lid, appTasks, hlTasks)
	}
	notes, err := w.user.Notes.List(ctx, c.ID)
	if err != nil {
		fail("%s: notes: %v", lid, err)
		return
	}
	var hlNotes, appNotes []string
	for _, n := range notes {
		hlNotes = append(hlNotes, n.Body)
	}
	for _, n := range p.notes {
		appNotes = append(appNotes, n.Body)
	}
	slices.Sort(hlNotes)
	slices.Sort(appNotes)
	if !slices.Equal(hlNotes, appNotes) {
		fail("%s notes: app %v, HighLevel %v", lid, appNotes, hlNotes)
	}
	for _, list := range [][]string{hlTasks, hlNotes} {
		for i := 1; i < len(list); i++ {
			if list[i] == list[i-1] {
				fail("%s: %q is in HighLevel twice", lid, list[i])
			}
		}
	}
	for where, created := range map[string]map[string]bool{"the app": w.created[lid], "HighLevel": w.created[c.ID]} {
		for text := range created {
			if !slices.ContainsFunc(appTasks, func(s string) bool { return strings.HasPrefix(s, text+"|") }) && !slices.Contains(appNotes, text) &&
				!w.removed[text] && !w.itemGone(text) && !w.overwrittenByTheApp(lid, text) {
				fail("%s: %q, written in %s, is lost", lid, text, where)
			}
		}
	}
	// A task's completion one side changed ends as that side left it,
	// unless the other changed it too without a sync between them.
	for _, t := range p.tasks {
		ws := w.doneWrites[t.Title]
		a, aok := ws[true]
		h, hok := ws[false]
		if !aok && !hok {
			continue
		}
		last, other := a, h
		if !aok || hok && h.seq > a.seq {
			last, other = h, a
		}
		got := strconv.FormatBool(t.Completed)
		switch {
		case !(aok && hok) || slices.ContainsFunc(w.itemSyncs[lid], func(s int) bool { return s > other.seq && s < last.seq }):
			if got != last.value {
				fail("%s task %s: lost update: %s set completed=%s last (step %d), the sides hold %s", lid, t.Title, side(last.app), last.value, last.seq, got)
			}
		case got != last.value && got != other.value:
			fail("%s task %s: completed is %s, which neither side set", lid, t.Title, got)
		}
	}
}

// itemGone says the app's note that held text was deleted in HighLevel
// (the deletion holds, whatever the app wrote into it meanwhile).
func (w *world) itemGone(text string) bool {
	lid, ok := w.itemOf[text]
	if !ok {
		return false
	}
	rid, linked, _ := w.state.RemoteID(w.ctx, ghlsync.KindNote, lid)
	return linked && w.gone[rid]
}

// overwrittenByTheApp says a person's edit of a note in HighLevel met an
// edit of the same note in the app with no note sync between them: under
// the documented policy the app's (dated) edit wins over HighLevel's
// (undated) one.
func (w *world) overwrittenByTheApp(lid, text string) bool {
	e, ok := w.hlEdit[text]
	if !ok {
		return false
	}
	noteID, linked, _ := w.state.LocalID(w.ctx, ghlsync.KindNote, e.value)
	if !linked {
		return false
	}
	since := 0
	for _, s := range w.itemSyncs[lid] {
		if s < e.seq {
			since = s
		}
	}
	return slices.ContainsFunc(w.noteEdits[noteID], func(s int) bool { return s > since })
}

func (w *world) noteDone(title string, done, app bool) {
	if w.doneWrites[title] == nil {
		w.doneWrites[title] = map[bool]write{}
	}
	w.doneWrites[title][app] = write{app: app, value: strconv.FormatBool(done), seq: w.seq}
}

func side(app bool) string {
	if app {
		return "the app"
	}
	return "HighLevel"
}

// syncedBetween says the person was synced after step from and before step
// to: a write after that is not concurrent with one before it.
func (w *world) syncedBetween(lid string, from, to int) bool {
	for _, s := range w.syncPoints[lid] {
		if s > from && s < to {
			return true
		}
	}
	return false
}

// runSeed runs a seed's schedule (only the steps keep names, when set)
// and returns what broke, with the world's log.
func runSeed(t testing.TB, seed uint64, keep []int, engine bool) ([]string, []string) {
	ops := schedule(seed)
	if keep != nil {
		var kept []simOp
		for _, i := range keep {
			kept = append(kept, ops[i])
		}
		ops = kept
	}
	w := newWorld(t, seed, engine)
	broken := w.run(ops)
	return broken, w.log
}

// shrink removes steps from a failing schedule while it still fails, and
// returns the indices of the steps left.
func shrink(t testing.TB, seed uint64, budget int, engine bool) []int {
	keep := make([]int, simSteps)
	for i := range keep {
		keep[i] = i
	}
	for chunk := simSteps / 2; chunk >= 1 && budget > 0; chunk /= 2 {
		for i := 0; i < len(keep) && budget > 0; {
			try := append(slices.Clone(keep[:i]), keep[min(i+chunk, len(keep)):]...)
			budget--
			if broken, _ := runSeed(t, seed, try, engine); len(broken) > 0 {
				keep = try
				continue
			}
			i += chunk
		}
	}
	return keep
}

// TestSimulation runs seeds 1..GHL_SIM_SEEDS (100 by default; 500 with
// GHL_TEST_LONG=1; 20 under the race detector) over the parts wired as
// documented, or the one GHL_SIM_SEED names (with GHL_SIM_KEEP, only those
// steps). A failing seed is shrunk and printed with the command that
// replays it.
func TestSimulation(t *testing.T) { simulate(t, "TestSimulation", false) }

// TestEngineSimulation runs the same schedules over an Engine: the app
// tells it of its changes (Engine.Changed, or App.Changed on odd seeds),
// webhooks reach Engine.Handle, and a crash kills the process at a random
// app call mid-cycle (the engine restarts on its saved state and outbox).
func TestEngineSimulation(t *testing.T) { simulate(t, "TestEngineSimulation", true) }

func simulate(t *testing.T, name string, engine bool) {
	if v := os.Getenv("GHL_SIM_SEED"); v != "" {
		seed, err := strconv.ParseUint(v, 10, 64)
		must(t, err)
		var keep []int
		if k := os.Getenv("GHL_SIM_KEEP"); k != "" {
			for _, s := range strings.Split(k, ",") {
				i, err := strconv.Atoi(s)
				must(t, err)
				keep = append(keep, i)
			}
		}
		broken, log := runSeed(t, seed, keep, engine)
		t.Log("schedule:\n" + strings.Join(log, "\n"))
		if len(broken) > 0 {
			t.Fatalf("seed %d broke:\n  %s", seed, strings.Join(broken, "\n  "))
		}
		return
	}
	seeds := 100
	if testenv.Long() {
		seeds = 500
	}
	if raceEnabled {
		seeds = 20
	}
	if v := os.Getenv("GHL_SIM_SEEDS"); v != "" {
		n, err := strconv.Atoi(v)
		must(t, err)
		seeds = n
	}
	start := time.Now()
	var mu gosync.Mutex
	var failed []uint64
	for seed := range uint64(seeds) {
		seed++
		t.Run(strconv.FormatUint(seed, 10), func(t *testing.T) {
			t.Parallel()
			broken, _ := runSeed(t, seed, nil, engine)
			if len(broken) == 0 {
				return
			}
			mu.Lock()
			failed = append(failed, seed)
			first := len(failed) == 1
			mu.Unlock()
			msg := fmt.Sprintf("seed %d broke:\n  %s\nreplay: GHL_SIM_SEED=%d go test ./ghlsync -run '%s$' -v", seed, strings.Join(broken, "\n  "), seed, name)
			if first { // shrink one failing seed: the rest are likely the same defect
				keep := shrink(t, seed, 120, engine)
				ks := make([]string, len(keep))
				for i, k := range keep {
					ks[i] = strconv.Itoa(k)
				}
				msg += fmt.Sprintf("\nshrunk to %d steps: GHL_SIM_SEED=%d GHL_SIM_KEEP=%s go test ./ghlsync -run '%s$' -v", len(keep), seed, strings.Join(ks, ","), name)
			}
			t.Error(msg)
		})
	}
	t.Cleanup(func() {
		t.Logf("%s: %d seeds in %s, %d failed %v; %d stale snapshots read again", name, seeds, time.Since(start).Round(time.Millisecond),
			len(failed), failed, staleSeen.Load())
	})
}

// appChanged tells the sync the app changed a person, as the app does:
// through Engine.Changed, or in its change log for App.Changed.
func (w *world) appChanged(id string) {
	if w.engine == nil {
		return // the parts' loop syncs everyone every cycle
	}
	if w.useMarks {
		w.changes = append(w.changes, id)
		return
	}
	if err := w.engine.Changed(w.ctx, id); err != nil {
		panic(err)
	}
}

// simCrash is the panic that kills the simulated process mid-cycle.
type simCrash struct{}

// appCall counts down to a crash.
func (w *world) appCall() {
	if w.crashAt > 0 {
		if w.crashAt--; w.crashAt == 0 {
			panic(simCrash{})
		}
	}
}

// simApp is the world's app database as the engine sees it.
type simApp struct{ w *world }

func (a simApp) Person(_ context.Context, id string) (ghlsync.Person, bool, error) {
	w := a.w
	w.appCall()
	p := w.people[id]
	if p == nil {
		return ghlsync.Person{}, false, nil
	}
	w.touched[id] = true
	rec := p.rec
	rec.Fields, rec.Tags = maps.Clone(rec.Fields), slices.Clone(rec.Tags)
	return ghlsync.Person{ID: id, Record: rec, Tasks: slices.Clone(p.tasks), Notes: slices.Clone(p.notes), Inactive: p.inactive}, true, nil
}

func (a simApp) SavePerson(_ context.Context, p ghlsync.Person) error {
	w := a.w
	w.appCall()
	cur := w.people[p.ID]
	if cur == nil {
		cur = &appPerson{}
		w.people[p.ID] = cur
	}
	cur.rec, cur.tasks, cur.notes = p.Record, p.Tasks, p.Notes
	return nil
}

func (a simApp) MarkInactive(_ context.Context, id string) error {
	w := a.w
	w.appCall()
	if p := w.people[id]; p != nil {
		p.inactive = true
	}
	return nil
}

func (a simApp) Changed(_ context.Context, mark string) ([]string, string, error) {
	w := a.w
	w.appCall()
	if !w.useMarks {
		return nil, mark, nil
	}
	from, _ := strconv.Atoi(mark)
	return slices.Clone(w.changes[min(from, len(w.changes)):]), strconv.Itoa(len(w.changes)), nil
}

// engineCycle runs one engine cycle; a crash kills it mid-way (the
// engine's memory is lost, its state and the app's database stay) and the
// process restarts.
func (w *world) engineCycle() {
	_ = w.srv.WaitWebhooks(w.ctx)
	clear(w.touched)
	var sum *ghlsync.RunSummary
	var err error
	crashed := func() (crashed bool) {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(simCrash); !ok {
					panic(r)
				}
				crashed = true
			}
		}()
		sum, err = w.engine.RunOnce(w.ctx)
		return false
	}()
	w.crashAt, w.crashing = 0, false
	if crashed {
		w.logf("crash mid-cycle; restart")
		w.restart()
		return
	}
	if err != nil {
		w.logf("cycle: %v", err)
	}
	failed := map[string]bool{}
	h, _ := w.engine.History(w.ctx, "")
	for _, e := range h {
		if e.Run == sum.Run {
			w.logf("history: %s", e)
			if e.Action == ghlsync.ActionFailed {
				failed[e.Person] = true
			}
		}
	}
	for id := range w.touched {
		if !failed[id] {
			w.syncPoints[id] = append(w.syncPoints[id], w.seq)
			w.itemSyncs[id] = append(w.itemSyncs[id], w.seq)
		}
	}
}

// collisions marks the people the engine refused for a key another
// person's contact holds (engine mode).
func (w *world) collisions() {
	h, _ := w.engine.History(w.ctx, "")
	for _, e := range h {
		if e.Action == ghlsync.ActionConflict && e.Rule == "one contact per key" {
			if _, linked, _ := w.state.RemoteID(w.ctx, ghlsync.KindContact, e.Person); !linked {
				w.collided[e.Person] = true
			}
		}
	}
}
