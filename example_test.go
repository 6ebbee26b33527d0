package ghl_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
)

// A client needs a token and, for most operations, a location. Here the
// server is ghltest; against HighLevel, leave out WithBaseURL.
func ExampleNewClient() {
	srv := ghltest.NewServer()
	defer srv.Close()

	client, err := ghl.NewClient(
		ghl.WithBaseURL(srv.URL()),
		ghl.WithToken(ghltest.DefaultToken), // a Private Integration Token or OAuth access token
		ghl.WithLocation(ghltest.DefaultLocationID),
	)
	if err != nil {
		panic(err)
	}
	c, err := client.Contacts.Create(context.Background(), ghl.CreateContactRequest{
		FirstName: ghl.Ptr("Ada"), Email: ghl.Ptr("ada@example.com"),
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(c.FirstName, c.Email, len(c.ID))
	// Output: Ada ada@example.com 20
}

// Upsert creates a contact or updates the one with the same email or phone.
func ExampleContactsService_Upsert() {
	srv := ghltest.NewServer()
	defer srv.Close()
	client, _ := srv.Client()
	ctx := context.Background()

	for _, company := range []string{"Acme", "Acme Industries"} {
		res, err := client.Contacts.Upsert(ctx, ghl.UpsertContactRequest{CreateContactRequest: ghl.CreateContactRequest{
			Email: ghl.Ptr("sam@example.com"), CompanyName: ghl.Ptr(company),
		}})
		if err != nil {
			panic(err)
		}
		fmt.Printf("created=%v company=%s\n", res.Created, res.Contact.CompanyName)
	}
	// Output:
	// created=true company=Acme
	// created=false company=Acme Industries
}

// SearchAll pages lazily; break stops fetching.
func ExampleContactsService_SearchAll() {
	srv := ghltest.NewServer(ghltest.WithContacts(1500))
	defer srv.Close()
	client, _ := srv.Client()

	req := ghl.SearchRequest{Filters: []ghl.Filter{ghl.Or(ghl.Eq("tags", "vip"), ghl.Eq("city", "Denver"))}}
	n := 0
	for c, err := range client.Contacts.SearchAll(context.Background(), req) {
		if err != nil {
			panic(err)
		}
		if c.City != "Denver" && !contains(c.Tags, "vip") {
			panic("filter not applied")
		}
		n++
	}
	fmt.Println(n, "matches in", srv.RequestCount("POST", "/contacts/search"), "pages of 500")
	// Output: 503 matches in 2 pages of 500
}

func contains(l []string, s string) bool {
	for _, v := range l {
		if v == s {
			return true
		}
	}
	return false
}

// A location that refuses duplicates answers with the existing contact's ID.
func ExampleDuplicateContactError() {
	srv := ghltest.NewServer()
	defer srv.Close()
	client, _ := srv.Client()
	ctx := context.Background()

	first, _ := client.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("kim@example.com")})
	_, err := client.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("kim@example.com")})

	var dup *ghl.DuplicateContactError
	if errors.As(err, &dup) {
		fmt.Println("duplicate of the first:", dup.ContactID == first.ID, "matched on", dup.MatchingField)
	}
	fmt.Println(errors.Is(err, ghl.ErrDuplicateContact))
	// Output:
	// duplicate of the first: true matched on email
	// true
}

// Errors match sentinels with errors.Is; bad input is refused before sending.
func ExampleAPIError() {
	srv := ghltest.NewServer()
	defer srv.Close()
	client, _ := srv.Client()
	ctx := context.Background()

	_, err := client.Contacts.Get(ctx, "NoSuchContact0000001")
	var apiErr *ghl.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Message(), errors.Is(err, ghl.ErrNotFound))
	}
	_, err = client.Contacts.Get(ctx, "a/b")
	fmt.Println(err, errors.Is(err, ghl.ErrInvalidInput))
	// Output:
	// 404 Contact not found true
	// ghl: invalid contactId: must not contain '/' true
}

// Tasks are created on a contact and completed with one call.
func ExampleTasksService_Complete() {
	srv := ghltest.NewServer()
	defer srv.Close()
	client, _ := srv.Client()
	ctx := context.Background()

	c, _ := client.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("lee@example.com")})
	task, err := client.Tasks.Create(ctx, c.ID, ghl.CreateTaskRequest{
		Title: "Call back", DueDate: time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC),
	})
	if err != nil {
		panic(err)
	}
	task, _ = client.Tasks.Complete(ctx, c.ID, task.ID, true)
	fmt.Println(task.Title, task.DueDate.Format(time.RFC3339), task.Completed)
	// Output: Call back 2026-12-01T15:00:00Z true
}

// Tags.Add and Tags.Remove change some tags; Contacts.Update's Tags
// replaces them all.
func ExampleTagsService_Add() {
	srv := ghltest.NewServer()
	defer srv.Close()
	client, _ := srv.Client()
	ctx := context.Background()

	c, _ := client.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("jo@example.com"), Tags: []string{"lead"}})
	tags, _ := client.Tags.Add(ctx, c.ID, []string{"vip"})
	fmt.Println(tags)
	tags, _ = client.Tags.Remove(ctx, c.ID, []string{"lead"})
	fmt.Println(tags)
	// Output:
	// [lead vip]
	// [vip]
}

// WithResponse captures the HTTP answer, with HighLevel's rate-limit state.
func ExampleWithResponse() {
	srv := ghltest.NewServer(ghltest.WithContacts(3))
	defer srv.Close()
	client, _ := srv.Client()

	var resp ghl.Response
	_, err := client.Contacts.Search(context.Background(), ghl.SearchRequest{}, ghl.WithResponse(&resp))
	if err != nil {
		panic(err)
	}
	rl := resp.RateLimit()
	fmt.Println(resp.StatusCode, rl.Max, rl.Remaining, rl.Window)
	// Output: 200 100 99 10s
}

// The end of an OAuth callback: exchange the code, save the pair, and call
// the API with a source that refreshes (and saves) it from then on.
func ExampleOAuthConfig_ExchangeAndSave() {
	srv := ghltest.NewServer(ghltest.WithContacts(3))
	defer srv.Close()
	cfg := &ghl.OAuthConfig{
		ClientID: ghltest.DefaultClientID, ClientSecret: ghltest.DefaultClientSecret,
		RedirectURL: "https://app.example/callback", BaseURL: srv.URL(),
	}
	// In a real app the code arrives on the redirect; ghltest can issue one.
	code, _ := srv.AuthorizationCode(cfg.ClientID, cfg.RedirectURL, ghltest.DefaultLocationID, "contacts.readonly")

	store := ghl.NewMemoryStore() // ghl.NewFileStore(dir, key) in production
	src, tok, err := cfg.ExchangeAndSave(context.Background(), code, store)
	if err != nil {
		panic(err)
	}
	client, _ := ghl.NewClient(ghl.WithBaseURL(srv.URL()), ghl.WithTokenSource(src), ghl.WithLocation(tok.LocationID))
	res, err := client.Contacts.Search(context.Background(), ghl.SearchRequest{})
	if err != nil {
		panic(err)
	}
	fmt.Println(tok.UserType, tok.LocationID, res.Total)
	printed := fmt.Sprintf("%v %+v %#v", tok, tok, tok)
	fmt.Println("secrets printed:", strings.Contains(printed, tok.AccessToken) || strings.Contains(printed, tok.RefreshToken))
	// Output:
	// Location GhlTestLocation00001 3
	// secrets printed: false
}

// BulkUpsert runs many upserts under the rate limiter and reports each one.
func ExampleContactsService_BulkUpsert() {
	srv := ghltest.NewServer()
	defer srv.Close()
	client, _ := srv.Client()

	reqs := []ghl.UpsertContactRequest{
		{CreateContactRequest: ghl.CreateContactRequest{Email: ghl.Ptr("a@example.com")}},
		{CreateContactRequest: ghl.CreateContactRequest{Email: ghl.Ptr("b@example.com")}},
		{CreateContactRequest: ghl.CreateContactRequest{Email: ghl.Ptr("broken")}},
		{CreateContactRequest: ghl.CreateContactRequest{Email: ghl.Ptr("a@example.com"), City: ghl.Ptr("Austin")}},
	}
	report := client.Contacts.BulkUpsert(context.Background(), reqs, ghl.BulkOptions{Concurrency: 1})
	fmt.Println("created", report.Created, "updated", report.Updated, "failed", report.Failed)
	fmt.Println(report.Items[2].Err)
	// Output:
	// created 2 updated 1 failed 1
	// ghl: POST /contacts/upsert: 422 Unprocessable Entity: email must be an email
}

// Client.Do calls an endpoint through the client's token, rate limiter,
// retries and typed errors, for operations the SDK does not wrap.
func ExampleClient_Do() {
	srv := ghltest.NewServer(ghltest.WithContacts(3))
	defer srv.Close()
	client, _ := srv.Client()
	ctx := context.Background()

	var page struct {
		Contacts []struct {
			ID string `json:"id"`
		} `json:"contacts"`
	}
	err := client.Do(ctx, "GET", "/contacts/?locationId="+ghltest.DefaultLocationID+"&limit=2", nil, &page)
	fmt.Println(len(page.Contacts), err)

	err = client.Do(ctx, "GET", "/contacts/NoSuchContact0000001", nil, nil)
	fmt.Println(errors.Is(err, ghl.ErrNotFound))

	err = client.Do(ctx, "GET", "https://elsewhere.example/steal", nil, nil)
	fmt.Println(errors.Is(err, ghl.ErrInvalidInput))
	// Output:
	// 2 <nil>
	// true
	// true
}

// A create whose answer is lost may still have been carried out: the error
// matches ErrMaybeProcessed, and the caller looks before creating again.
func ExampleUnknownOutcomeError() {
	srv := ghltest.NewServer()
	defer srv.Close()
	client, _ := srv.Client()
	ctx := context.Background()

	// HighLevel creates the contact, then the connection drops.
	srv.Inject(ghltest.Fault{Method: "POST", Path: "/contacts/", DropAfter: true})
	_, err := client.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("lin@example.com")})
	fmt.Println("maybe created:", errors.Is(err, ghl.ErrMaybeProcessed))

	if errors.Is(err, ghl.ErrMaybeProcessed) {
		existing, _ := client.Contacts.FindDuplicate(ctx, ghl.DuplicateQuery{Email: "lin@example.com"})
		fmt.Println("found it:", existing != nil)
	}
	fmt.Println("contacts:", srv.ContactCount(ghltest.DefaultLocationID))
	// Output:
	// maybe created: true
	// found it: true
	// contacts: 1
}

// A contact created with custom fields by key, booked into a free slot,
// moved to another, and cancelled.
func ExampleAppointmentsService_Create() {
	now := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC) // a Monday
	srv := ghltest.NewServer(ghltest.WithClock(func() time.Time { return now }))
	defer srv.Close()
	client, _ := srv.Client()
	ctx := context.Background()

	fields, _ := client.CustomFields.NewFieldRegistry("", 5*time.Minute)
	values, err := fields.Inputs(ctx, map[string]any{"plan": "pro", "score": 87})
	if err != nil {
		panic(err)
	}
	c, err := client.Contacts.Create(ctx, ghl.CreateContactRequest{FirstName: ghl.Ptr("Ada"), Email: ghl.Ptr("ada@example.com"), CustomFields: values})
	if err != nil {
		panic(err)
	}
	plan, _ := fields.Value(ctx, c, "plan")

	ny, _ := time.LoadLocation("America/New_York")
	slots, err := client.Appointments.FreeSlots(ctx, ghltest.DefaultCalendarID, ghl.FreeSlotsQuery{Start: now, End: now.Add(24 * time.Hour)})
	if err != nil {
		panic(err)
	}
	day := slots["2026-11-30"]
	appt, err := client.Appointments.Create(ctx, ghl.CreateAppointmentRequest{
		CalendarID: ghltest.DefaultCalendarID, ContactID: c.ID, StartTime: day[0], Title: "Intro call",
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("plan:", plan, "| booked:", appt.StartTime.In(ny).Format("Mon 15:04 MST"))

	appt, _ = client.Appointments.Update(ctx, appt.ID, ghl.UpdateAppointmentRequest{StartTime: day[4]})
	fmt.Println("moved to:", appt.StartTime.In(ny).Format("15:04"))

	appt, _ = client.Appointments.Update(ctx, appt.ID, ghl.UpdateAppointmentRequest{AppointmentStatus: ghl.AppointmentCancelled})
	fmt.Println("status:", appt.AppointmentStatus)
	// Output:
	// plan: pro | booked: Mon 09:00 EST
	// moved to: 11:00
	// status: cancelled
}
