// Package ghl is a Go client for the HighLevel (GoHighLevel / LeadConnector)
// API v2: every operation under /contacts (contacts, tasks, notes, tags,
// appointments), custom fields by key, location tags and calendars, OAuth
// 2.0 with rotating refresh tokens, a rate limiter, retries that never send
// a create twice, and typed errors.
//
// The module's other packages build on it:
//
//   - [github.com/ghlkit/ghl/ghltest]: an in-memory HighLevel over real HTTP,
//     with faults, signed webhooks and OAuth, to develop and test against
//     without an account (its cmd/ghlfake serves it to any language);
//   - [github.com/ghlkit/ghl/webhook]: receives HighLevel's webhooks,
//     verified on the raw body, de-duplicated and typed;
//   - [github.com/ghlkit/ghl/ghlsync]: Engine, two-way sync of an app's
//     people with a location that runs by itself, with a history; and its
//     parts: Ensure (create-or-update without duplicates), Feed and Stream
//     (changes from polling and webhooks), Merge, Syncer (contacts, tasks,
//     notes), Reconcile and Sweep;
//   - github.com/ghlkit/ghl/redisstore, a module of its own: the token store
//     and the rate budget shared by replicas through Redis.
//
// Runnable programs, each working with no credentials against ghltest, are
// in the repository's examples directory: quickstart, bulkimport, webhooks,
// sync, fieldservice, membership, mirror, connector, teamapp and oauth. The guides are in its docs
// directory.
//
// # Creating a client
//
// A client needs a token: a Private Integration Token or an OAuth access
// token with WithToken, or a TokenSource (such as an OAuth RefreshingSource)
// with WithTokenSource. Options check their input, and NewClient returns the
// first error, an *InputError naming the option.
//
//	client, err := ghl.NewClient(
//		ghl.WithToken(os.Getenv("GHL_TOKEN")),
//		ghl.WithLocation(os.Getenv("GHL_LOCATION_ID")), // for calls that need a location
//	)
//
// A *Client is safe for concurrent use; create one per token and share it.
//
// # Services
//
// The API's resources are fields of the client: Contacts, Tasks, Notes, Tags
// (a contact's, and the location's), Appointments (the calendars API, and a
// contact's list) and CustomFields (definitions; a FieldRegistry reads and
// writes contact values by key). Every method takes a context first and
// per-call options last, and returns the decoded answer or an error:
//
//	c, err := client.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("ada@example.com")})
//	task, err := client.Tasks.Complete(ctx, c.ID, taskID, true)
//	tags, err := client.Tags.Add(ctx, c.ID, []string{"vip"})
//
// Optional request fields are pointers (Ptr), so "not set" and "set to
// empty" differ. Bad input (an empty or malformed ID, a search past its
// limits) is refused before anything is sent.
//
// Client.Do calls an endpoint the SDK does not wrap through the same path:
//
//	err := client.Do(ctx, "GET", "/locations/"+url.PathEscape(loc)+"/customFields", nil, &out)
//
// # Errors
//
// A non-2xx answer is an *APIError (status, messages, trace ID, method and
// path; never a token), or one of its refinements: *DuplicateContactError
// carries the existing contact's ID, *RateLimitError the rate-limit state.
// errors.Is matches the sentinels ErrNotFound, ErrUnauthorized,
// ErrForbidden, ErrRateLimited, ErrDuplicateContact, ErrReauthRequired and
// ErrInvalidInput (*InputError, nothing was sent).
//
// A 2xx answer the operation cannot use (empty, null, cut off, not JSON, a
// create without an ID) is an *AnswerError, matching ErrBadAnswer. A write
// that may have been carried out although the call failed (the connection
// died after sending, a 500, 502 or 504, a cut-off answer) is an
// *UnknownOutcomeError, matching ErrMaybeProcessed: look the record up
// before creating it again.
//
//	var dup *ghl.DuplicateContactError
//	switch {
//	case errors.As(err, &dup):
//		// update dup.ContactID instead
//	case errors.Is(err, ghl.ErrMaybeProcessed):
//		// search for the contact before retrying the create
//	}
//
// # Pagination
//
// SearchAll, ListAll and ListByBusinessAll return iter.Seq2 iterators that
// fetch pages as the loop asks for them, stop on break, never change the
// request they were given, and start from the beginning on every range.
// SearchAll moves to searchAfter cursors, so it reaches past the 10,000
// results that page numbers reach.
//
//	for c, err := range client.Contacts.SearchAll(ctx, ghl.SearchRequest{}) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(c.ID)
//	}
//
// # Retries
//
// Each call goes through one retry policy (RetryPolicy; zero fields keep
// their defaults: 3 retries, waits from 500 ms to 30 s, jittered, honouring
// Retry-After). Which failures are retried is fixed by the SDK:
//
//   - not sent (connection refused, DNS failure) and 429: every call;
//   - 408, 500, 502, 503, 504, a reset or timed-out connection, a 2xx
//     answer cut off: reads and idempotent writes (PUT, DELETE, search,
//     upsert, tags, followers), never a create;
//   - other 4xx and a spent daily budget: nothing.
//
// An upsert resent after an unknown outcome first waits
// RetryPolicy.SettleWait (5 s), so it does not race the first attempt into
// a duplicate. A delete whose retry finds 404 after a lost answer returns
// nil. WithMaxRetries and WithRetryClass change one call.
//
// # Rate limits
//
// HighLevel allows 100 requests per 10 seconds and 200,000 a day per
// location. The client's RateLimiter paces requests before HighLevel has to
// refuse them, learning the real limits from the X-RateLimit-* headers, and
// a spent daily budget fails at once with a *RateLimitError. Share one
// RateLimiter (WithRateLimiter) among the clients of one location; RunBulk
// and Contacts.BulkUpsert run many calls at the limit with progress reports.
//
// # OAuth 2.0
//
// OAuthConfig runs the authorization-code flow. HighLevel's refresh tokens
// are single-use, so a RefreshingSource refreshes under the TokenStore's
// lock, saves the new pair before anyone uses it, and shares one refresh
// among concurrent callers. FileStore keeps pairs encrypted on disk;
// MemoryStore in memory.
//
//	src, tok, err := cfg.ExchangeAndSave(ctx, code, store) // in the redirect callback
//	client, err := ghl.NewClient(ghl.WithTokenSource(src), ghl.WithLocation(tok.LocationID))
//
// Tokens, client secrets and encryption keys never appear in errors, logs
// or any fmt verb.
//
// # Testing with ghltest
//
// ghltest.NewServer starts an in-memory HighLevel server over real HTTP with
// HighLevel's status codes, error bodies, rate-limit headers, OAuth
// endpoints, signed webhooks and injectable faults; its Client method
// returns a *Client wired to it.
//
//	srv := ghltest.NewServer(ghltest.WithContacts(100))
//	defer srv.Close()
//	client, err := srv.Client()
//	srv.Inject(ghltest.Fault{Method: "POST", Path: "/contacts/", Status: 503})
package ghl
