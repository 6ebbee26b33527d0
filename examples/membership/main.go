// Command membership is a membership platform kept in step with HighLevel
// by ghlsync.Engine, run against ghltest (a throwaway fake HighLevel): no
// credentials, no network.
//
//	go run ./examples/membership                 # a generated export of 300 members
//	go run ./examples/membership -in members.csv # yours (email,first_name,plan,status)
//
// It imports the members into the app (one per email, later rows filling
// in), and the engine pushes them: members already in HighLevel are matched
// by email, the plan goes to a custom field, the status to a "status:" tag
// that replaces an older one. Then someone adds a member in HighLevel: the
// app takes them in and gives them an onboarding task, which goes back.
// For 100,000 rows at once, see examples/bulkimport.
package main

import (
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghlsync"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/webhook"
)

// club is the app's database of members.
type club struct {
	members map[string]ghlsync.Person
	engine  *ghlsync.Engine
}

func (c *club) Person(_ context.Context, id string) (ghlsync.Person, bool, error) {
	p, ok := c.members[id]
	return p, ok, nil
}
func (c *club) MarkInactive(_ context.Context, id string) error {
	p := c.members[id]
	p.Inactive = true
	c.members[id] = p
	return nil
}
func (c *club) Changed(_ context.Context, mark string) ([]string, string, error) {
	return nil, mark, nil
}

// SavePerson keeps one status tag (the app's) and gives a member who
// joined in HighLevel an onboarding task; such changes go back.
func (c *club) SavePerson(ctx context.Context, p ghlsync.Person) error {
	_, known := c.members[p.ID]
	own := slices.DeleteFunc(slices.Clone(p.Record.Tags), func(t string) bool { return strings.HasPrefix(t, "status:") && t != status(c.members[p.ID]) })
	changed := len(own) != len(p.Record.Tags)
	p.Record.Tags = own
	if !known {
		p.Tasks = append(p.Tasks, ghlsync.Task{LocalID: p.ID + "-onboarding", Title: "Onboarding call", DueDate: time.Now().Add(24 * time.Hour)})
		changed = true
	}
	c.members[p.ID] = p
	if changed {
		return c.engine.Changed(ctx, p.ID)
	}
	return nil
}

func status(p ghlsync.Person) string {
	i := slices.IndexFunc(p.Record.Tags, func(t string) bool { return strings.HasPrefix(t, "status:") })
	if i < 0 {
		return ""
	}
	return p.Record.Tags[i]
}

// importCSV reads members into the app: one per email, later rows filling
// in; rows without an email are counted and skipped.
func (c *club) importCSV(ctx context.Context, r io.Reader, planField string) (members, skipped int, err error) {
	rows, err := csv.NewReader(r).ReadAll()
	for _, row := range rows[min(1, len(rows)):] { // after the header
		email := strings.ToLower(strings.TrimSpace(row[0]))
		if email == "" || err != nil {
			skipped++
			continue
		}
		p, ok := c.members[email]
		p.ID, members = email, members+b2i(!ok)
		p.Record = p.Record.Set(ghlsync.FieldEmail, email)
		for field, v := range map[string]string{ghlsync.FieldFirstName: row[1], planField: row[2]} {
			if v != "" {
				p.Record = p.Record.Set(field, v)
			}
		}
		if row[3] != "" {
			p.Record.Tags = []string{"status:" + row[3]}
		}
		c.members[email] = p
		if err := c.engine.Changed(ctx, email); err != nil {
			return members, skipped, err
		}
	}
	return members, skipped, err
}

func b2i(b bool) int { return map[bool]int{true: 1}[b] }

func main() {
	in := flag.String("in", "", "CSV of members (default: a generated export)")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, *in, 300); err != nil {
		fmt.Fprintln(os.Stderr, "membership:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, in string, n int) error {
	// ghltest's limit shrunk to 100 requests per 100 ms for a quick demo;
	// HighLevel's is 100 per 10 s, which the client keeps to by itself.
	srv := ghltest.NewServer(ghltest.WithRateLimit(100, 100*time.Millisecond), ghltest.WithToken("office", ghltest.DefaultLocationID))
	defer srv.Close()
	client, _ := srv.Client()
	office, _ := ghl.NewClient(ghl.WithBaseURL(srv.URL()), ghl.WithToken("office"), ghl.WithLocation(ghltest.DefaultLocationID))
	plan, err := office.CustomFields.Create(ctx, "", ghl.CreateCustomFieldRequest{Name: "Membership plan", DataType: ghl.FieldText})
	if err != nil {
		return err
	}
	_, _ = office.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("member7@example.com"), Tags: []string{"status:lapsed", "newsletter"}})

	app := &club{members: map[string]ghlsync.Person{}}
	app.engine, err = ghlsync.NewEngine(client, app, ghlsync.EngineOptions{Merge: ghlsync.MergeOptions{Policy: ghlsync.LocalWins}})
	if err != nil {
		return err
	}
	verifier, _ := srv.WebhookVerifier()
	hooks := httptest.NewServer(webhook.NewHandler(verifier, app.engine.Handle))
	defer hooks.Close()
	srv.DeliverWebhooks(hooks.URL, nil)

	src := io.Reader(strings.NewReader(export(n)))
	if in != "" {
		f, err := os.Open(in)
		if err != nil {
			return err
		}
		defer f.Close()
		src = f
	}
	members, skipped, err := app.importCSV(ctx, src, "customFields."+plan.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Imported %d members (%d rows without an email skipped).\n", members, skipped)
	for i := range 3 {
		if i == 2 { // someone adds a member in HighLevel
			_, _ = office.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("walk-in@example.com"), FirstName: ghl.Ptr("Wren")})
		}
		_ = srv.WaitWebhooks(ctx)
		sum, err := app.engine.RunOnce(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "Cycle %d: %d created, %d adopted, %d pushed, %d tasks, %d failed, %d requests.\n",
			sum.Run, sum.Created, sum.Adopted, sum.Pushed, sum.Items, sum.Failed, sum.Requests)
	}
	fmt.Fprintf(out, "HighLevel holds %d contacts: none twice.\n", srv.ContactCount(ghltest.DefaultLocationID))
	m7 := app.members["member7@example.com"]
	fmt.Fprintf(out, "member7 was lapsed in HighLevel: now tags %v, plan %q.\n", m7.Record.Tags, m7.Record.Get("customFields."+plan.ID))
	for id, p := range app.members {
		if strings.HasPrefix(id, "ghl-") {
			fmt.Fprintf(out, "%s joined in HighLevel: a member here, with the task %q there.\n", p.Record.Get(ghlsync.FieldFirstName), p.Tasks[0].Title)
		}
	}
	return nil
}

// export makes n members, 1 in 40 repeated (a later row filling in) and
// 2 rows without an email.
func export(n int) string {
	var b strings.Builder
	b.WriteString("email,first_name,plan,status\n")
	for i := range n {
		fmt.Fprintf(&b, "member%d@example.com,M%d,%s,active\n", i, i, []string{"monthly", "annual", "lifetime"}[i%3])
		if i%40 == 0 {
			fmt.Fprintf(&b, "Member%d@Example.com,,annual,\n", i)
		}
	}
	return b.String() + ",No,monthly,active\n,Email,annual,active\n"
}
