package main

import (
	"context"
	"crypto/rand"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
)

// findChromium returns a headless-capable browser, or skips the test; with
// GHL_BROWSER_TEST=required (CI) a missing browser fails it instead.
func findChromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("GHL_BROWSER_TEST") == "required" {
		t.Fatal("no chromium on PATH, and GHL_BROWSER_TEST=required")
	}
	t.Skip("skipped: no chromium on PATH (apt-get install chromium)")
	return ""
}

// TestConnectFlowInBrowser clicks through the whole flow in headless
// Chromium: the app's Connect link, ghltest's choose-location page, the
// callback, and the contacts page, with the tokens saved encrypted.
func TestConnectFlowInBrowser(t *testing.T) {
	browser := findChromium(t)
	srv := ghltest.NewServer(ghltest.WithContacts(25))
	defer srv.Close()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	dir := t.TempDir()
	store, err := ghl.NewFileStore(dir, key)
	if err != nil {
		t.Fatal(err)
	}
	app := httptest.NewUnstartedServer(nil)
	app.Config.Handler = NewApp(FakeConfig(srv, "http://"+app.Listener.Addr().String()+"/callback"), store)
	app.Start()
	defer app.Close()

	ctx := browserContext(t, browser)

	err = chromedp.Do(ctx,
		chromedp.Navigate(app.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#connect")),
		chromedp.Click(chromedp.CSS("#connect")),
		chromedp.WaitVisible(chromedp.CSS("#approve")),
	)
	if err != nil {
		t.Fatalf("browser flow, to the choose-location page: %v", err)
	}
	chooser, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#approve")), chromedp.WaitVisible(chromedp.CSS("#contacts"))); err != nil {
		t.Fatalf("browser flow, back to the app: %v", err)
	}
	contacts, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#contacts")))
	if err != nil {
		t.Fatal(err)
	}
	url, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(chooser, ghltest.DefaultLocationID) {
		t.Errorf("the choose-location page does not offer the location:\n%s", chooser)
	}
	if n := strings.Count(contacts, "@example.com"); n != 20 {
		t.Errorf("the contacts page lists %d contacts, want 20:\n%s", n, contacts)
	}
	if !strings.HasPrefix(url, app.URL) {
		t.Errorf("ended at %s, not back in the app", url)
	}
	tok, err := store.Load(context.Background(), ghltest.DefaultLocationID)
	if err != nil || tok.RefreshToken.Reveal() == "" {
		t.Fatalf("the token pair was not saved: %v", err)
	}
	raw, _ := os.ReadFile(dir + "/" + ghltest.DefaultLocationID + ".token")
	if strings.Contains(string(raw), tok.RefreshToken.Reveal()) {
		t.Error("the refresh token is stored in clear text")
	}
	if srv.TokenGrants("authorization_code") != 1 {
		t.Errorf("want exactly one code exchange, got %d", srv.TokenGrants("authorization_code"))
	}
}

// browserContext starts headless Chromium for one test.
func browserContext(t *testing.T, browser string) context.Context {
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.NoFirstRun)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestDeclineInBrowser clicks "Decline" on the choose-location page: the app
// says the user declined, offers to connect again, and exchanges nothing.
func TestDeclineInBrowser(t *testing.T) {
	browser := findChromium(t)
	srv := ghltest.NewServer(ghltest.WithContacts(3))
	defer srv.Close()
	app := httptest.NewUnstartedServer(nil)
	app.Config.Handler = NewApp(FakeConfig(srv, "http://"+app.Listener.Addr().String()+"/callback"), ghl.NewMemoryStore())
	app.Start()
	defer app.Close()
	ctx := browserContext(t, browser)
	err := chromedp.Do(ctx,
		chromedp.Navigate(app.URL+"/"),
		chromedp.Click(chromedp.CSS("#connect")),
		chromedp.WaitVisible(chromedp.CSS("#decline")),
		chromedp.Click(chromedp.CSS("#decline")),
		chromedp.WaitVisible(chromedp.CSS("#error")),
	)
	if err != nil {
		t.Fatalf("browser flow, decline: %v", err)
	}
	msg, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#error")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg, "You declined the connection") {
		t.Errorf("the app does not say the user declined: %q", msg)
	}
	// The page offers to connect again, and the link works.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#connect")), chromedp.WaitVisible(chromedp.CSS("#approve"))); err != nil {
		t.Fatalf("connect again after declining: %v", err)
	}
	if n := srv.TokenGrants("authorization_code"); n != 0 {
		t.Errorf("%d code exchanges after a decline, want 0", n)
	}
}

// TestCallbackRefusesForgedState: a callback with an unknown state exchanges nothing.
func TestCallbackRefusesForgedState(t *testing.T) {
	srv := ghltest.NewServer()
	defer srv.Close()
	app := httptest.NewServer(NewApp(FakeConfig(srv, "http://127.0.0.1/callback"), ghl.NewMemoryStore()))
	defer app.Close()
	resp, err := app.Client().Get(app.URL + "/callback?state=forged&code=abc")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 || srv.TokenGrants("authorization_code") != 0 {
		t.Fatalf("forged state: status %d, %d exchanges", resp.StatusCode, srv.TokenGrants("authorization_code"))
	}
}
