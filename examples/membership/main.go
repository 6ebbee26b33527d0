// Command membership runs the membership-platform integration of package
// scenarios against ghltest, a throwaway fake HighLevel: no credentials, no
// network.
//
//	go run ./examples/membership                 # a generated export of 5,000 members
//	go run ./examples/membership -in members.csv # your export, into the fake
//
// It imports the members (columns email, first_name, last_name, phone, plan,
// status; rows with one email are folded, members already in HighLevel are
// matched, the plan goes to a custom field by key and the status to a tag)
// with a progress line, writes the rows that failed to a CSV that can be
// fixed and imported again, then goes live: a contact made in HighLevel gets
// an onboarding task. ghltest's limit is shrunk to 100 requests per 100 ms
// so the demo is quick; HighLevel allows 100 per 10 seconds.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/scenarios"
	"github.com/ghlkit/ghl/webhook"
)

func main() {
	in := flag.String("in", "", "CSV of members (default: a generated export)")
	n := flag.Int("members", 5000, "members in the generated export")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, *in, *n); err != nil {
		fmt.Fprintln(os.Stderr, "membership:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, in string, n int) error {
	if n < 1 {
		return errors.New("-members must be at least 1")
	}
	srv := ghltest.NewServer(ghltest.WithRateLimit(100, 100*time.Millisecond), ghltest.WithToken("ui-token", ghltest.DefaultLocationID))
	defer srv.Close()
	srv.AddCustomField(ghltest.DefaultLocationID, ghl.CustomFieldDefinition{Name: "Membership plan", FieldKey: "contact.membership_plan",
		DataType: ghl.FieldSingleOptions, PicklistOptions: []string{"monthly", "annual", "lifetime"}})
	office, err := ghl.NewClient(ghl.WithBaseURL(srv.URL()), ghl.WithToken("ui-token"), ghl.WithLocation(ghltest.DefaultLocationID))
	if err != nil {
		return err
	}
	for i := range min(n, 25) { // some members are in HighLevel already
		if _, err := office.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr(fmt.Sprintf("member%d@example.com", i*7)),
			Tags: []string{"status:lapsed", "newsletter"}}); err != nil {
			return err
		}
	}

	client, err := srv.Client()
	if err != nil {
		return err
	}
	app := &scenarios.Membership{Client: client, PlanField: "contact.membership_plan", Quiet: 2 * time.Second}
	verifier, err := srv.WebhookVerifier()
	if err != nil {
		return err
	}
	receiver := httptest.NewServer(webhook.NewHandler(verifier, app.Webhook))
	defer receiver.Close()
	srv.DeliverWebhooks(receiver.URL, nil)

	var src io.Reader
	if in == "" {
		src = strings.NewReader(export(n))
		fmt.Fprintf(out, "Importing a generated export of %d members (plus repeats and a few bad rows) into ghltest at %s.\n", n, srv.URL())
	} else {
		f, err := os.Open(in)
		if err != nil {
			return err
		}
		defer f.Close()
		src = f
		fmt.Fprintf(out, "Importing %s into ghltest at %s (a throwaway fake: nothing reaches HighLevel).\n", in, srv.URL())
	}
	failures, err := os.CreateTemp("", "membership-failures-*.csv")
	if err != nil {
		return err
	}
	defer failures.Close()
	rep, err := app.Import(ctx, src, scenarios.Mapping{}, func(p ghl.BulkProgress) {
		fmt.Fprintf(out, "\r%5d/%d members  %6.1f/s", p.Done, p.Total, p.Rate)
	}, failures)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nRead %d rows: %d repeats folded, %d members in HighLevel, %d failed.\n", rep.Rows, rep.Duplicates, rep.Members, rep.Failed)
	if rep.Failed > 0 {
		fmt.Fprintf(out, "The failed rows, with an \"error\" column, are in %s: fix them and import that file again.\n", failures.Name())
	}
	fmt.Fprintf(out, "HighLevel holds %d contacts: none twice.\n", srv.ContactCount(ghltest.DefaultLocationID))

	// Live: someone adds a member in HighLevel.
	if _, err := office.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("walk-in@example.com"), FirstName: ghl.Ptr("Wren")}); err != nil {
		return err
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		_ = srv.WaitWebhooks(ctx)
		if err := app.Pump(ctx); err != nil {
			fmt.Fprintln(out, "pump:", err)
		}
		if _, tasks, _, ok := app.Member("walk-in@example.com"); ok && len(tasks) == 1 && tasks[0].RemoteID != "" {
			fmt.Fprintf(out, "Wren joined in HighLevel: now a member here, with the task %q there.\n", tasks[0].Title)
			break
		}
		if time.Now().After(deadline) {
			return errors.New("the new HighLevel contact did not arrive")
		}
		time.Sleep(100 * time.Millisecond)
	}
	m, _, _, _ := app.Member("member7@example.com")
	fmt.Fprintf(out, "member7 was lapsed in HighLevel; now status %q, plan %q, tags %v.\n", m.Status, m.Plan, m.Tags)
	return nil
}

// export makes n members, 1 in 40 repeated with a new phone, 1 in 100 with
// a plan the field does not offer, and 3 rows without an email.
func export(n int) string {
	r := rand.New(rand.NewPCG(3, 3))
	plans := []string{"monthly", "annual", "lifetime"}
	var b strings.Builder
	b.WriteString("email,first_name,last_name,phone,plan,status\n")
	for i := range n {
		plan := plans[r.IntN(3)]
		if i%100 == 99 {
			plan = "weekly"
		}
		fmt.Fprintf(&b, "member%d@example.com,M%d,Member,+1555%07d,%s,active\n", i, i, i, plan)
		if i%40 == 0 {
			fmt.Fprintf(&b, "Member%d@Example.com,,,+1777%07d,,\n", i, i)
		}
	}
	b.WriteString(",No,Email,,monthly,active\n,No,Email,,annual,active\n,No,Email,,monthly,active\n")
	return b.String()
}
