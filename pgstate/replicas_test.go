package pgstate_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghlsync"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/internal/testenv"
	"github.com/ghlkit/ghl/pgstate"
	"github.com/ghlkit/ghl/webhook"
)

// pgApp is the replicas' shared app: its people in a Postgres table, each
// save checked against the version it read.
type pgApp struct{ pool *pgxpool.Pool }

const appSchema = `CREATE TABLE IF NOT EXISTS app_people (id text PRIMARY KEY, person jsonb NOT NULL, version bigint NOT NULL)`

func (a pgApp) Person(ctx context.Context, id string) (ghlsync.Person, bool, error) {
	var raw []byte
	var version int64
	err := a.pool.QueryRow(ctx, `SELECT person, version FROM app_people WHERE id = $1`, id).Scan(&raw, &version)
	if errors.Is(err, pgx.ErrNoRows) {
		return ghlsync.Person{}, false, nil
	}
	if err != nil {
		return ghlsync.Person{}, false, err
	}
	var p ghlsync.Person
	err = json.Unmarshal(raw, &p)
	p.ID, p.Version = id, strconv.FormatInt(version, 10)
	return p, true, err
}

func (a pgApp) SavePerson(ctx context.Context, p ghlsync.Person) error {
	raw, err := json.Marshal(p)
	if err != nil {
		return err
	}
	if p.Version == "" {
		_, err := a.pool.Exec(ctx, `INSERT INTO app_people VALUES ($1, $2, 1)`, p.ID, raw)
		return err
	}
	tag, err := a.pool.Exec(ctx, `UPDATE app_people SET person = $2, version = version + 1 WHERE id = $1 AND version = $3`, p.ID, raw, p.Version)
	if err == nil && tag.RowsAffected() == 0 {
		return fmt.Errorf("app person %s changed since it was read", p.ID)
	}
	return err
}

func (a pgApp) MarkInactive(ctx context.Context, id string) error {
	_, err := a.pool.Exec(ctx, `UPDATE app_people SET person = jsonb_set(person, '{Inactive}', 'true'), version = version + 1 WHERE id = $1`, id)
	return err
}

func (a pgApp) Changed(_ context.Context, mark string) ([]string, string, error) {
	return nil, mark, nil
}

// edit is a change made in the app, sent to a replica.
type edit struct {
	ID       string
	Create   string // an email: a new person
	LastName string
	Tag      string
	Note     string
}

// apply makes the edit in the app's table.
func (a pgApp) apply(ctx context.Context, e edit) error {
	return pgx.BeginFunc(ctx, a.pool, func(tx pgx.Tx) error {
		var p ghlsync.Person
		var raw []byte
		err := tx.QueryRow(ctx, `SELECT person FROM app_people WHERE id = $1 FOR UPDATE`, e.ID).Scan(&raw)
		switch {
		case errors.Is(err, pgx.ErrNoRows) && e.Create != "":
			p = ghlsync.Person{ID: e.ID, Record: ghlsync.Record{}.Set(ghlsync.FieldFirstName, "Member").Set(ghlsync.FieldEmail, e.Create)}
		case err != nil:
			return err
		default:
			if err := json.Unmarshal(raw, &p); err != nil {
				return err
			}
		}
		if e.LastName != "" {
			p.Record = p.Record.Set(ghlsync.FieldLastName, e.LastName)
		}
		if e.Tag != "" {
			p.Record.Tags = ghlsync.NormalizeTags(append(p.Record.Tags, e.Tag))
		}
		if e.Note != "" {
			p.Notes = append(p.Notes, ghlsync.Note{LocalID: e.ID + "-" + e.Note, Body: e.Note, UpdatedAt: time.Now()})
		}
		p.Record.UpdatedAt = time.Now()
		raw, _ = json.Marshal(p)
		_, err = tx.Exec(ctx, `INSERT INTO app_people VALUES ($1, $2, 1)
			ON CONFLICT (id) DO UPDATE SET person = excluded.person, version = app_people.version + 1`, e.ID, raw)
		return err
	})
}

// TestReplicaProcess is one replica of TestThreeReplicasOnePostgres: an
// engine on the shared state, a webhook endpoint, and an endpoint for the
// app's edits. It runs until killed.
func TestReplicaProcess(t *testing.T) {
	name := os.Getenv("GHL_REPLICA")
	if name == "" {
		t.Skip("run by TestThreeReplicasOnePostgres")
	}
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("GHL_REPLICA_PG"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := pgstate.Open(ctx, pool, ghltest.DefaultLocationID)
	if err != nil {
		t.Fatal(err)
	}
	client, err := ghl.NewClient(ghl.WithBaseURL(os.Getenv("GHL_REPLICA_HL")), ghl.WithToken("replica-token"),
		ghl.WithLocation(ghltest.DefaultLocationID), ghl.WithUserAgent("replica-"+name), ghl.WithoutRateLimiter())
	if err != nil {
		t.Fatal(err)
	}
	app := pgApp{pool}
	engine, err := ghlsync.NewEngine(client, app, ghlsync.EngineOptions{State: st, Replica: name,
		LeaseTTL: 2 * time.Second, ClaimTTL: 3 * time.Second, Quiet: 500 * time.Millisecond, PollEvery: 2 * time.Second,
		MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second, SweepEvery: -1, TaskGroup: 10})
	if err != nil {
		t.Fatal(err)
	}
	key, _ := hex.DecodeString(os.Getenv("GHL_REPLICA_KEY"))
	verifier, err := webhook.NewVerifier(webhook.WithEd25519Keys(ed25519.PublicKey(key)))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/webhooks", webhook.NewHandler(verifier, engine.Handle))
	mux.HandleFunc("/edit", func(w http.ResponseWriter, r *http.Request) {
		var e edit
		if err := json.NewDecoder(r.Body).Decode(&e); err == nil {
			if err = app.apply(r.Context(), e); err == nil {
				err = engine.Changed(r.Context(), e.ID)
			}
			if err != nil {
				http.Error(w, err.Error(), 500)
			}
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("listening", ln.Addr().String())
	go func() { _ = engine.Run(ctx, 50*time.Millisecond) }()
	_ = http.Serve(ln, mux)
}

// replica is a running replica process.
type replica struct {
	name string
	cmd  *exec.Cmd
	addr string
	dead atomic.Bool
}

func startReplica(t *testing.T, name, pgURL, hlURL string, key ed25519.PublicKey) *replica {
	cmd := exec.Command(os.Args[0], "-test.run=^TestReplicaProcess$")
	cmd.Env = append(os.Environ(), "GHL_REPLICA="+name, "GHL_REPLICA_PG="+pgURL, "GHL_REPLICA_HL="+hlURL,
		"GHL_REPLICA_KEY="+hex.EncodeToString(key))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &replica{name: name, cmd: cmd}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if addr, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
			r.addr = addr
			break
		}
	}
	if r.addr == "" {
		t.Fatalf("replica %s did not start", name)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return r
}

// TestThreeReplicasOnePostgres: three OS processes run the engine for one
// location on one Postgres. The app's edits arrive at all three, people
// work in HighLevel, webhooks reach any of them; halfway, the replica
// holding the pull lease is killed with SIGKILL. Another takes over, and
// at the end both sides hold the same people, nothing twice, no edit lost,
// and no contact was written by two replicas at once (from ghltest's log).
func TestThreeReplicasOnePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("three processes and a Postgres server")
	}
	pgURL := startPostgres(t)
	ctx := context.Background()
	pool := newPool(t, pgURL)
	if _, err := pool.Exec(ctx, appSchema); err != nil {
		t.Fatal(err)
	}
	if _, err := pgstate.Open(ctx, pool, ghltest.DefaultLocationID); err != nil { // the schema, once
		t.Fatal(err)
	}
	srv := ghltest.NewServer(ghltest.WithToken("replica-token", ghltest.DefaultLocationID), ghltest.WithToken("office", ghltest.DefaultLocationID),
		ghltest.WithRateLimit(1_000_000, time.Second))
	t.Cleanup(srv.Close)
	key := srv.WebhookSigner().Ed25519PublicKey()
	var replicas []*replica
	for _, name := range []string{"r1", "r2", "r3"} {
		replicas = append(replicas, startReplica(t, name, pgURL, srv.URL(), key))
	}
	live := func() []*replica {
		return slices.DeleteFunc(slices.Clone(replicas), func(r *replica) bool { return r.dead.Load() })
	}
	// Webhooks go to the replicas in turn (a load balancer), skipping the dead.
	var turn atomic.Int64
	forward := func(path string, body []byte, header http.Header) error {
		var err error
		for range 3 {
			rs := live()
			r := rs[int(turn.Add(1))%len(rs)]
			req, _ := http.NewRequest(http.MethodPost, "http://"+r.addr+path, bytes.NewReader(body))
			req.Header = header.Clone()
			var resp *http.Response
			if resp, err = http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
				if resp.StatusCode < 300 {
					return nil
				}
				err = fmt.Errorf("%s answered %d", r.name, resp.StatusCode)
			}
		}
		return err
	}
	balancer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := forward("/webhooks", body, r.Header); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
		}
	}))
	t.Cleanup(balancer.Close)
	srv.DeliverWebhooks(balancer.URL, nil)
	office, err := ghl.NewClient(ghl.WithBaseURL(srv.URL()), ghl.WithToken("office"), ghl.WithLocation(ghltest.DefaultLocationID),
		ghl.WithUserAgent("office"), ghl.WithoutRateLimiter())
	if err != nil {
		t.Fatal(err)
	}
	sendEdit := func(e edit) {
		t.Helper()
		body, _ := json.Marshal(e)
		if err := forward("/edit", body, http.Header{"Content-Type": {"application/json"}}); err != nil {
			t.Fatal(err)
		}
	}
	st, err := pgstate.Open(ctx, pool, ghltest.DefaultLocationID)
	if err != nil {
		t.Fatal(err)
	}

	// Twenty people made in the app; then edits on both sides: the app
	// writes last names, "app-" tags and notes; the office writes cities,
	// "hl-" tags and notes. Disjoint fields: each side's last write must
	// hold, and every tag and note must be on both sides once.
	const people = 20
	for i := range people {
		sendEdit(edit{ID: fmt.Sprintf("p%02d", i), Create: fmt.Sprintf("p%02d@example.com", i)})
	}
	testenv.WaitFor(t, "every person linked", func() bool {
		n := 0
		for i := range people {
			if _, ok, _ := st.RemoteID(ctx, ghlsync.KindContact, fmt.Sprintf("p%02d", i)); ok {
				n++
			}
		}
		return n == people
	})
	rng := rand.New(rand.NewPCG(11, 11))
	lastName, city := map[string]string{}, map[string]string{}
	tags, notes := map[string][]string{}, map[string][]string{}
	var killed *replica
	for step := range 300 {
		id := fmt.Sprintf("p%02d", rng.IntN(people))
		rid, _, _ := st.RemoteID(ctx, ghlsync.KindContact, id)
		switch rng.IntN(6) {
		case 0:
			v := fmt.Sprint("L", step)
			sendEdit(edit{ID: id, LastName: v})
			lastName[id] = v
		case 1:
			v := fmt.Sprint("app-", step)
			sendEdit(edit{ID: id, Tag: v})
			tags[id] = append(tags[id], v)
		case 2:
			v := fmt.Sprint("a-", step)
			sendEdit(edit{ID: id, Note: v})
			notes[id] = append(notes[id], v)
		case 3:
			v := fmt.Sprint("C", step)
			if _, err := office.Contacts.Update(ctx, rid, ghl.UpdateContactRequest{City: &v}); err != nil {
				t.Fatal(err)
			}
			city[id] = v
		case 4:
			v := fmt.Sprint("hl-", step)
			if _, err := office.Tags.Add(ctx, rid, []string{v}); err != nil {
				t.Fatal(err)
			}
			tags[id] = append(tags[id], v)
		case 5:
			v := fmt.Sprint("h-", step)
			if _, err := office.Notes.Create(ctx, rid, ghl.CreateNoteRequest{Body: v}); err != nil {
				t.Fatal(err)
			}
			notes[id] = append(notes[id], v)
		}
		if step == 150 { // kill the puller, mid-cycle
			var holder string
			if err := pool.QueryRow(ctx, `SELECT holder FROM ghlsync_leases WHERE location = $1 AND name = 'pull'`,
				ghltest.DefaultLocationID).Scan(&holder); err != nil {
				t.Fatal(err)
			}
			for _, r := range replicas {
				if r.name == holder {
					killed = r
				}
			}
			killed.dead.Store(true)
			_ = killed.cmd.Process.Signal(syscall.SIGKILL)
			t.Logf("step %d: killed %s, the pull lease holder", step, holder)
		}
		if rng.IntN(8) == 0 { // now and then, let the webhooks in flight land first
			_ = srv.WaitWebhooks(ctx)
		}
	}
	_ = srv.WaitWebhooks(ctx)

	// Until both sides agree (each side's last write holds everywhere).
	var mismatch string
	testenv.WaitFor(t, "both sides equal", func() bool {
		mismatch = ""
		for i := range people {
			id := fmt.Sprintf("p%02d", i)
			p, _, err := pgApp{pool}.Person(ctx, id)
			rid, _, _ := st.RemoteID(ctx, ghlsync.KindContact, id)
			c, ok := srv.Contact(ghltest.DefaultLocationID, rid)
			if err != nil || !ok {
				mismatch = id + ": not found"
				return false
			}
			hlNotes, err := office.Notes.List(ctx, rid)
			if err != nil {
				mismatch = err.Error()
				return false
			}
			var hn, an []string
			for _, n := range hlNotes {
				hn = append(hn, n.Body)
			}
			for _, n := range p.Notes {
				an = append(an, n.Body)
			}
			slices.Sort(hn)
			slices.Sort(an)
			want := slices.Sorted(slices.Values(notes[id]))
			wantTags := ghlsync.NormalizeTags(tags[id])
			switch {
			case p.Record.Get(ghlsync.FieldLastName) != lastName[id] || c.LastName != lastName[id]:
				mismatch = fmt.Sprintf("%s last name: app %q, HighLevel %q, want %q", id, p.Record.Get(ghlsync.FieldLastName), c.LastName, lastName[id])
			case p.Record.Get(ghlsync.FieldCity) != city[id] || c.City != city[id]:
				mismatch = fmt.Sprintf("%s city: app %q, HighLevel %q, want %q", id, p.Record.Get(ghlsync.FieldCity), c.City, city[id])
			case !slices.Equal(ghlsync.NormalizeTags(p.Record.Tags), wantTags) || !slices.Equal(ghlsync.NormalizeTags(c.Tags), wantTags):
				mismatch = fmt.Sprintf("%s tags: app %v, HighLevel %v, want %v", id, p.Record.Tags, c.Tags, wantTags)
			case !slices.Equal(an, want) || !slices.Equal(hn, want):
				mismatch = fmt.Sprintf("%s notes: app %v, HighLevel %v, want %v", id, an, hn, want)
			}
			if mismatch != "" {
				return false
			}
		}
		return true
	}, func() string { return mismatch })

	// Nothing twice.
	if n := srv.ContactCount(ghltest.DefaultLocationID); n != people {
		t.Errorf("HighLevel holds %d contacts, want %d", n, people)
	}
	// Another replica pulls.
	var holder string
	_ = pool.QueryRow(ctx, `SELECT holder FROM ghlsync_leases WHERE location = $1 AND name = 'pull'`, ghltest.DefaultLocationID).Scan(&holder)
	if holder == killed.name {
		t.Errorf("the pull lease is still %s's, killed", holder)
	}
	// One puller at a time: the feed's searches change hands once, at the kill.
	var pollers []string
	for _, r := range srv.Requests() {
		if r.Path == "/contacts/search" && strings.HasPrefix(r.Header.Get("User-Agent"), "replica-") {
			ua := strings.Fields(r.Header.Get("User-Agent"))[0]
			if len(pollers) == 0 || pollers[len(pollers)-1] != ua {
				pollers = append(pollers, ua)
			}
		}
	}
	if len(pollers) > 2 {
		t.Errorf("the feed was polled by %v in turn: more than one puller at a time", pollers)
	}
	// No contact written by two replicas at once.
	type write struct {
		who      string
		from, to time.Time
	}
	writes := map[string][]write{}
	for _, r := range srv.Requests() {
		ua := r.Header.Get("User-Agent")
		if r.Method == http.MethodGet || !strings.HasPrefix(ua, "replica-") || !strings.HasPrefix(r.Path, "/contacts/") || r.Answered.IsZero() {
			continue
		}
		parts := strings.Split(r.Path, "/")
		if len(parts) < 3 || parts[2] == "" || parts[2] == "search" {
			continue
		}
		writes[parts[2]] = append(writes[parts[2]], write{strings.Fields(ua)[0], r.Received, r.Answered})
	}
	overlaps := 0
	for contact, ws := range writes {
		for i := range ws {
			for j := range i {
				if ws[i].who != ws[j].who && ws[i].from.Before(ws[j].to) && ws[j].from.Before(ws[i].to) {
					overlaps++
					t.Errorf("contact %s written by %s and %s at once", contact, ws[i].who, ws[j].who)
				}
			}
		}
	}
	n := 0
	for _, ws := range writes {
		n += len(ws)
	}
	t.Logf("%d people, 300 edits, %s killed at step 150; lease then held by %s; %d writes by the replicas, %d overlapping; pollers in turn %v",
		people, killed.name, holder, n, overlaps, pollers)
}
