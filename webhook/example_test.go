package webhook_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/ghlkit/ghl/webhook"
)

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
