package ghlsync_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghlsync"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/internal/testenv"
	"github.com/ghlkit/ghl/webhook"
)

// memApp is an app's database of people, as the tests' App.
type memApp struct {
	mu      gosync.Mutex
	people  map[string]ghlsync.Person
	version int
	// onPerson, when set, runs inside Person (a change made while the
	// engine works on the person).
	onPerson func(id string)
	// failSave, when set, fails SavePerson for that ID.
	failSave string
	saves    int
}

func newMemApp() *memApp { return &memApp{people: map[string]ghlsync.Person{}} }

func clonePerson(p ghlsync.Person) ghlsync.Person {
	p.Record.Fields, p.Record.Tags = maps.Clone(p.Record.Fields), slices.Clone(p.Record.Tags)
	p.Tasks, p.Notes = slices.Clone(p.Tasks), slices.Clone(p.Notes)
	return p
}

func (a *memApp) Person(_ context.Context, id string) (ghlsync.Person, bool, error) {
	a.mu.Lock()
	p, ok := a.people[id]
	hook := a.onPerson
	a.mu.Unlock()
	if hook != nil {
		hook(id)
	}
	return clonePerson(p), ok, nil
}

func (a *memApp) SavePerson(_ context.Context, p ghlsync.Person) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if p.ID == a.failSave {
		return errors.New("database unavailable")
	}
	if cur, ok := a.people[p.ID]; ok && cur.Version != p.Version {
		return fmt.Errorf("person %s changed since it was read", p.ID)
	}
	a.version++
	p.Version = strconv.Itoa(a.version)
	a.people[p.ID] = clonePerson(p)
	a.saves++
	return nil
}

func (a *memApp) MarkInactive(_ context.Context, id string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	p := a.people[id]
	p.Inactive = true
	a.people[id] = p
	return nil
}

func (a *memApp) Changed(_ context.Context, mark string) ([]string, string, error) {
	return nil, mark, nil
}

// edit changes a person as the app's users do, and returns it.
func (a *memApp) edit(id string, f func(p *ghlsync.Person)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p := clonePerson(a.people[id])
	p.ID = id
	f(&p)
	a.version++
	p.Version = strconv.Itoa(a.version)
	a.people[id] = p
}

// save stores a person as the app's own code does.
func (a *memApp) save(p ghlsync.Person) { a.edit(p.ID, func(q *ghlsync.Person) { *q = p }) }

func (a *memApp) get(id string) ghlsync.Person {
	a.mu.Lock()
	defer a.mu.Unlock()
	return clonePerson(a.people[id])
}

func (a *memApp) ids() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Sorted(maps.Keys(a.people))
}

// engineEnv is an app, HighLevel (ghltest on a settable clock) with
// someone working in it, and an engine between them.
type engineEnv struct {
	t     testing.TB
	ctx   context.Context
	clk   *ghltest.Clock
	srv   *ghltest.Server
	user  *ghl.Client // someone in HighLevel
	api   *ghl.Client // the engine's
	app   *memApp
	state *ghlsync.MemoryState
	opts  ghlsync.EngineOptions
	mu    gosync.Mutex
	eng   *ghlsync.Engine
}

func newEngineEnv(t testing.TB, hooks bool, opts ghlsync.EngineOptions, srvOpts ...ghltest.Option) *engineEnv {
	t.Helper()
	env := &engineEnv{t: t, ctx: context.Background(), clk: ghltest.NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)),
		app: newMemApp(), state: ghlsync.NewMemoryState()}
	env.srv = ghltest.NewServer(append([]ghltest.Option{ghltest.WithClock(env.clk.Now), ghltest.WithRateLimit(1_000_000, time.Second),
		ghltest.WithToken("ui-token", ghltest.DefaultLocationID)}, srvOpts...)...)
	t.Cleanup(env.srv.Close)
	fast := ghl.WithRetryPolicy(ghl.RetryPolicy{MaxRetries: 1, MinWait: time.Microsecond, MaxWait: time.Microsecond, SettleWait: time.Microsecond})
	var err error
	env.user, err = ghl.NewClient(ghl.WithBaseURL(env.srv.URL()), ghl.WithToken("ui-token"), ghl.WithLocation(ghltest.DefaultLocationID),
		ghl.WithUserAgent("highlevel-ui"), ghl.WithoutRateLimiter(), fast)
	require.NoError(t, err)
	env.api, err = env.srv.Client(ghl.WithUserAgent("engine"), fast)
	require.NoError(t, err)
	opts.State, opts.Now = env.state, env.clk.Now
	if opts.Key.Probes == nil {
		opts.Key.Probes = []time.Duration{0}
	}
	env.opts = opts
	env.restart()
	if hooks {
		v, err := env.srv.WebhookVerifier(webhook.WithClock(env.clk.Now))
		require.NoError(t, err)
		recv := httptest.NewServer(webhook.NewHandler(v, func(ctx context.Context, ev webhook.Event) error {
			env.mu.Lock()
			eng := env.eng
			env.mu.Unlock()
			return eng.Handle(ctx, ev)
		}))
		t.Cleanup(recv.Close)
		env.srv.DeliverWebhooks(recv.URL, nil)
	}
	return env
}

// restart makes a new engine on the same state, as a new process would.
func (env *engineEnv) restart() {
	eng, err := ghlsync.NewEngine(env.api, env.app, env.opts)
	require.NoError(env.t, err)
	env.mu.Lock()
	env.eng = eng
	env.mu.Unlock()
}

// cycle waits for webhooks in flight, then runs one cycle.
func (env *engineEnv) cycle() *ghlsync.RunSummary {
	env.t.Helper()
	require.NoError(env.t, env.srv.WaitWebhooks(env.ctx))
	sum, err := env.eng.RunOnce(env.ctx)
	require.NoError(env.t, err)
	return sum
}

// add creates a person in the app and tells the engine.
func (env *engineEnv) add(id, first, email string, tags ...string) {
	env.app.edit(id, func(p *ghlsync.Person) {
		p.Record = ghlsync.Record{UpdatedAt: env.clk.Now()}.Set(ghlsync.FieldFirstName, first).Set(ghlsync.FieldEmail, email)
		p.Record.Tags = tags
	})
	require.NoError(env.t, env.eng.Changed(env.ctx, id))
}

func (env *engineEnv) remoteID(id string) string {
	rid, ok, err := env.state.RemoteID(env.ctx, ghlsync.KindContact, id)
	require.NoError(env.t, err)
	require.True(env.t, ok, "%s is not linked", id)
	return rid
}

func (env *engineEnv) contact(id string) ghl.Contact {
	c, ok := env.srv.Contact(ghltest.DefaultLocationID, env.remoteID(id))
	require.True(env.t, ok)
	return c
}

// engineRequests counts the engine's requests to HighLevel.
func (env *engineEnv) engineRequests() int {
	n := 0
	for _, r := range env.srv.Requests() {
		if strings.HasPrefix(r.Header.Get("User-Agent"), "engine") && r.Path != "/oauth/token" {
			n++
		}
	}
	return n
}

// TestEngineTwoWay: people made in the app reach HighLevel with their tags,
// tasks and notes; what someone changes in HighLevel (a field, a tag, a
// task's completion, a note) reaches the app, through webhooks or, with
// webhooks off, polling; what the app changes reaches HighLevel.
func TestEngineTwoWay(t *testing.T) {
	t.Parallel()
	for _, hooks := range []bool{true, false} {
		t.Run(map[bool]string{true: "webhooks", false: "polling"}[hooks], func(t *testing.T) {
			t.Parallel()
			env := newEngineEnv(t, hooks, ghlsync.EngineOptions{Merge: ghlsync.MergeOptions{Policy: ghlsync.LastWriteWins}})
			env.add("ada", "Ada", "ada@example.com", "member")
			env.app.edit("ada", func(p *ghlsync.Person) {
				p.Tasks = []ghlsync.Task{{LocalID: "ada-t1", Title: "Welcome call", DueDate: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}}
				p.Notes = []ghlsync.Note{{LocalID: "ada-n1", Body: "Met at the fair"}}
			})
			sum := env.cycle()
			assert.Equal(t, 1, sum.Created)
			assert.Equal(t, 2, sum.Items)
			assert.Equal(t, 0, sum.Queued)
			ct := env.contact("ada")
			assert.Equal(t, "Ada", ct.FirstName)
			assert.Equal(t, []string{"member"}, ct.Tags)
			tasks, err := env.user.Tasks.List(env.ctx, ct.ID)
			require.NoError(t, err)
			require.Len(t, tasks, 1)
			notes, err := env.user.Notes.List(env.ctx, ct.ID)
			require.NoError(t, err)
			require.Len(t, notes, 1)

			// Someone works on the contact in HighLevel.
			env.clk.Advance(time.Second)
			_, err = env.user.Contacts.Update(env.ctx, ct.ID, ghl.UpdateContactRequest{City: ghl.Ptr("Paris")})
			require.NoError(t, err)
			_, err = env.user.Tags.Add(env.ctx, ct.ID, []string{"vip"})
			require.NoError(t, err)
			_, err = env.user.Tasks.Complete(env.ctx, ct.ID, tasks[0].ID, true)
			require.NoError(t, err)
			_, err = env.user.Notes.Update(env.ctx, ct.ID, notes[0].ID, ghl.UpdateNoteRequest{Body: ghl.Ptr("Met at the fair; wants a quote")})
			require.NoError(t, err)
			_, err = env.user.Notes.Create(env.ctx, ct.ID, ghl.CreateNoteRequest{Body: "Called back"})
			require.NoError(t, err)
			// Until everything arrives: polling needs the quiet period, and
			// notes without webhooks come by rotation.
			for range 6 {
				env.clk.Advance(2 * time.Minute)
				env.cycle()
			}
			p := env.app.get("ada")
			assert.Equal(t, "Paris", p.Record.Get(ghlsync.FieldCity))
			assert.Equal(t, []string{"member", "vip"}, ghlsync.NormalizeTags(p.Record.Tags))
			require.Len(t, p.Tasks, 1)
			assert.True(t, p.Tasks[0].Completed, "the task completed in HighLevel")
			var bodies []string
			for _, n := range p.Notes {
				bodies = append(bodies, n.Body)
			}
			assert.ElementsMatch(t, []string{"Met at the fair; wants a quote", "Called back"}, bodies)

			// The app changes the person: it reaches HighLevel.
			env.clk.Advance(time.Second)
			env.app.edit("ada", func(p *ghlsync.Person) {
				p.Record = p.Record.Set(ghlsync.FieldCity, "Lyon")
				p.Record.Tags = []string{"member"}
				p.Record.UpdatedAt = env.clk.Now()
				p.Tasks[0].Title, p.Tasks[0].UpdatedAt = "Welcome call (moved)", env.clk.Now()
			})
			require.NoError(t, env.eng.Changed(env.ctx, "ada"))
			sum = env.cycle()
			assert.Equal(t, 1, sum.Pushed)
			ct = env.contact("ada")
			assert.Equal(t, "Lyon", ct.City)
			assert.Equal(t, []string{"member"}, ct.Tags)
			tasks, err = env.user.Tasks.List(env.ctx, ct.ID)
			require.NoError(t, err)
			require.Len(t, tasks, 1)
			assert.Equal(t, "Welcome call (moved)", tasks[0].Title)
			assert.True(t, tasks[0].Completed)
			assert.Equal(t, 1, env.srv.ContactCount(ghltest.DefaultLocationID), "one contact, never a duplicate")
		})
	}
}

// TestEngineIdleCycleCostsAtMostTwoRequests: once everything is in step,
// a cycle costs at most two requests, at 20 people as at 400, webhooks
// flowing or not, and writes nothing.
func TestEngineIdleCycleCostsAtMostTwoRequests(t *testing.T) {
	t.Parallel()
	for _, n := range []int{20, 400} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			t.Parallel()
			env := newEngineEnv(t, false, ghlsync.EngineOptions{})
			for i := range n {
				env.add(fmt.Sprintf("p%04d", i), "P", fmt.Sprintf("p%d@example.com", i))
				env.app.edit(fmt.Sprintf("p%04d", i), func(p *ghlsync.Person) {
					p.Tasks = []ghlsync.Task{{LocalID: fmt.Sprintf("p%04d-t", i), Title: "Call", DueDate: time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)}}
				})
			}
			env.cycle()
			env.clk.Advance(2 * time.Minute)
			env.cycle() // the first poll sees the engine's own creates: nothing to do
			for range 10 {
				env.clk.Advance(2 * time.Minute)
				before := env.engineRequests()
				sum := env.cycle()
				spent := env.engineRequests() - before
				assert.LessOrEqual(t, spent, 2, "an idle cycle")
				assert.EqualValues(t, spent, sum.Requests, "the summary counts the requests")
				assert.Zero(t, sum.Pushed+sum.Pulled+sum.Items+sum.Created+sum.Adopted, "nothing moved")
			}
		})
	}
}

// TestEngineOutboxSurvivesARestart: a push that fails stays in the outbox,
// is not tried again before its backoff, survives a restart, and goes
// through once HighLevel answers.
func TestEngineOutboxSurvivesARestart(t *testing.T) {
	t.Parallel()
	env := newEngineEnv(t, false, ghlsync.EngineOptions{MinBackoff: 30 * time.Second})
	env.add("ada", "Ada", "ada@example.com")
	env.cycle()
	env.clk.Advance(time.Second)
	env.app.edit("ada", func(p *ghlsync.Person) { p.Record = p.Record.Set(ghlsync.FieldCity, "Paris") })
	require.NoError(t, env.eng.Changed(env.ctx, "ada"))
	env.srv.Inject(ghltest.Fault{Method: "PUT", Path: "/contacts/*", Status: 503, Body: `{"message":"down"}`, Times: 100})
	sum := env.cycle()
	assert.Equal(t, 1, sum.Failed)
	assert.Equal(t, 1, sum.Queued)
	require.Len(t, sum.Errors, 1)

	env.srv.ClearFaults()
	env.restart()
	env.clk.Advance(10 * time.Second) // inside the backoff
	before := env.srv.RequestCount("PUT", "/contacts/*")
	sum = env.cycle()
	assert.Equal(t, 1, sum.Queued, "still waiting")
	assert.Equal(t, before, env.srv.RequestCount("PUT", "/contacts/*"), "not tried before its backoff")

	env.clk.Advance(30 * time.Second)
	sum = env.cycle()
	assert.Equal(t, 1, sum.Pushed)
	assert.Equal(t, 0, sum.Queued)
	assert.Equal(t, "Paris", env.contact("ada").City)
}

// TestEngineChangeDuringASyncIsNotDequeued: a change the app makes while
// the engine works on the person keeps the person queued; the next cycle
// pushes it.
func TestEngineChangeDuringASyncIsNotDequeued(t *testing.T) {
	t.Parallel()
	env := newEngineEnv(t, false, ghlsync.EngineOptions{})
	env.add("ada", "Ada", "ada@example.com")
	env.cycle()
	env.app.edit("ada", func(p *ghlsync.Person) { p.Record = p.Record.Set(ghlsync.FieldCity, "Paris") })
	require.NoError(t, env.eng.Changed(env.ctx, "ada"))
	once := gosync.Once{}
	env.app.onPerson = func(id string) {
		once.Do(func() {
			// Meanwhile, in the app.
			env.app.edit("ada", func(p *ghlsync.Person) { p.Record = p.Record.Set(ghlsync.FieldLastName, "Lovelace") })
			require.NoError(t, env.eng.Changed(env.ctx, "ada"))
		})
	}
	sum := env.cycle()
	env.app.onPerson = nil
	assert.Equal(t, 1, sum.Queued, "the change made during the sync waits")
	env.cycle()
	ct := env.contact("ada")
	assert.Equal(t, "Paris", ct.City)
	assert.Equal(t, "Lovelace", ct.LastName)
}

// linkFails is a state whose next Link fails (the process died between
// the create and its link).
type linkFails struct {
	*ghlsync.MemoryState
	fail bool
}

func (s *linkFails) Link(ctx context.Context, kind ghlsync.Kind, localID, remoteID string) error {
	if s.fail {
		s.fail = false
		return errors.New("disk full")
	}
	return s.MemoryState.Link(ctx, kind, localID, remoteID)
}

// TestEngineAdoptsButNeverItsOwnPush: a contact made in HighLevel becomes
// one app person (duplicate deliveries or not); a person the app made
// whose create reached HighLevel but whose link was not recorded is never
// adopted as a second person when the contact shows up in the feed.
func TestEngineAdoptsButNeverItsOwnPush(t *testing.T) {
	t.Parallel()
	env := newEngineEnv(t, true, ghlsync.EngineOptions{MinBackoff: 10 * time.Minute})
	st := &linkFails{MemoryState: env.state}
	env.opts.State = st
	env.restart()
	env.srv.InjectWebhook(ghltest.WebhookFault{Duplicate: true, Times: 5})
	made, err := env.user.Contacts.Create(env.ctx, ghl.CreateContactRequest{FirstName: ghl.Ptr("Grace"), Email: ghl.Ptr("grace@example.com")})
	require.NoError(t, err)
	_, err = env.user.Tasks.Create(env.ctx, made.ID, ghl.CreateTaskRequest{Title: "Send the contract", DueDate: time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)})
	require.NoError(t, err)
	env.cycle()
	env.cycle()
	p := env.app.get("ghl-" + made.ID)
	assert.Equal(t, "Grace", p.Record.Get(ghlsync.FieldFirstName))
	require.Len(t, p.Tasks, 1)
	assert.Equal(t, "Send the contract", p.Tasks[0].Title)

	st.fail = true
	env.add("ada", "Ada", "ada@example.com")
	sum := env.cycle()
	require.Equal(t, 1, sum.Failed, "the link was not recorded")
	require.Equal(t, 2, env.srv.ContactCount(ghltest.DefaultLocationID), "the contact was created")
	for range 3 { // the webhook, then the feed, show the contact; the push waits for its backoff
		env.clk.Advance(2 * time.Minute)
		env.cycle()
	}
	assert.Equal(t, []string{"ada", "ghl-" + made.ID}, env.app.ids(), "no second person for the app's own contact")
	assert.Equal(t, 2, env.srv.ContactCount(ghltest.DefaultLocationID))
	assert.Equal(t, "Ada", env.contact("ada").FirstName)
}

// TestEngineDeletions: a contact deleted in HighLevel marks the person
// inactive (by webhook, by a 404 when the engine reads it, or by the
// sweep), and it is never brought back; a person deleted in the app is
// left in HighLevel, or deleted there, as configured, and never adopted
// back.
func TestEngineDeletions(t *testing.T) {
	t.Parallel()
	setup := func(t *testing.T, hooks bool, opts ghlsync.EngineOptions) *engineEnv {
		env := newEngineEnv(t, hooks, opts)
		env.add("ada", "Ada", "ada@example.com")
		env.add("bob", "Bob", "bob@example.com")
		env.cycle()
		return env
	}
	t.Run("webhook", func(t *testing.T) {
		t.Parallel()
		env := setup(t, true, ghlsync.EngineOptions{})
		require.NoError(t, env.user.Contacts.Delete(env.ctx, env.remoteID("ada")))
		sum := env.cycle()
		assert.Equal(t, 1, sum.Inactive)
		assert.True(t, env.app.get("ada").Inactive)
		// The app edits it afterwards: nothing is pushed or recreated.
		env.app.edit("ada", func(p *ghlsync.Person) { p.Record = p.Record.Set(ghlsync.FieldCity, "Paris") })
		require.NoError(t, env.eng.Changed(env.ctx, "ada"))
		sum = env.cycle()
		assert.Zero(t, sum.Created+sum.Pushed)
		assert.Equal(t, 1, env.srv.ContactCount(ghltest.DefaultLocationID))
	})
	t.Run("not found when read", func(t *testing.T) {
		t.Parallel()
		env := setup(t, false, ghlsync.EngineOptions{})
		require.NoError(t, env.user.Contacts.Delete(env.ctx, env.remoteID("ada")))
		env.app.edit("ada", func(p *ghlsync.Person) { p.Record = p.Record.Set(ghlsync.FieldCity, "Paris") })
		require.NoError(t, env.eng.Changed(env.ctx, "ada"))
		sum := env.cycle()
		assert.Equal(t, 1, sum.Inactive)
		assert.True(t, env.app.get("ada").Inactive)
		assert.Equal(t, 1, env.srv.ContactCount(ghltest.DefaultLocationID), "not recreated")
	})
	t.Run("sweep", func(t *testing.T) {
		t.Parallel()
		env := setup(t, false, ghlsync.EngineOptions{SweepEvery: time.Hour})
		require.NoError(t, env.user.Contacts.Delete(env.ctx, env.remoteID("bob")))
		env.clk.Advance(30 * time.Minute)
		assert.Zero(t, env.cycle().Inactive, "the sweep is not due")
		env.clk.Advance(31 * time.Minute)
		assert.Equal(t, 1, env.cycle().Inactive)
		assert.True(t, env.app.get("bob").Inactive)
		assert.False(t, env.app.get("ada").Inactive)
	})
	t.Run("in the app, left in HighLevel", func(t *testing.T) {
		t.Parallel()
		env := setup(t, true, ghlsync.EngineOptions{})
		rid := env.remoteID("ada")
		env.app.mu.Lock()
		delete(env.app.people, "ada")
		env.app.mu.Unlock()
		require.NoError(t, env.eng.Changed(env.ctx, "ada"))
		env.cycle()
		_, err := env.user.Contacts.Update(env.ctx, rid, ghl.UpdateContactRequest{City: ghl.Ptr("Paris")})
		require.NoError(t, err)
		for range 3 {
			env.clk.Advance(2 * time.Minute)
			env.cycle()
		}
		_, kept := env.srv.Contact(ghltest.DefaultLocationID, rid)
		assert.True(t, kept)
		assert.Equal(t, []string{"bob"}, env.app.ids(), "never adopted back")
	})
	t.Run("in the app, deleted in HighLevel", func(t *testing.T) {
		t.Parallel()
		env := setup(t, false, ghlsync.EngineOptions{OnAppDelete: ghlsync.DeleteInHighLevel})
		rid := env.remoteID("ada")
		env.app.mu.Lock()
		delete(env.app.people, "ada")
		env.app.mu.Unlock()
		require.NoError(t, env.eng.Changed(env.ctx, "ada"))
		sum := env.cycle()
		assert.Equal(t, 1, sum.Deleted)
		_, kept := env.srv.Contact(ghltest.DefaultLocationID, rid)
		assert.False(t, kept)
		h, err := env.eng.History(env.ctx, "ada")
		require.NoError(t, err)
		assert.Equal(t, ghlsync.ActionDeleted, h[len(h)-1].Action)
		assert.Equal(t, "DELETE /contacts/"+rid, h[len(h)-1].Request)
	})
}

// TestEngineFailedSaveLosesNothing: the app's save fails after the engine
// pulled a change: nothing of it is recorded as done, the person is
// retried, and the change arrives.
func TestEngineFailedSaveLosesNothing(t *testing.T) {
	t.Parallel()
	env := newEngineEnv(t, true, ghlsync.EngineOptions{MinBackoff: time.Second})
	env.add("ada", "Ada", "ada@example.com")
	env.cycle()
	_, err := env.user.Contacts.Update(env.ctx, env.remoteID("ada"), ghl.UpdateContactRequest{City: ghl.Ptr("Paris")})
	require.NoError(t, err)
	env.app.failSave = "ada"
	sum := env.cycle()
	assert.Equal(t, 1, sum.Failed)
	env.restart() // and the process restarts
	env.app.failSave = ""
	env.clk.Advance(2 * time.Second)
	sum = env.cycle()
	assert.Equal(t, 1, sum.Pulled)
	assert.Equal(t, "Paris", env.app.get("ada").Record.Get(ghlsync.FieldCity))
	h, err := env.eng.History(env.ctx, "ada")
	require.NoError(t, err)
	pulls := 0
	for _, e := range h {
		if e.Action == ghlsync.ActionUpdated && e.Side == ghlsync.Local && e.Field == ghlsync.FieldCity {
			pulls++
		}
	}
	assert.Equal(t, 1, pulls, "the history holds the change once, when it was saved")
}

// TestEngineHistory: every change is in the history with its side, field,
// old and new values, the rule of a conflict and the request; it reads
// per person and exports as JSON lines; each cycle logs one summary line.
func TestEngineHistory(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	env := newEngineEnv(t, true, ghlsync.EngineOptions{Merge: ghlsync.MergeOptions{Policy: ghlsync.LocalWins},
		Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	env.add("ada", "Ada", "ada@example.com")
	env.cycle()
	rid := env.remoteID("ada")
	// Both sides change the city before the next cycle: a conflict the
	// app wins, by policy.
	_, err := env.user.Contacts.Update(env.ctx, rid, ghl.UpdateContactRequest{City: ghl.Ptr("Nice"), LastName: ghl.Ptr("Lovelace")})
	require.NoError(t, err)
	env.app.edit("ada", func(p *ghlsync.Person) { p.Record = p.Record.Set(ghlsync.FieldCity, "Lyon") })
	require.NoError(t, env.eng.Changed(env.ctx, "ada"))
	env.cycle()

	h, err := env.eng.History(env.ctx, "ada")
	require.NoError(t, err)
	find := func(action, field string, side ghlsync.Side) *ghlsync.HistoryEntry {
		for i := range h {
			if h[i].Action == action && h[i].Field == field && h[i].Side == side {
				return &h[i]
			}
		}
		t.Fatalf("no %s %s on %s in\n%v", action, field, side, h)
		return nil
	}
	created := find(ghlsync.ActionCreated, "", ghlsync.Remote)
	assert.Equal(t, "POST /contacts/", created.Request)
	assert.Equal(t, rid, created.RemoteID)
	conflict := find(ghlsync.ActionConflict, ghlsync.FieldCity, ghlsync.Local)
	assert.Equal(t, "local wins", conflict.Rule)
	assert.Equal(t, "Lyon", conflict.New)
	pushed := find(ghlsync.ActionUpdated, ghlsync.FieldCity, ghlsync.Remote)
	assert.Equal(t, "Nice", pushed.Old)
	assert.Equal(t, "Lyon", pushed.New)
	assert.Equal(t, "PUT /contacts/"+rid, pushed.Request)
	pulled := find(ghlsync.ActionUpdated, ghlsync.FieldLastName, ghlsync.Local)
	assert.Equal(t, "Lovelace", pulled.New)
	assert.Contains(t, pulled.String(), `lastName "" -> "Lovelace"`)

	var out bytes.Buffer
	require.NoError(t, env.eng.ExportHistory(env.ctx, &out))
	lines := 0
	for sc := bufio.NewScanner(&out); sc.Scan(); lines++ {
		var e ghlsync.HistoryEntry
		require.NoError(t, json.Unmarshal(sc.Bytes(), &e))
		assert.Equal(t, "ada", e.Person)
	}
	assert.Equal(t, len(h), lines)

	var line struct {
		Msg     string         `json:"msg"`
		Summary map[string]any `json:"summary"`
	}
	first, _, _ := strings.Cut(logs.String(), "\n")
	require.NoError(t, json.Unmarshal([]byte(first), &line))
	assert.Equal(t, "ghlsync: cycle", line.Msg)
	assert.EqualValues(t, 1, line.Summary["created"])
	assert.Contains(t, line.Summary, "requests")
}

// TestNewEngineRefusesBadOptions names the option.
func TestNewEngineRefusesBadOptions(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := fastClient(t, srv)
	_, err := ghlsync.NewEngine(nil, newMemApp(), ghlsync.EngineOptions{})
	assert.ErrorContains(t, err, "client")
	_, err = ghlsync.NewEngine(c, nil, ghlsync.EngineOptions{})
	assert.ErrorContains(t, err, "app")
	_, err = ghlsync.NewEngine(c, newMemApp(), ghlsync.EngineOptions{TaskGroup: -1})
	assert.ErrorContains(t, err, "TaskGroup")
	eng, err := ghlsync.NewEngine(c, newMemApp(), ghlsync.EngineOptions{})
	require.NoError(t, err)
	assert.ErrorContains(t, eng.Changed(context.Background(), ""), "id")
}

// benchEnv is an engine in step with n people made in HighLevel (seeded,
// then adopted), each with a task and a note.
func benchEnv(b *testing.B, n int, hooks bool) *engineEnv {
	b.Helper()
	env := newEngineEnv(b, hooks, ghlsync.EngineOptions{})
	ids := env.srv.Seed(ghltest.DefaultLocationID, n)
	due := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	for _, id := range ids {
		_, err := env.user.Tasks.Create(env.ctx, id, ghl.CreateTaskRequest{Title: "Call back", DueDate: due})
		require.NoError(b, err)
		_, err = env.user.Notes.Create(env.ctx, id, ghl.CreateNoteRequest{Body: "Imported"})
		require.NoError(b, err)
	}
	sum := env.cycle()
	require.Equal(b, n, sum.Adopted)
	env.clk.Advance(2 * time.Minute)
	env.cycle()
	return env
}

// BenchmarkEngineIdleCycle: one cycle with nothing to do (webhooks quiet,
// so the feed is polled), at 100, 1,000 and 10,000 people: requests per
// cycle (the goal: flat, at most 2) and time, against the baseline of the
// parts wired as a loop over every person (SyncContact, SyncTasks,
// SyncNotes: three reads a person). ns/op includes ghltest answering the
// searches over the whole location, as HighLevel does on its side.
func BenchmarkEngineIdleCycle(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			env := benchEnv(b, n, false)
			b.Run("engine", func(b *testing.B) {
				before := env.engineRequests()
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					env.clk.Advance(2 * time.Minute)
					sum, err := env.eng.RunOnce(env.ctx)
					if err != nil || sum.Pushed+sum.Pulled+sum.Items != 0 {
						b.Fatalf("not idle: %+v %v", sum, err)
					}
				}
				b.StopTimer()
				b.ReportMetric(float64(env.engineRequests()-before)/float64(b.N), "requests/cycle")
			})
			b.Run("parts-loop", func(b *testing.B) {
				s := env.eng.Syncer()
				before := env.engineRequests()
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					for _, id := range env.app.ids() {
						p := env.app.get(id)
						res, err := s.SyncContact(env.ctx, id, p.Record, nil)
						require.NoError(b, err)
						_, err = s.SyncTasks(env.ctx, res.RemoteID, p.Tasks)
						require.NoError(b, err)
						_, err = s.SyncNotes(env.ctx, res.RemoteID, p.Notes)
						require.NoError(b, err)
					}
				}
				b.StopTimer()
				b.ReportMetric(float64(env.engineRequests()-before)/float64(b.N), "requests/cycle")
			})
		})
	}
}

// BenchmarkEngineChange: one person changed on one side (a field, a tag, a
// task, a note; in the app, or in HighLevel with webhooks flowing: a field,
// a tag, a task added, a note edited), then
// one cycle, among 100 people: the requests that concern the person
// (requests/change; the goal is at most 2: a read and a write) and all the
// cycle's requests (requests/cycle, with the task round every cycle).
func BenchmarkEngineChange(b *testing.B) {
	type change func(env *engineEnv, lid, rid string, i int)
	appEdit := func(f func(p *ghlsync.Person, i int)) change {
		return func(env *engineEnv, lid, _ string, i int) {
			env.app.edit(lid, func(p *ghlsync.Person) { f(p, i); p.Record.UpdatedAt = env.clk.Now() })
			require.NoError(b, env.eng.Changed(env.ctx, lid))
		}
	}
	cases := []struct {
		name string
		do   change
	}{
		{"app/field", appEdit(func(p *ghlsync.Person, i int) { p.Record = p.Record.Set(ghlsync.FieldCity, fmt.Sprint("City ", i)) })},
		{"app/tag", appEdit(func(p *ghlsync.Person, i int) { p.Record.Tags = []string{fmt.Sprint("tag-", i)} })},
		{"app/task", appEdit(func(p *ghlsync.Person, i int) {
			p.Tasks[0].Title, p.Tasks[0].UpdatedAt = fmt.Sprint("Call back ", i), time.Now()
		})},
		{"app/note", appEdit(func(p *ghlsync.Person, i int) {
			p.Notes[0].Body, p.Notes[0].UpdatedAt = fmt.Sprint("Note ", i), time.Now()
		})},
		{"highlevel/field", func(env *engineEnv, _, rid string, i int) {
			_, err := env.user.Contacts.Update(env.ctx, rid, ghl.UpdateContactRequest{City: ghl.Ptr(fmt.Sprint("Town ", i))})
			require.NoError(b, err)
		}},
		{"highlevel/tag", func(env *engineEnv, _, rid string, i int) {
			_, err := env.user.Tags.Add(env.ctx, rid, []string{fmt.Sprint("hl-", i)})
			require.NoError(b, err)
		}},
		{"highlevel/task", func(env *engineEnv, _, rid string, i int) {
			_, err := env.user.Tasks.Create(env.ctx, rid, ghl.CreateTaskRequest{Title: fmt.Sprint("Follow up ", i),
				DueDate: time.Date(2026, 12, 9, 9, 0, 0, 0, time.UTC)})
			require.NoError(b, err)
		}},
		{"highlevel/note", func(env *engineEnv, _, rid string, i int) {
			notes, err := env.user.Notes.List(env.ctx, rid)
			require.NoError(b, err)
			_, err = env.user.Notes.Update(env.ctx, rid, notes[0].ID, ghl.UpdateNoteRequest{Body: ghl.Ptr(fmt.Sprint("Edited ", i))})
			require.NoError(b, err)
		}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			env := benchEnv(b, 100, true)
			people := env.app.ids()
			var mine, all int
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				lid := people[i%len(people)]
				rid := env.remoteID(lid)
				b.StopTimer()
				env.clk.Advance(time.Second)
				tc.do(env, lid, rid, i)
				require.NoError(b, env.srv.WaitWebhooks(env.ctx))
				n := len(env.srv.Requests())
				b.StartTimer()
				sum, err := env.eng.RunOnce(env.ctx)
				b.StopTimer()
				if err != nil || sum.Pushed+sum.Pulled+sum.Items == 0 {
					b.Fatalf("the change did not move: %+v %v", sum, err)
				}
				for _, r := range env.srv.Requests()[n:] {
					if !strings.HasPrefix(r.Header.Get("User-Agent"), "engine") || r.Path == "/oauth/token" {
						continue
					}
					all++
					if strings.Contains(r.Path, rid) {
						mine++
					}
				}
				b.StartTimer()
			}
			b.StopTimer()
			b.ReportMetric(float64(mine)/float64(b.N), "requests/change")
			b.ReportMetric(float64(all)/float64(b.N), "requests/cycle")
		})
	}
}

// TestEngineOwnWritesAreNotReadBack: the webhooks the engine's own writes
// cause carry what it wrote: the next cycle reads nothing for them; a
// change someone makes in HighLevel is still read.
func TestEngineOwnWritesAreNotReadBack(t *testing.T) {
	t.Parallel()
	env := newEngineEnv(t, true, ghlsync.EngineOptions{})
	env.add("ada", "Ada", "ada@example.com")
	env.cycle()
	env.app.edit("ada", func(p *ghlsync.Person) { p.Record = p.Record.Set(ghlsync.FieldCity, "Paris") })
	require.NoError(t, env.eng.Changed(env.ctx, "ada"))
	env.cycle()
	rid := env.remoteID("ada")
	reads := func() int { return env.srv.RequestCount("GET", "/contacts/"+rid) }
	before := reads()
	env.cycle() // the create's and the update's webhooks
	assert.Equal(t, before, reads(), "its own writes are not read back")

	_, err := env.user.Contacts.Update(env.ctx, rid, ghl.UpdateContactRequest{City: ghl.Ptr("Nice")})
	require.NoError(t, err)
	env.cycle()
	assert.Equal(t, before+1, reads(), "someone else's change is read")
	assert.Equal(t, "Nice", env.app.get("ada").Record.Get(ghlsync.FieldCity))
}

// TestEngineWiring: the wiring README shows, run for real: webhooks
// through an http.Handler, cycles on a schedule, the app's changes told,
// the state in a file.
func TestEngineWiring(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	client := fastClient(t, srv)
	verifier, err := srv.WebhookVerifier()
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	mux := http.NewServeMux()
	hooks := httptest.NewServer(mux)
	defer hooks.Close()
	srv.DeliverWebhooks(hooks.URL+"/webhooks", nil)
	app := newMemApp()
	interval := 5 * time.Millisecond
	dir := t.TempDir()
	person := ghlsync.Person{ID: "ada", Record: ghlsync.Record{}.Set(ghlsync.FieldEmail, "ada@example.com")}

	state, err := ghlsync.OpenFileState(filepath.Join(dir, "ghl-sync.json")) // or boltstate.Open, for more than a thousand people
	if err != nil {
		log.Fatal(err)
	}
	defer state.Close()
	engine, err := ghlsync.NewEngine(client, app, ghlsync.EngineOptions{State: state})
	if err != nil {
		log.Fatal(err)
	}
	mux.Handle("/webhooks", webhook.NewHandler(verifier, engine.Handle))
	go engine.Run(ctx, interval) // every 10 s, say
	defer engine.RunOnce(ctx)    // after cancel: waits for the cycle in progress
	defer cancel()

	// Whenever the app saves a person:
	app.save(person)
	if err := engine.Changed(ctx, person.ID); err != nil {
		log.Fatal(err)
	}

	// The contact appears; someone tags it in HighLevel; the tag arrives.
	rid := ""
	testenv.WaitFor(t, "ada's contact in HighLevel", func() bool {
		rid, _, _ = state.RemoteID(ctx, ghlsync.KindContact, "ada")
		return rid != ""
	})
	_, err = client.Tags.Add(ctx, rid, []string{"vip"})
	require.NoError(t, err)
	testenv.WaitFor(t, "the tag in the app", func() bool { return app.get("ada").Record.HasTag("vip") })
}

// TestEngineRepeatedFailureIsOneHistoryEntry: a person refused cycle after
// cycle for the same reason (two app people with one email) is in the
// history once, not once a cycle; the summary counts every attempt.
func TestEngineRepeatedFailureIsOneHistoryEntry(t *testing.T) {
	t.Parallel()
	env := newEngineEnv(t, false, ghlsync.EngineOptions{MinBackoff: time.Second, MaxBackoff: time.Second})
	env.add("ada", "Ada", "ada@example.com")
	env.cycle()
	env.add("ada2", "Ada", "ada@example.com")
	for range 4 {
		env.clk.Advance(2 * time.Second)
		assert.Equal(t, 1, env.cycle().Failed)
	}
	h, err := env.eng.History(env.ctx, "ada2")
	require.NoError(t, err)
	var actions []string
	for _, e := range h {
		actions = append(actions, e.Action)
	}
	assert.Equal(t, []string{ghlsync.ActionConflict, ghlsync.ActionFailed}, actions)
}

// TestRunOnceAfterTheEndWritesNothing: once ctx has ended, RunOnce starts
// no cycle and writes nothing, so the app can close the state.
func TestRunOnceAfterTheEndWritesNothing(t *testing.T) {
	t.Parallel()
	env := newEngineEnv(t, false, ghlsync.EngineOptions{})
	env.add("ada", "Ada", "ada@example.com")
	ctx, cancel := context.WithCancel(env.ctx)
	cancel()
	before := len(env.srv.Requests())
	sum, err := env.eng.RunOnce(ctx)
	require.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, sum.Run)
	assert.Equal(t, before, len(env.srv.Requests()))
	cp, _ := env.state.Checkpoint(env.ctx, "engine:run")
	assert.Nil(t, cp, "no cycle recorded")
}

// clockLeases is a MemoryState replicas could share, its leases and claims
// lapsing by a test clock.
type clockLeases struct {
	*ghlsync.MemoryState
	now    func() time.Time
	mu     gosync.Mutex
	leases map[string]lease // "lease:" or "claim:" + name
	hints  []ghlsync.Hint
}

type lease struct {
	holder string
	until  time.Time
}

func (s *clockLeases) take(key, holder string, ttl time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.leases[key]; ok && l.holder != holder && s.now().Before(l.until) {
		return false
	}
	s.leases[key] = lease{holder, s.now().Add(ttl)}
	return true
}

func (s *clockLeases) Lease(_ context.Context, name, holder string, ttl time.Duration) (bool, error) {
	return s.take("lease:"+name, holder, ttl), nil
}

func (s *clockLeases) Claim(_ context.Context, person, holder string, ttl time.Duration) (bool, error) {
	return s.take("claim:"+person, holder, ttl), nil
}

func (s *clockLeases) Release(_ context.Context, person, holder string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.leases["claim:"+person].holder == holder {
		delete(s.leases, "claim:"+person)
	}
	return nil
}

func (s *clockLeases) AddHint(_ context.Context, h ghlsync.Hint) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	h.ID = int64(len(s.hints) + 1)
	s.hints = append(s.hints, h)
	return nil
}

func (s *clockLeases) Hints(context.Context, int) ([]ghlsync.Hint, error) { return nil, nil }
func (s *clockLeases) DoneHints(context.Context, []int64) error           { return nil }

// TestEngineKeepsThePullLeaseThroughALongCycle: a cycle that runs longer
// than LeaseTTL (an import at HighLevel's rate limit) renews the pull lease
// as it goes, so no other replica starts pulling under a live holder.
func TestEngineKeepsThePullLeaseThroughALongCycle(t *testing.T) {
	t.Parallel()
	clk := ghltest.NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	srv := ghltest.NewServer(ghltest.WithClock(clk.Now), ghltest.WithRateLimit(1_000_000, time.Second))
	t.Cleanup(srv.Close)
	api, err := srv.Client()
	require.NoError(t, err)
	st := &clockLeases{MemoryState: ghlsync.NewMemoryState(), now: clk.Now, leases: map[string]lease{}}
	app := newMemApp()
	const ttl = 30 * time.Second
	var rivals []string
	app.onPerson = func(id string) { // each person takes half the lease's time
		clk.Advance(ttl / 2)
		if ok, _ := st.Lease(context.Background(), "pull", "r2", ttl); ok {
			rivals = append(rivals, id)
		}
	}
	eng, err := ghlsync.NewEngine(api, app, ghlsync.EngineOptions{State: st, Replica: "r1", LeaseTTL: ttl, Now: clk.Now,
		Key: ghlsync.EnsureOptions{Probes: []time.Duration{0}}})
	require.NoError(t, err)
	for i := range 8 {
		id := fmt.Sprint("p", i)
		app.save(ghlsync.Person{ID: id, Record: ghlsync.Record{UpdatedAt: clk.Now()}.Set(ghlsync.FieldEmail, id+"@example.com")})
		require.NoError(t, eng.Changed(context.Background(), id))
	}
	sum, err := eng.RunOnce(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 8, sum.Created)
	assert.Empty(t, rivals, "another replica took the pull lease while r1's cycle ran")
}
