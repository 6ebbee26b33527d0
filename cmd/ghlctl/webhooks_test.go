package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/webhook"
)

// TestTriggerReachesAHandlerThatTrustsTheKey: every event type trigger
// sends is verified and parsed by the SDK's own handler trusting the key
// "webhooks key" prints, and refused by one that trusts another.
func TestTriggerReachesAHandlerThatTrustsTheKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	vars := []string{"GHLCTL_CONFIG_DIR=" + dir}
	r := ghlctl(t, nil, "", vars, "webhooks", "key")
	key, err := webhook.ParseEd25519PublicKey(strings.TrimSpace(r.stdout))
	if r.code != 0 || err != nil {
		t.Fatalf("webhooks key: exit %d, %v", r.code, err)
	}
	if st, err := os.Stat(filepath.Join(dir, "webhook-test-key")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("the test key's file: %v %v", st, err)
	}
	v, err := webhook.NewVerifier(webhook.WithEd25519Keys(key), webhook.WithoutLegacyRSA())
	if err != nil {
		t.Fatal(err)
	}
	app, received := appHandler(t, v)
	for _, typ := range triggerTypes {
		if r := ghlctl(t, nil, "", vars, "webhooks", "trigger", typ, "--to", app.URL); r.code != 0 {
			t.Fatalf("trigger %s: exit %d, %s", typ, r.code, r.stderr)
		}
	}
	if got := received(); len(got) != len(triggerTypes) {
		t.Fatalf("the handler took %v", got)
	}
	other := ghlctl(t, nil, "", []string{"GHLCTL_CONFIG_DIR=" + t.TempDir()}, "webhooks", "trigger", "ContactCreate", "--to", app.URL)
	if other.code == 0 {
		t.Fatal("a delivery signed with another key was accepted")
	}
}

// TestVerifyACapturedDelivery: a delivery as received (ghltest's, signed
// with its key) is valid; with one byte of its body changed, it is not,
// and the message says why.
func TestVerifyACapturedDelivery(t *testing.T) {
	t.Parallel()
	srv := fake(t)
	var mu sync.Mutex
	var captured [][]byte
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dump, _ := httputil.DumpRequest(r, true)
		mu.Lock()
		captured = append(captured, dump)
		mu.Unlock()
	}))
	defer recv.Close()
	srv.DeliverWebhooks(recv.URL, nil)
	c, _ := srv.Client()
	ids := srv.Seed(ghltest.DefaultLocationID, 1)
	if _, err := c.Tags.Add(t.Context(), ids[0], []string{"vip"}); err != nil {
		t.Fatal(err)
	}
	if err := srv.WaitWebhooks(t.Context()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	dump := captured[len(captured)-1]
	mu.Unlock()
	keyArgs := []string{"webhooks", "verify", "--public-key", pemKey(t, srv)}
	r := ghlctl(t, nil, string(dump), nil, keyArgs...)
	if r.code != 0 || !strings.Contains(r.stdout, "ContactTagUpdate") {
		t.Fatalf("a genuine delivery: exit %d, %s %s", r.code, r.stdout, r.stderr)
	}
	tampered := bytes.Replace(dump, []byte(`"vip"`), []byte(`"VIP"`), 1)
	r = ghlctl(t, nil, string(tampered), nil, keyArgs...)
	if r.code == 0 || !strings.Contains(r.stderr, "invalid delivery") || !strings.Contains(r.stderr, "signature") {
		t.Fatalf("a tampered delivery: exit %d, %q", r.code, r.stderr)
	}
	r = ghlctl(t, nil, "not http", nil, keyArgs...)
	if r.code != exitUsage {
		t.Fatalf("not a request: exit %d, %q", r.code, r.stderr)
	}
}

// pemKey is the fake's webhook key as ghlctl fake prints it.
func pemKey(t *testing.T, srv *ghltest.Server) string {
	t.Helper()
	return encodeKey(t, srv.WebhookSigner().Ed25519PublicKey())
}

func encodeKey(t *testing.T, k []byte) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(ed25519.PublicKey(k))
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

// appHandler is an app's webhook endpoint on the SDK's handler, trusting
// v; received returns the types of the events it took.
func appHandler(t *testing.T, v *webhook.Verifier) (app *httptest.Server, received func() []string) {
	var mu sync.Mutex
	var types []string
	app = httptest.NewServer(webhook.NewHandler(v, func(_ context.Context, ev webhook.Event) error {
		mu.Lock()
		types = append(types, ev.EventType())
		mu.Unlock()
		return nil
	}))
	t.Cleanup(app.Close)
	return app, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(types)
	}
}
