package acceptance

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghlsync"
	"github.com/ghlkit/ghl/webhook"
)

// Member is a membership platform's member, keyed by email.
type Member struct {
	Email               string
	FirstName, LastName string
	Phone               string
	Plan                string   // in HighLevel: the custom field Membership.PlanField
	Status              string   // in HighLevel: the tag "status:<status>"
	Tags                []string // the member's other tags, kept in step both ways
}

// Mapping names the CSV column of each member field; an empty name keeps
// the default (email, first_name, last_name, phone, plan, status).
type Mapping struct{ Email, FirstName, LastName, Phone, Plan, Status string }

// ImportReport says what Import did.
type ImportReport struct {
	Rows       int // data rows read
	Duplicates int // rows folded into an earlier row with the same email
	Members    int // members in step with HighLevel after the import
	Failed     int // members whose rows went to the failures file
}

// Membership imports a membership platform's members into HighLevel, then
// keeps them in step live: member changes pushed, tags, notes and tasks
// synced both ways, and an onboarding task for each contact new in
// HighLevel.
type Membership struct {
	Client    *ghl.Client
	PlanField string        // the plan custom field's key, e.g. "contact.plan"
	State     ghlsync.State // nil means in memory
	Quiet     time.Duration // how long without webhooks before polling (default 1 minute)
	// SweepBatch is how many members' tasks and notes are re-read per quiet
	// period while webhooks are stopped (default 100): a task or note added
	// in HighLevel leaves the contact's dateUpdated as it was, so polling
	// contacts cannot see it.
	SweepBatch int
	// Concurrency is the import's requests in flight (default 8); the
	// client's rate limiter paces them.
	Concurrency int

	mu     sync.Mutex
	w      *twoWay
	reg    *ghl.FieldRegistry
	planID string
}

// ready looks the plan field up once: the sync needs its ID.
func (m *Membership) ready(ctx context.Context) (*twoWay, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.w != nil {
		return m.w, nil
	}
	reg, err := m.Client.CustomFields.NewFieldRegistry("", 0)
	if err != nil {
		return nil, err
	}
	def, err := reg.Field(ctx, m.PlanField)
	if err != nil {
		return nil, fmt.Errorf("the plan field %q: %w", m.PlanField, err)
	}
	m.reg, m.planID = reg, def.ID
	m.w = newTwoWay(m.Client, m.State, ghlsync.MergeOptions{}, []string{ghlsync.FieldFirstName, ghlsync.FieldLastName,
		ghlsync.FieldEmail, ghlsync.FieldPhone, "customFields." + def.ID, "tags"}, m.Quiet)
	m.w.sweepBatch = m.SweepBatch
	m.w.adopt = func(c ghl.Contact) (string, []ghlsync.Task) {
		id := strings.ToLower(c.Email)
		if id == "" {
			id = "ghl:" + c.ID
		}
		return id, []ghlsync.Task{{LocalID: id + "/onboarding", Title: "Onboarding call",
			DueDate: time.Now().Add(72 * time.Hour).Truncate(time.Second), UpdatedAt: time.Now()}}
	}
	return m.w, nil
}

// Import reads members from a CSV, folds rows with the same email into one
// (later non-empty cells win), checks each member (an email, a plan among
// the field's options) and syncs the valid ones, matching members already
// in HighLevel by email so none is created twice. progress is called as the
// import goes. Rows that failed are written to failures, with the file's
// own columns and an "error" column, so the file can be fixed and imported
// again as it is.
func (m *Membership) Import(ctx context.Context, r io.Reader, mp Mapping, progress func(ghl.BulkProgress), failures io.Writer) (*ImportReport, error) {
	w, err := m.ready(ctx)
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read the CSV header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	cols := [6]string{mp.Email, mp.FirstName, mp.LastName, mp.Phone, mp.Plan, mp.Status}
	for i, def := range [6]string{"email", "first_name", "last_name", "phone", "plan", "status"} {
		if cols[i] == "" {
			cols[i] = def
		}
	}
	if _, ok := col[strings.ToLower(cols[0])]; !ok {
		return nil, fmt.Errorf("the CSV has no %q column for the email", cols[0])
	}
	cell := func(row []string, name string) string {
		if i, ok := col[strings.ToLower(name)]; ok && i < len(row) {
			return strings.TrimSpace(row[i])
		}
		return ""
	}

	rep := &ImportReport{}
	var order []string              // emails, first seen first
	rows := map[string][][]string{} // the rows of each email, for the failures file
	members := map[string]*Member{} // folded
	bad := map[string]error{}       // refused before sending
	var noEmail [][]string          // rows without a usable email
	for {
		row, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read the CSV: %w", err)
		}
		rep.Rows++
		email := strings.ToLower(cell(row, cols[0]))
		if !strings.Contains(email, "@") {
			noEmail = append(noEmail, row)
			continue
		}
		mb, seen := members[email]
		if !seen {
			mb = &Member{Email: email}
			members[email] = mb
			order = append(order, email)
		} else {
			rep.Duplicates++
		}
		rows[email] = append(rows[email], row)
		for i, dst := range []*string{&mb.FirstName, &mb.LastName, &mb.Phone, &mb.Plan, &mb.Status} {
			if v := cell(row, cols[i+1]); v != "" {
				*dst = v
			}
		}
	}
	var valid []string
	for _, email := range order {
		if p := members[email].Plan; p != "" {
			if _, err := m.reg.Input(ctx, m.PlanField, p); err != nil {
				bad[email] = err
				continue
			}
		}
		valid = append(valid, email)
	}

	report := ghl.RunBulk(ctx, valid, func(ctx context.Context, email string) (struct{}, error) {
		return struct{}{}, m.importOne(ctx, w, *members[email])
	}, ghl.BulkOptions{Concurrency: m.Concurrency, Progress: progress, ProgressInterval: 200 * time.Millisecond})
	for _, it := range report.Items {
		if it.Err != nil {
			bad[it.Input] = it.Err
		}
	}
	rep.Members = len(valid) - countIn(bad, valid)
	rep.Failed = len(bad)

	if len(bad)+len(noEmail) > 0 && failures != nil {
		fw := csv.NewWriter(failures)
		errCol := "error"
		for slices.Contains(header, errCol) {
			errCol = "_" + errCol
		}
		_ = fw.Write(append(slices.Clone(header), errCol))
		for _, row := range noEmail {
			_ = fw.Write(append(padTo(row, len(header)), "no valid email"))
		}
		for _, email := range order {
			if err := bad[email]; err != nil {
				for _, row := range rows[email] {
					_ = fw.Write(append(padTo(row, len(header)), err.Error()))
				}
			}
		}
		fw.Flush()
		if err := fw.Error(); err != nil {
			return rep, fmt.Errorf("write the failures: %w", err)
		}
	}
	rep.Failed += len(noEmail)
	return rep, nil
}

// importOne syncs one member. An existing contact may hold another status
// tag: the member's status replaces it.
func (m *Membership) importOne(ctx context.Context, w *twoWay, mb Member) error {
	err := w.save(ctx, mb.Email, func(p *person) { p.rec = m.record(mb, p.rec.Tags) })
	if err != nil {
		return err
	}
	p, _ := w.get(mb.Email)
	if stale := staleStatus(p.rec.Tags, mb.Status); len(stale) > 0 {
		return w.save(ctx, mb.Email, func(p *person) {
			p.rec.Tags = slices.DeleteFunc(slices.Clone(p.rec.Tags), func(t string) bool { return slices.Contains(stale, t) })
		})
	}
	return nil
}

// Update pushes a member changed in the platform. Tags nil keeps the
// member's other tags as they are.
func (m *Membership) Update(ctx context.Context, mb Member) error {
	w, err := m.ready(ctx)
	if err != nil {
		return err
	}
	mb.Email = strings.ToLower(mb.Email)
	if mb.Plan != "" {
		if _, err := m.reg.Input(ctx, m.PlanField, mb.Plan); err != nil {
			return err
		}
	}
	return w.save(ctx, mb.Email, func(p *person) {
		keep := p.rec.Tags
		if mb.Tags != nil {
			keep = nil
		}
		p.rec = m.record(mb, keep)
	})
}

// AddNote adds a note to a member, in the platform and in HighLevel.
func (m *Membership) AddNote(ctx context.Context, email, body string) error {
	w, err := m.ready(ctx)
	if err != nil {
		return err
	}
	id := strings.ToLower(email)
	return w.save(ctx, id, func(p *person) {
		p.notes = append(p.notes, ghlsync.Note{LocalID: fmt.Sprintf("%s/note-%d", id, len(p.notes)+1), Body: body, UpdatedAt: time.Now()})
	})
}

// AddTask adds a task to a member, in the platform and in HighLevel.
func (m *Membership) AddTask(ctx context.Context, email, title string, due time.Time) error {
	w, err := m.ready(ctx)
	if err != nil {
		return err
	}
	id := strings.ToLower(email)
	return w.save(ctx, id, func(p *person) {
		p.tasks = append(p.tasks, ghlsync.Task{LocalID: fmt.Sprintf("%s/task-%d", id, len(p.tasks)+1), Title: title,
			DueDate: due.Truncate(time.Second), UpdatedAt: time.Now()})
	})
}

// Webhook takes HighLevel's verified webhook deliveries.
func (m *Membership) Webhook(ctx context.Context, ev webhook.Event) error {
	w, err := m.ready(ctx)
	if err != nil {
		return err
	}
	return w.handle(ctx, ev)
}

// Pump pushes what waits and pulls what changed in HighLevel.
func (m *Membership) Pump(ctx context.Context) error {
	w, err := m.ready(ctx)
	if err != nil {
		return err
	}
	return w.pump(ctx)
}

// Member returns the platform's copy of a member, with its tasks and notes.
func (m *Membership) Member(email string) (mb Member, tasks []ghlsync.Task, notes []ghlsync.Note, ok bool) {
	m.mu.Lock()
	w := m.w
	m.mu.Unlock()
	if w == nil {
		return Member{}, nil, nil, false
	}
	p, ok := w.get(strings.ToLower(email))
	if !ok {
		return Member{}, nil, nil, false
	}
	r := p.rec
	mb = Member{Email: r.Get(ghlsync.FieldEmail), FirstName: r.Get(ghlsync.FieldFirstName), LastName: r.Get(ghlsync.FieldLastName),
		Phone: r.Get(ghlsync.FieldPhone)}
	_ = json.Unmarshal([]byte(r.Get("customFields."+m.planID)), &mb.Plan)
	for _, t := range r.Tags {
		if s, ok := strings.CutPrefix(t, "status:"); ok {
			mb.Status = s
		} else {
			mb.Tags = append(mb.Tags, t)
		}
	}
	return mb, p.tasks, p.notes, true
}

// Members lists the platform's member IDs (emails, or "ghl:<contact ID>"
// for a HighLevel contact without one).
func (m *Membership) Members() []string {
	m.mu.Lock()
	w := m.w
	m.mu.Unlock()
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return mapKeys(w.people)
}

// Pending says how many members wait to be pushed.
func (m *Membership) Pending() int {
	m.mu.Lock()
	w := m.w
	m.mu.Unlock()
	if w == nil {
		return 0
	}
	return w.pending()
}

// ContactID is the HighLevel contact linked to a member.
func (m *Membership) ContactID(ctx context.Context, email string) (string, bool) {
	w, err := m.ready(ctx)
	if err != nil {
		return "", false
	}
	return w.contactID(ctx, strings.ToLower(email))
}

// record is a member as the sync holds it; keep carries tags the member
// already had in HighLevel (other than a status).
func (m *Membership) record(mb Member, keep []string) ghlsync.Record {
	tags := slices.Clone(mb.Tags)
	for _, t := range keep {
		if !strings.HasPrefix(t, "status:") {
			tags = append(tags, t)
		}
	}
	if mb.Status != "" {
		tags = append(tags, "status:"+strings.ToLower(mb.Status))
	}
	r := ghlsync.Record{Tags: ghlsync.NormalizeTags(tags)}
	r = r.Set(ghlsync.FieldEmail, strings.ToLower(mb.Email)).Set(ghlsync.FieldFirstName, mb.FirstName).
		Set(ghlsync.FieldLastName, mb.LastName).Set(ghlsync.FieldPhone, mb.Phone)
	if mb.Plan != "" {
		v, _ := json.Marshal(mb.Plan)
		r = r.Set("customFields."+m.planID, string(v))
	}
	return r
}

// staleStatus lists the status tags other than status.
func staleStatus(tags []string, status string) []string {
	var out []string
	for _, t := range tags {
		if strings.HasPrefix(t, "status:") && t != "status:"+strings.ToLower(status) {
			out = append(out, t)
		}
	}
	return out
}

func padTo(row []string, n int) []string {
	out := make([]string, max(n, len(row)))
	copy(out, row)
	return out[:n]
}

func countIn(m map[string]error, keys []string) int {
	n := 0
	for _, k := range keys {
		if _, ok := m[k]; ok {
			n++
		}
	}
	return n
}
