package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/webhook"
)

func TestFlagsAreChecked(t *testing.T) {
	for _, args := range [][]string{{"-burst", "0"}, {"-contacts", "-1"}, {"-window", "0s"}, {"-nope"},
		{"-webhook", "ftp://x"}, {"-webhook", "not a url"}, {"-webhook", "http://"}} {
		if err := run(context.Background(), args, io.Discard); err == nil {
			t.Errorf("run(%v) accepted bad flags", args)
		}
	}
}

// TestHelpIsNotAnError: -h prints the usage and is reported as flag.ErrHelp,
// which main turns into exit status 0.
func TestHelpIsNotAnError(t *testing.T) {
	err := run(context.Background(), []string{"-h"}, io.Discard)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("run(-h) = %v, want flag.ErrHelp", err)
	}
}

// TestHelpExitsZero runs the command for real.
func TestHelpExitsZero(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	out, err := exec.Command("go", "run", ".", "-h").CombinedOutput()
	if err != nil {
		t.Fatalf("ghlfake -h: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "-contacts") || strings.Contains(string(out), "help requested") {
		t.Fatalf("ghlfake -h printed:\n%s", out)
	}
}

// TestVerboseLogsOneLinePerRequest: method, path, status, duration; never
// the token.
func TestVerboseLogsOneLinePerRequest(t *testing.T) {
	var buf bytes.Buffer
	srv := ghltest.NewHandler(ghltest.WithContacts(2))
	h := logRequests(srv, &buf)
	for _, path := range []string{"/contacts/?locationId=" + ghltest.DefaultLocationID, "/nope"} {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+ghltest.DefaultToken)
		req.Header.Set("Version", "2021-07-28")
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "GET") || !strings.Contains(lines[0], "/contacts/ ") ||
		!strings.Contains(lines[0], " 200 ") || !strings.Contains(lines[1], " 404 ") {
		t.Fatalf("log:\n%s", buf.String())
	}
	if strings.Contains(buf.String(), ghltest.DefaultToken) || strings.Contains(buf.String(), "locationId") {
		t.Fatalf("the log shows a token or a query:\n%s", buf.String())
	}
}

// TestWebhookFlag: with -webhook, a change made through the fake reaches
// the URL as a delivery signed with the key the banner prints, which a
// verifier built from that key alone accepts; the banner says how to lift
// the rate limit.
func TestWebhookFlag(t *testing.T) {
	events := make(chan webhook.Event, 10)
	var verifier atomic.Pointer[webhook.Verifier] // set once the banner names the key
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		webhook.NewHandler(verifier.Load(), func(_ context.Context, ev webhook.Event) error { events <- ev; return nil }).ServeHTTP(w, r)
	}))
	defer recv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-contacts", "0", "-webhook", recv.URL}, pw)
		pw.Close()
	}()
	var base, key string
	banner := bufio.NewScanner(pr)
	var lines []string
	for key == "" && banner.Scan() {
		line := banner.Text()
		lines = append(lines, line)
		if after, ok := strings.CutPrefix(line, "ghlfake: serving a fake HighLevel API at "); ok {
			base = after
		}
		if _, after, ok := strings.Cut(line, "webhook key (Ed25519, x-ghl-signature): "); ok {
			key = after
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if base == "" || key == "" {
		t.Fatalf("banner:\n%s", strings.Join(lines, "\n"))
	}
	if !strings.Contains(strings.Join(lines, "\n"), "-burst 100000 -window 1s") {
		t.Errorf("the banner does not say how to lift the rate limit:\n%s", strings.Join(lines, "\n"))
	}
	pub, err := webhook.ParseEd25519PublicKey(key)
	if err != nil {
		t.Fatal(err)
	}
	v, err := webhook.NewVerifier(webhook.WithEd25519Keys(pub), webhook.WithoutLegacyRSA())
	if err != nil {
		t.Fatal(err)
	}
	verifier.Store(v)

	c, err := ghl.NewClient(ghl.WithBaseURL(base), ghl.WithToken(ghltest.DefaultToken), ghl.WithLocation(ghltest.DefaultLocationID))
	if err != nil {
		t.Fatal(err)
	}
	ct, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("hook@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	ev := <-events // verified by the printed key, or the handler would not have called back
	ce, ok := ev.(*webhook.ContactEvent)
	if !ok || ce.Type != webhook.ContactCreate || ce.ID != ct.ID {
		t.Fatalf("delivery: %#v", ev)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}
