// Command fieldservice runs the field-service integration of package
// scenarios against ghltest, a throwaway fake HighLevel: no credentials, no
// network.
//
//	go run ./examples/fieldservice
//
// The app saves three customers (each gets a follow-up task in HighLevel),
// changes one's address (a note in HighLevel says so), someone in HighLevel
// tags one customer and writes a note on another, and both come back into
// the app through signed webhooks. It prints the customers, their history
// and the dashboard. The code it runs is scenarios.FieldService: a page of
// SDK calls (sync.Syncer, sync.SyncTasks, sync.SyncNotes, sync.Stream,
// webhook.Handler) you can copy.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"slices"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/scenarios"
	"github.com/ghlkit/ghl/webhook"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "fieldservice:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer) error {
	srv := ghltest.NewServer(ghltest.WithToken("ui-token", ghltest.DefaultLocationID))
	defer srv.Close()
	client, err := srv.Client()
	if err != nil {
		return err
	}
	app := &scenarios.FieldService{Client: client, Quiet: 2 * time.Second}

	// HighLevel signs its webhooks; the handler verifies the raw body and
	// drops replays before the app sees them.
	verifier, err := srv.WebhookVerifier()
	if err != nil {
		return err
	}
	receiver := httptest.NewServer(webhook.NewHandler(verifier, app.Webhook))
	defer receiver.Close()
	srv.DeliverWebhooks(receiver.URL, nil)
	fmt.Fprintf(out, "HighLevel is ghltest at %s; webhooks go to %s.\n\n", srv.URL(), receiver.URL)

	customers := []scenarios.Customer{
		{ID: "cus-1", FirstName: "Ana", LastName: "Reyes", Email: "ana@example.com", Phone: "+15125550101", Address: "12 Elm St", City: "Austin"},
		{ID: "cus-2", FirstName: "Ben", LastName: "Okafor", Email: "ben@example.com", Phone: "+15125550102", Address: "4 Oak Ave", City: "Austin"},
		{ID: "cus-3", FirstName: "Cara", LastName: "Lind", Email: "cara@example.com", Phone: "+15125550103", Address: "88 Pine Rd", City: "Round Rock"},
	}
	for _, c := range customers {
		if err := app.Save(ctx, c); err != nil {
			return err
		}
	}
	moved := customers[0]
	moved.Address = "300 Lamar Blvd"
	if err := app.Save(ctx, moved); err != nil {
		return err
	}
	fmt.Fprintln(out, "Saved 3 customers (3 follow-up tasks in HighLevel), then Ana moved (a note in HighLevel).")

	// Someone at the office works in HighLevel.
	office, err := ghl.NewClient(ghl.WithBaseURL(srv.URL()), ghl.WithToken("ui-token"), ghl.WithLocation(ghltest.DefaultLocationID))
	if err != nil {
		return err
	}
	ana, _ := app.ContactID(ctx, "cus-1")
	ben, _ := app.ContactID(ctx, "cus-2")
	if _, err := office.Tags.Add(ctx, ana, []string{"priority"}); err != nil {
		return err
	}
	if _, err := office.Notes.Create(ctx, ben, ghl.CreateNoteRequest{Body: "Dog in the yard; call before arriving"}); err != nil {
		return err
	}
	fmt.Fprintln(out, "In HighLevel: Ana tagged \"priority\", a note written on Ben.")

	// The app's loop: pump until both changes are in.
	deadline := time.Now().Add(20 * time.Second)
	for {
		_ = srv.WaitWebhooks(ctx)
		if err := app.Pump(ctx); err != nil {
			fmt.Fprintln(out, "pump:", err) // typed errors; the next pump tries again
		}
		a, _ := app.Customer("cus-1")
		if slices.Contains(a.Tags, "priority") && len(app.Notes("cus-2")) == 1 {
			break
		}
		if time.Now().After(deadline) {
			return errors.New("the changes made in HighLevel did not arrive")
		}
		time.Sleep(100 * time.Millisecond)
	}

	fmt.Fprintln(out, "\nCustomers in the app:")
	for _, c := range customers {
		got, _ := app.Customer(c.ID)
		fmt.Fprintf(out, "  %s %s %s  %s, %s  tags %v\n", got.ID, got.FirstName, got.LastName, got.Address, got.City, got.Tags)
		for _, n := range app.Notes(c.ID) {
			fmt.Fprintf(out, "      note: %s\n", n.Body)
		}
		for _, h := range app.History(c.ID) {
			fmt.Fprintf(out, "      from HighLevel: %s %q\n", h.What, h.Text)
		}
	}
	rows, err := app.Dashboard(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "\nDashboard (from HighLevel):")
	for _, r := range rows {
		fmt.Fprintf(out, "  %-12s %-18s %-13s %s\n", r.Name, r.Email, r.Phone, r.LastActivity.Format(time.DateTime))
	}
	fmt.Fprintf(out, "\nHighLevel holds %d contacts; ghltest answered %d requests.\n", srv.ContactCount(ghltest.DefaultLocationID), len(srv.Requests()))
	return nil
}
