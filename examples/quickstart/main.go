// Command quickstart walks through the main tasks of the ghl SDK.
//
// With no environment it starts ghltest, an in-memory HighLevel server, and
// needs no account:
//
//	go run ./examples/quickstart
//
// With GHL_TOKEN and GHL_LOCATION_ID set it runs the read-only steps against
// the real API (GHL_BASE_URL overrides the host).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
)

// out is where the walkthrough prints; tests capture it.
var out io.Writer = os.Stdout

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	token, location := os.Getenv("GHL_TOKEN"), os.Getenv("GHL_LOCATION_ID")
	switch {
	case token != "" && location == "":
		return errors.New("GHL_TOKEN is set but GHL_LOCATION_ID is not: set both to use your sub-account, or unset both to use the built-in fake server")
	case token == "" && location != "":
		return errors.New("GHL_LOCATION_ID is set but GHL_TOKEN is not: set both to use your sub-account, or unset both to use the built-in fake server")
	}
	if token != "" && location != "" {
		opts := []ghl.Option{ghl.WithToken(token), ghl.WithLocation(location)}
		if base := os.Getenv("GHL_BASE_URL"); base != "" {
			opts = append(opts, ghl.WithBaseURL(base))
		}
		client, err := ghl.NewClient(opts...)
		if err != nil {
			return err
		}
		fmt.Fprintln(out, "Using the real HighLevel API (read-only steps).")
		return readOnly(ctx, client)
	}

	srv := ghltest.NewServer(ghltest.WithContacts(1200))
	defer srv.Close()
	client, err := srv.Client()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Started ghltest at %s with 1,200 sample contacts (no credentials needed); the tour adds one.\n", srv.URL())
	if err := writeSteps(ctx, client); err != nil {
		return err
	}
	return readOnly(ctx, client)
}

// writeSteps creates and changes data: run only against ghltest.
func writeSteps(ctx context.Context, client *ghl.Client) error {
	step("1. Create a contact")
	c, err := client.Contacts.Create(ctx, ghl.CreateContactRequest{
		FirstName: ghl.Ptr("Ada"), LastName: ghl.Ptr("Lovelace"),
		Email: ghl.Ptr("ada@example.com"), Phone: ghl.Ptr("+14155550100"),
		Source: ghl.Ptr("quickstart"),
	})
	if err != nil {
		return err
	}
	// A create's answer has firstName and lastName but no name (HighLevel
	// fills name on later reads).
	fmt.Fprintf(out, "   created %s %s (ID %s) on %s\n", c.FirstName, c.LastName, c.ID, c.DateAdded.Format(time.RFC1123))

	step("2. Tag it")
	tags, err := client.Tags.Add(ctx, c.ID, []string{"vip", "newsletter"})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   tags now: %v\n", tags)

	step("3. Add a task and a note")
	task, err := client.Tasks.Create(ctx, c.ID, ghl.CreateTaskRequest{
		Title: "Send the welcome pack", DueDate: time.Now().Add(48 * time.Hour),
	})
	if err != nil {
		return err
	}
	note, err := client.Notes.Create(ctx, c.ID, ghl.CreateNoteRequest{Body: "Asked about the annual plan."})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   task %q due %s\n   note %q\n", task.Title, task.DueDate.Format("Mon Jan 2"), note.Body)

	step("4. Complete the task")
	task, err = client.Tasks.Complete(ctx, c.ID, task.ID, true)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   completed: %v\n", task.Completed)

	step("5. Upsert: the same email updates instead of duplicating")
	up, err := client.Contacts.Upsert(ctx, ghl.UpsertContactRequest{CreateContactRequest: ghl.CreateContactRequest{
		Email: ghl.Ptr("ada@example.com"), CompanyName: ghl.Ptr("Analytical Engines Ltd"),
	}})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   created a new contact: %v; company now %q\n", up.Created, up.Contact.CompanyName)

	step("6. A typed error: creating a duplicate")
	_, err = client.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("ada@example.com")})
	var dup *ghl.DuplicateContactError
	if errors.As(err, &dup) {
		fmt.Fprintf(out, "   refused: %s\n   the existing contact is %s (matched on %s)\n", dup.Message(), dup.ContactID, dup.MatchingField)
	} else {
		return fmt.Errorf("expected a duplicate-contact error, got %v", err)
	}
	_, err = client.Contacts.Get(ctx, "no-such-contact")
	fmt.Fprintf(out, "   errors.Is(err, ghl.ErrNotFound) for a missing contact: %v\n", errors.Is(err, ghl.ErrNotFound))
	_, err = client.Contacts.Get(ctx, "../admin")
	fmt.Fprintf(out, "   a bad ID is refused before sending: %v\n", err)
	return nil
}

// readOnly searches and pages; safe against a real account.
func readOnly(ctx context.Context, client *ghl.Client) error {
	step("7. Search: VIPs, newest first")
	res, err := client.Contacts.Search(ctx, ghl.SearchRequest{
		PageLimit: 5,
		Filters:   []ghl.Filter{ghl.Eq("tags", "vip")},
		Sort:      []ghl.Sort{{Field: "dateAdded", Direction: "desc"}},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   %d VIPs in all; the first %d:\n", res.Total, len(res.Contacts))
	for _, c := range res.Contacts {
		fmt.Fprintf(out, "   - %-22s %s\n", c.Name, c.Email)
	}

	step("8. Page through every contact (pages of 500, fetched as the loop needs them)")
	var resp ghl.Response
	n := 0
	for _, err := range client.Contacts.SearchAll(ctx, ghl.SearchRequest{}, ghl.WithResponse(&resp)) {
		if err != nil {
			return err
		}
		n++
	}
	rl := resp.RateLimit()
	fmt.Fprintf(out, "   %s contacts; rate limit left: %d of %d in this window, %s today\n", thousands(n), rl.Remaining, rl.Max, thousands(rl.DailyRemaining))
	fmt.Fprintln(out, "\nDone. Next:")
	fmt.Fprintln(out, "   go run ./examples/webhooks    # a local copy kept from signed webhooks")
	fmt.Fprintln(out, "   go run ./examples/sync        # two-way sync of an app's people")
	fmt.Fprintln(out, "   go run ./examples/bulkimport  # a CSV imported at the rate limit")
	fmt.Fprintln(out, "   go doc github.com/ghlkit/ghl  # the package, with runnable examples; docs/ has the guides")
	return nil
}

func step(s string) { fmt.Fprintln(out, "\n"+s) }

// thousands writes n with comma separators, as the tour's other numbers are.
func thousands(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return s
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
