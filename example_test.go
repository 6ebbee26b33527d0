package ghl_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
)

// The first steps: a client, a contact and a task. The server here is
// ghltest's in-memory HighLevel; against yours, leave out WithBaseURL.
func Example() {
	srv := ghltest.NewServer()
	defer srv.Close()
	token, locationID := ghltest.DefaultToken, ghltest.DefaultLocationID
	ctx := context.Background()

	client, err := ghl.NewClient(
		ghl.WithToken(token),         // a Private Integration Token or an OAuth access token
		ghl.WithLocation(locationID), // the sub-account the calls are for
		ghl.WithBaseURL(srv.URL()),   // ghltest here; leave out for HighLevel
	)
	if err != nil {
		log.Fatal(err)
	}
	res, err := client.Contacts.Upsert(ctx, ghl.UpsertContactRequest{CreateContactRequest: ghl.CreateContactRequest{
		FirstName: ghl.Ptr("Ada"), Email: ghl.Ptr("ada@example.com"), Tags: []string{"lead"},
	}})
	if err != nil {
		log.Fatal(err)
	}
	task, err := client.Tasks.Create(ctx, res.Contact.ID, ghl.CreateTaskRequest{
		Title: "Call Ada", DueDate: time.Now().Add(24 * time.Hour),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Created, res.Contact.Email, task.Title)
	// Output: true ada@example.com Call Ada
}

// A contact's life: created, read, updated (a field emptied with Clear),
// upserted on its email, deleted.
func ExampleContactsService() {
	srv := ghltest.NewServer()
	defer srv.Close()
	client, _ := srv.Client()

	lifecycle := func(ctx context.Context, client *ghl.Client) error {
		c, err := client.Contacts.Create(ctx, ghl.CreateContactRequest{
			FirstName: ghl.Ptr("Ada"), Email: ghl.Ptr("ada@example.com"), Phone: ghl.Ptr("+14155550100"),
			Tags: []string{"lead"},
		})
		if err != nil {
			return err
		}
		c, err = client.Contacts.Update(ctx, c.ID, ghl.UpdateContactRequest{
			City:  ghl.Ptr("London"), // set
			Clear: []string{"phone"}, // emptied: sent as null
		})
		if err != nil {
			return err
		}
		res, err := client.Contacts.Upsert(ctx, ghl.UpsertContactRequest{CreateContactRequest: ghl.CreateContactRequest{
			Email: ghl.Ptr("ada@example.com"), CompanyName: ghl.Ptr("Analytical Engines"),
		}}) // the same email: res.Created is false
		if err != nil {
			return err
		}
		c, err = client.Contacts.Get(ctx, c.ID)
		if err != nil {
			return err
		}
		fmt.Println(c.FirstName, c.City, c.Phone == "", c.CompanyName, res.Created)
		return client.Contacts.Delete(ctx, c.ID)
	}
	if err := lifecycle(context.Background(), client); err != nil {
		log.Fatal(err)
	}
	fmt.Println("contacts left:", srv.ContactCount(ghltest.DefaultLocationID))
	// Output:
	// Ada London true Analytical Engines false
	// contacts left: 0
}

// Custom fields by key, with their types checked before anything is sent.
func ExampleFieldRegistry() {
	srv := ghltest.NewServer() // each ghltest location has a NUMERICAL "score" and a SINGLE_OPTIONS "plan"
	defer srv.Close()
	client, _ := srv.Client()

	byKey := func(ctx context.Context, client *ghl.Client) error {
		reg, err := client.CustomFields.NewFieldRegistry("", 5*time.Minute)
		if err != nil {
			return err
		}
		fields, err := reg.Inputs(ctx, map[string]any{"plan": "pro", "score": 42})
		if err != nil {
			return err // a wrong type or an option the field lacks: *ghl.InputError, nothing sent
		}
		c, err := client.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("ada@example.com"), CustomFields: fields})
		if err != nil {
			return err
		}
		plan, err := reg.Value(ctx, c, "plan") // "pro"; numbers as float64, dates as time.Time, lists as []string
		if err != nil {
			return err
		}
		pro, err := reg.Filter(ctx, "plan", ghl.OpEq, "pro") // a search filter on customFields.<id>
		if err != nil {
			return err
		}
		res, err := client.Contacts.Search(ctx, ghl.SearchRequest{Filters: []ghl.Filter{pro}})
		if err != nil {
			return err
		}
		fmt.Println(plan, res.Total)
		_, err = reg.Inputs(ctx, map[string]any{"plan": "platinum"})
		fmt.Println(errors.Is(err, ghl.ErrInvalidInput))
		return nil
	}
	if err := byKey(context.Background(), client); err != nil {
		log.Fatal(err)
	}
	// Output:
	// pro 1
	// true
}

// Tasks, notes and tags hang off a contact.
func ExampleTasksService() {
	srv := ghltest.NewServer()
	defer srv.Close()
	client, _ := srv.Client()
	ctx := context.Background()
	c, _ := client.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("lee@example.com")})
	contactID, due := c.ID, time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)

	followUp := func(ctx context.Context, client *ghl.Client) error {
		task, err := client.Tasks.Create(ctx, contactID, ghl.CreateTaskRequest{Title: "Call back", DueDate: due})
		if err != nil {
			return err
		}
		if _, err := client.Tasks.Complete(ctx, contactID, task.ID, true); err != nil {
			return err
		}
		if _, err := client.Notes.Create(ctx, contactID, ghl.CreateNoteRequest{Body: "Prefers email."}); err != nil {
			return err
		}
		tags, err := client.Tags.Add(ctx, contactID, []string{"vip"}) // Tags.Remove takes some away
		if err != nil {
			return err
		}
		tasks, err := client.Tasks.List(ctx, contactID)
		if err != nil {
			return err
		}
		fmt.Println(tags, len(tasks), tasks[0].Completed)
		return nil
	}
	if err := followUp(ctx, client); err != nil {
		log.Fatal(err)
	}
	// Output: [vip] 1 true
}

// Errors are typed: errors.As for the details, errors.Is for the kind.
func Example_errors() {
	srv := ghltest.NewServer()
	defer srv.Close()
	client, _ := srv.Client()
	ctx := context.Background()
	_, _ = client.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("kim@example.com")})

	calls := []func() error{
		func() error {
			_, err := client.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("kim@example.com")})
			return err
		},
		func() error { _, err := client.Contacts.Get(ctx, "a/b"); return err },
		func() error { _, err := client.Contacts.Get(ctx, "NoSuchContact0000001"); return err },
	}
	for _, call := range calls {
		err := call()
		var dup *ghl.DuplicateContactError
		var apiErr *ghl.APIError
		switch {
		case errors.As(err, &dup):
			// The location refuses duplicates; dup.ContactID is the existing contact.
			fmt.Println("duplicate of", len(dup.ContactID) > 0)
		case errors.Is(err, ghl.ErrRateLimited):
			var rl *ghl.RateLimitError
			errors.As(err, &rl) // rl.Daily, rl.RetryAfter, rl.RateLimit
		case errors.Is(err, ghl.ErrInvalidInput):
			// Nothing was sent; the error names the field.
			fmt.Println("refused before sending:", err)
		case errors.Is(err, ghl.ErrMaybeProcessed):
			// The create may have happened: look the contact up before creating it again.
			var uo *ghl.UnknownOutcomeError
			errors.As(err, &uo) // uo.SentAt, uo.Attempts, uo.Err (what went wrong)
		case errors.As(err, &apiErr):
			fmt.Println(apiErr.StatusCode, apiErr.Message())
		}
	}
	// Output:
	// duplicate of true
	// refused before sending: ghl: invalid contactId: must not contain '/'
	// 404 Contact not found
}

// Free slots of a calendar, a booking in one, a move, and a cancellation.
func ExampleAppointmentsService_FreeSlots() {
	now := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC) // a Monday, 03:00 in New York
	srv := ghltest.NewServer(ghltest.WithClock(func() time.Time { return now }))
	defer srv.Close()
	client, _ := srv.Client()
	ctx := context.Background()
	c, _ := client.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("ada@example.com")})
	calendarID, contactID, from := ghltest.DefaultCalendarID, c.ID, now

	book := func(ctx context.Context, client *ghl.Client) error {
		slots, err := client.Appointments.FreeSlots(ctx, calendarID, ghl.FreeSlotsQuery{Start: from, End: from.AddDate(0, 0, 7)})
		if err != nil {
			return err
		}
		days := slices.Sorted(maps.Keys(slots)) // "2006-01-02" in the calendar's zone
		if len(days) == 0 {
			return errors.New("no free slot this week")
		}
		first := slots[days[0]]
		appt, err := client.Appointments.Create(ctx, ghl.CreateAppointmentRequest{
			CalendarID: calendarID, ContactID: contactID, StartTime: first[0], Title: "Intro call",
		})
		if err != nil {
			return err
		}
		appt, err = client.Appointments.Update(ctx, appt.ID, ghl.UpdateAppointmentRequest{StartTime: first[len(first)-1]}) // move
		if err != nil {
			return err
		}
		appt, err = client.Appointments.Update(ctx, appt.ID, ghl.UpdateAppointmentRequest{AppointmentStatus: ghl.AppointmentCancelled})
		if err != nil {
			return err
		}
		ny, _ := time.LoadLocation("America/New_York")
		fmt.Println(days[0], first[0].In(ny).Format("15:04"), appt.StartTime.In(ny).Format("15:04"), appt.AppointmentStatus)
		return nil
	}
	if err := book(ctx, client); err != nil {
		log.Fatal(err)
	}
	// Output: 2026-11-30 09:00 16:30 cancelled
}

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

// SearchAll pages lazily through every match; break stops fetching.
func ExampleContactsService_SearchAll() {
	srv := ghltest.NewServer(ghltest.WithContacts(1500))
	defer srv.Close()
	client, _ := srv.Client()
	ctx := context.Background()

	req := ghl.SearchRequest{
		Filters: []ghl.Filter{
			ghl.Or(ghl.Eq("tags", "vip"), ghl.Eq("city", "Denver")),
			ghl.Exists("email"),
			ghl.InRange("dateAdded", ghl.Range{GTE: "2020-01-01"}),
		},
		Sort: []ghl.Sort{{Field: "email", Direction: "asc"}},
	}
	shown := 0
	for c, err := range client.Contacts.SearchAll(ctx, req) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(c.Email, c.City, c.Tags)
		if shown++; shown == 3 {
			break // no further page is fetched
		}
	}
	n := 0
	for c, err := range client.Contacts.SearchAll(ctx, req) {
		if err != nil || c.City != "Denver" && !contains(c.Tags, "vip") {
			log.Fatal("filter not applied: ", err)
		}
		n++
	}
	fmt.Println(n, "matches in", srv.RequestCount("POST", "/contacts/search")-1, "pages of 500")
	// Output:
	// amara.brown1296@example.com Denver [churn-risk newsletter]
	// amara.garcia338@example.com Denver [newsletter churn-risk]
	// amara.johnson1343@example.com Raleigh [lead vip]
	// 503 matches in 2 pages of 500
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

// The OAuth code flow in an app: Connect sends the user to choose a
// location; the callback exchanges the code and saves the pair; from then
// on a source refreshes (and saves) it. ghltest plays HighLevel here.
func ExampleOAuthConfig() {
	srv := ghltest.NewServer(ghltest.WithContacts(3))
	defer srv.Close()
	clientID, clientSecret, baseURL := ghltest.DefaultClientID, ghltest.DefaultClientSecret, srv.URL()
	dir, _ := os.MkdirTemp("", "tokens")
	defer os.RemoveAll(dir)
	key := make([]byte, 32) // 32 random bytes from your secret store, never beside the files
	var clients sync.Map    // location ID → *ghl.Client

	cfg := &ghl.OAuthConfig{
		ClientID: clientID, ClientSecret: ghl.NewSecret(clientSecret), RedirectURL: "https://app.example/callback",
		Scopes:  []ghl.Scope{ghl.ScopeContactsReadOnly, ghl.ScopeContactsWrite},
		BaseURL: baseURL, // ghltest here; leave out for HighLevel
	}
	store, err := ghl.NewFileStore(dir, key) // AES-256-GCM files, 0600 in a 0700 directory
	if err != nil {
		log.Fatal(err)
	}
	connect := func(w http.ResponseWriter, r *http.Request) {
		state := "a random value bound to the user's session" // see examples/oauth
		http.Redirect(w, r, cfg.AuthCodeURL(state), http.StatusFound)
	}
	callback := func(w http.ResponseWriter, r *http.Request) {
		// Check r.FormValue("state") against the session's first.
		src, tok, err := cfg.ExchangeAndSave(r.Context(), r.FormValue("code"), store)
		if err != nil {
			http.Error(w, "could not connect", http.StatusBadGateway)
			return
		}
		client, err := ghl.NewClient(ghl.WithTokenSource(src), ghl.WithLocation(tok.LocationID), ghl.WithBaseURL(baseURL))
		if err != nil {
			http.Error(w, "could not connect", http.StatusInternalServerError)
			return
		}
		clients.Store(tok.LocationID, client) // later, in any process: src, _ := cfg.NewSource(store, tok.LocationID)
		http.Redirect(w, r, "/contacts", http.StatusSeeOther)
	}

	// The user presses Connect, chooses a location, and comes back.
	w := httptest.NewRecorder()
	connect(w, httptest.NewRequest("GET", "/connect", nil))
	fmt.Println(w.Code, strings.SplitN(w.Header().Get("Location"), "?", 2)[0])
	code, _ := srv.AuthorizationCode(clientID, cfg.RedirectURL, ghltest.DefaultLocationID, "contacts.readonly contacts.write")
	w = httptest.NewRecorder()
	callback(w, httptest.NewRequest("GET", "/callback?code="+code+"&state=x", nil))
	c, _ := clients.Load(ghltest.DefaultLocationID)
	res, err := c.(*ghl.Client).Contacts.Search(context.Background(), ghl.SearchRequest{})
	fmt.Println(w.Code, res.Total, err)
	// Output:
	// 302 https://marketplace.gohighlevel.com/v2/oauth/chooselocation
	// 303 3 <nil>
}

// The end of an OAuth callback: exchange the code, save the pair, and call
// the API with a source that refreshes (and saves) it from then on.
func ExampleOAuthConfig_ExchangeAndSave() {
	srv := ghltest.NewServer(ghltest.WithContacts(3))
	defer srv.Close()
	cfg := &ghl.OAuthConfig{
		ClientID: ghltest.DefaultClientID, ClientSecret: ghl.NewSecret(ghltest.DefaultClientSecret),
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
	fmt.Println("secrets printed:", strings.Contains(printed, tok.AccessToken.Reveal()) || strings.Contains(printed, tok.RefreshToken.Reveal()))
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
	ctx := context.Background()
	var last ghl.BulkProgress

	report := client.Contacts.BulkUpsert(ctx, reqs, ghl.BulkOptions{
		Concurrency: 1, // 8 by default; the rate limiter, not this, keeps the run under HighLevel's limit
		Progress: func(p ghl.BulkProgress) {
			last = p // or: log.Printf("%d/%d, %.0f/s, ETA %s", p.Done, p.Total, p.Rate, p.ETA)
		},
	})
	fmt.Println("created", report.Created, "updated", report.Updated, "failed", report.Failed)
	for _, it := range report.Items {
		if it.Err != nil {
			fmt.Println(it.Index, it.Err) // each failure's typed error
		}
	}
	fmt.Println(last.Done, "of", last.Total)
	// Output:
	// created 2 updated 1 failed 1
	// 2 ghl: invalid email: "broken" is not an email address (one @ between a name and a domain)
	// 4 of 4
}

// Client.Do calls an endpoint through the client's token, rate limiter,
// retries and typed errors, for operations the SDK does not wrap.
func ExampleClient_Do() {
	srv := ghltest.NewServer(ghltest.WithContacts(3))
	defer srv.Close()
	client, _ := srv.Client()
	ctx := context.Background()

	locationID := ghltest.DefaultLocationID
	_, _ = client.Tags.CreateLocation(ctx, locationID, "vip")

	var out struct {
		Tags []struct{ ID, Name string }
	}
	err := client.Do(ctx, "GET", "/locations/"+url.PathEscape(locationID)+"/tags", nil, &out)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(out.Tags[0].Name)

	err = client.Do(ctx, "GET", "/contacts/NoSuchContact0000001", nil, nil)
	fmt.Println(errors.Is(err, ghl.ErrNotFound))

	err = client.Do(ctx, "GET", "https://elsewhere.example/steal", nil, nil)
	fmt.Println(errors.Is(err, ghl.ErrInvalidInput))
	// Output:
	// vip
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
