package ghltest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"sync"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/webhook"
)

// A test starts a server, seeds it, and gets a client wired to it.
func ExampleNewServer() {
	srv := ghltest.NewServer(ghltest.WithContacts(25))
	defer srv.Close()
	client, err := srv.Client()
	if err != nil {
		panic(err)
	}
	res, err := client.Contacts.Search(context.Background(), ghl.SearchRequest{PageLimit: 10})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Total, len(res.Contacts))
	// Output: 25 10
}

// Inject makes the next matching requests fail, to test error handling.
func ExampleServer_Inject() {
	srv := ghltest.NewServer()
	defer srv.Close()
	client, _ := srv.Client()

	srv.Inject(ghltest.Fault{Method: "POST", Path: "/contacts/", Status: 503, Body: `{"statusCode":503,"message":"maintenance"}`})
	_, err := client.Contacts.Create(context.Background(), ghl.CreateContactRequest{Email: ghl.Ptr("a@example.com")})
	var apiErr *ghl.APIError
	fmt.Println(errors.As(err, &apiErr), apiErr.StatusCode, srv.RequestCount("POST", "/contacts/"))
	// Output: true 503 1
}

// InjectWebhook and StopWebhooks make deliveries misbehave as a real
// deployment sees them: here one change is delivered twice (each copy with
// its own webhookId), then deliveries stop.
func ExampleServer_InjectWebhook() {
	srv := ghltest.NewServer()
	defer srv.Close()
	v, _ := srv.WebhookVerifier()
	var mu sync.Mutex
	var got []string
	receiver := httptest.NewServer(webhook.NewHandler(v, func(_ context.Context, ev webhook.Event) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, ev.EventType())
		return nil
	}))
	defer receiver.Close()
	srv.DeliverWebhooks(receiver.URL, nil)
	client, _ := srv.Client()
	ctx := context.Background()

	srv.InjectWebhook(ghltest.WebhookFault{Type: "ContactCreate", Duplicate: true})
	c, _ := client.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("w@example.com")})
	srv.StopWebhooks()
	_, _ = client.Contacts.Update(ctx, c.ID, ghl.UpdateContactRequest{City: ghl.Ptr("Oslo")}) // lost
	_ = srv.WaitWebhooks(ctx)
	mu.Lock()
	fmt.Println(got)
	mu.Unlock()
	// Output: [ContactCreate ContactCreate]
}

// ExpireAccessTokens ends the issued access tokens early: a client with a
// refreshing source gets a 401, refreshes once and goes on.
func ExampleServer_ExpireAccessTokens() {
	srv := ghltest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	cfg := &ghl.OAuthConfig{ClientID: ghltest.DefaultClientID, ClientSecret: ghl.NewSecret(ghltest.DefaultClientSecret), BaseURL: srv.URL()}
	code, _ := srv.AuthorizationCode(cfg.ClientID, "", ghltest.DefaultLocationID, "contacts.readonly")
	src, _, _ := cfg.ExchangeAndSave(ctx, code, ghl.NewMemoryStore())
	client, _ := ghl.NewClient(ghl.WithBaseURL(srv.URL()), ghl.WithTokenSource(src), ghl.WithLocation(ghltest.DefaultLocationID))

	srv.ExpireAccessTokens()
	_, err := client.Contacts.List(ctx, ghl.ListOptions{Limit: 1})
	fmt.Println(err, srv.TokenGrants("refresh_token"))
	// Output: <nil> 1
}
