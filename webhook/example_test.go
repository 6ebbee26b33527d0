package webhook_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/webhook"
)

// A receiver for HighLevel's deliveries, routed by event type. NewVerifier
// trusts HighLevel's published keys, so only HighLevel's deliveries reach
// the functions (ExampleNewHandler plays HighLevel with a test signer).
func ExampleNewVerifier() {
	saved := 0
	saveContact := func(context.Context, ghl.Contact) error { saved++; return nil }
	saveTask := func(context.Context, ghl.Task) error { saved++; return nil }

	verifier, err := webhook.NewVerifier() // HighLevel's published Ed25519 and RSA keys
	if err != nil {
		log.Fatal(err)
	}
	mux := webhook.NewMux().
		OnContactChange(func(ctx context.Context, e *webhook.ContactEvent) error { return saveContact(ctx, e.Contact) }).
		OnTask(func(ctx context.Context, e *webhook.TaskEvent) error { return saveTask(ctx, e.Task) })
	routes := http.NewServeMux()
	routes.Handle("POST /webhooks/ghl", webhook.NewHandler(verifier, mux.Handle))

	// Someone else's request, unsigned: refused, nothing saved.
	w := httptest.NewRecorder()
	routes.ServeHTTP(w, httptest.NewRequest("POST", "/webhooks/ghl", strings.NewReader(`{"type":"ContactCreate","id":"c1"}`)))
	fmt.Println(w.Code, saved)
	// Output: 401 0
}

// A receiver: verified, de-duplicated, typed. In production build the
// verifier with webhook.NewVerifier(), which trusts HighLevel's keys; here a
// test signer plays HighLevel.
func ExampleNewHandler() {
	signer, _ := webhook.NewTestSigner()
	verifier, _ := signer.TestVerifier()

	mux := webhook.NewMux().OnContactChange(func(ctx context.Context, e *webhook.ContactEvent) error {
		fmt.Println(e.Type, e.Email, e.Tags)
		return nil
	})
	srv := httptest.NewServer(webhook.NewHandler(verifier, mux.Handle))
	defer srv.Close()

	body := []byte(`{"type":"ContactTagUpdate","locationId":"L1","id":"c1","email":"ada@example.com","tags":["vip"],"webhookId":"wh-42"}`)
	send := func(h http.Header) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
		for k, v := range h {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	fmt.Println(send(signer.Sign(body))) // genuine
	fmt.Println(send(signer.Sign(body))) // the same delivery again: acknowledged, not processed
	fmt.Println(send(http.Header{}))     // unsigned
	// Output:
	// ContactTagUpdate ada@example.com [vip]
	// 200
	// 200
	// 401
}
