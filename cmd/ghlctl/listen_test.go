package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/internal/testenv"
	"github.com/ghlkit/ghl/webhook"
)

// TestListenVerifiesPrintsAndForwards: deliveries from the fake reach
// listen, which says each is valid, forwards it unchanged to the app (whose
// own verifier accepts it) and keeps it for verify.
func TestListenVerifiesPrintsAndForwards(t *testing.T) {
	t.Parallel()
	srv := fake(t)
	key := encodeKey(t, srv.WebhookSigner().Ed25519PublicKey())
	v, err := srv.WebhookSigner().TestVerifier()
	if err != nil {
		t.Fatal(err)
	}
	app, received := appHandler(t, v)
	saved := t.TempDir()
	var out syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"webhooks", "listen", "--addr", "127.0.0.1:0", "--forward-to", app.URL, "--public-key", key, "--save", saved},
			env{stdin: strings.NewReader(""), stdout: &out, stderr: &out, getenv: func(string) string { return "" }})
	}()
	var addr string
	testenv.WaitFor(t, "listen's address", func() bool {
		if s, ok := strings.CutPrefix(out.String(), "listening on "); ok {
			addr = strings.TrimSpace(strings.SplitN(s, "\n", 2)[0])
		}
		return addr != ""
	})
	srv.DeliverWebhooks(addr, nil)
	c, _ := srv.Client()
	ids := srv.Seed(ghltest.DefaultLocationID, 1)
	if _, err := c.Tags.Add(t.Context(), ids[0], []string{"vip"}); err != nil {
		t.Fatal(err)
	}
	if err := srv.WaitWebhooks(t.Context()); err != nil {
		t.Fatal(err)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("listen ended with %d: %s", code, out.String())
	}
	if types := received(); len(types) != 1 || types[0] != webhook.ContactTagUpdate {
		t.Fatalf("the app got %v; listen said %s", received(), out.String())
	}
	if !strings.Contains(out.String(), "ContactTagUpdate "+ghltest.DefaultLocationID) || !strings.Contains(out.String(), "valid; forwarded: 200") {
		t.Fatalf("listen said %q", out.String())
	}
	files, _ := filepath.Glob(filepath.Join(saved, "*.http"))
	if len(files) != 1 {
		t.Fatalf("saved %v", files)
	}
	dump, _ := os.ReadFile(files[0])
	if r := ghlctl(t, nil, string(dump), nil, "webhooks", "verify", "--public-key", key); r.code != 0 {
		t.Fatalf("the saved delivery does not verify: %s", r.stderr)
	}
}
