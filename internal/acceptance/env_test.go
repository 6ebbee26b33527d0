package acceptance_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghlsync"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/webhook"
)

// The faults every scenario runs under, besides "none".
const (
	faultNone     = "none"
	fault429      = "429 burst"
	fault503      = "503 on a write"
	faultDrop     = "dropped after create"
	faultToken    = "token expiring mid-run"
	faultHooks    = "duplicate and out-of-order webhooks"
	faultHookStop = "webhooks stopping"
	faultLag      = "search index lag"
)

var allFaults = []string{faultNone, fault429, fault503, faultDrop, faultToken, faultHooks, faultHookStop, faultLag}

// Test-speed settings an app would leave at their defaults: HighLevel's
// 10-second window shrunk, waits shortened.
const (
	testWindow = 50 * time.Millisecond
	testQuiet  = 400 * time.Millisecond // a Stream's wait for webhooks before it polls
	searchLag  = 1500 * time.Millisecond
)

const appAgent = "scenario-app"

// env is one scenario run: a ghltest server, the integration's clients,
// someone working in HighLevel, and the fault.
type env struct {
	t     *testing.T
	fault string
	srv   *ghltest.Server
	// App and Worker are two processes of the integration (a web process and
	// a background worker): one rate budget, and under faultToken one OAuth
	// token store, shared.
	App, Worker *ghl.Client
	// User works in HighLevel's own UI: its requests are not the
	// integration's, and are not counted as its spending.
	User *ghl.Client

	receiver *httptest.Server
	armed    bool
}

const uiToken = "ghltest-ui-token"

func newEnv(t *testing.T, fault string, opts ...ghltest.Option) *env {
	t.Helper()
	base := []ghltest.Option{ghltest.WithRateLimit(100, testWindow), ghltest.WithToken(uiToken, ghltest.DefaultLocationID)}
	if fault == faultLag {
		base = append(base, ghltest.WithSearchLag(searchLag))
	}
	if fault == faultToken {
		base = append(base, ghltest.WithTokenLifetime(3*time.Second))
	}
	srv := ghltest.NewServer(append(base, opts...)...)
	t.Cleanup(srv.Close)
	e := &env{t: t, fault: fault, srv: srv}

	retry := ghl.WithRetryPolicy(ghl.RetryPolicy{MinWait: time.Millisecond, MaxWait: 100 * time.Millisecond, SettleWait: 50 * time.Millisecond})
	limiter := ghl.WithRateLimiter(ghl.NewRateLimiter())
	common := []ghl.Option{ghl.WithBaseURL(srv.URL()), ghl.WithLocation(ghltest.DefaultLocationID), retry, limiter}
	var err error
	if fault == faultToken {
		// Two processes, two stores on one directory: the flock makes them
		// spend each single-use refresh token once.
		ctx := context.Background()
		cfg := &ghl.OAuthConfig{ClientID: ghltest.DefaultClientID, ClientSecret: ghl.NewSecret(ghltest.DefaultClientSecret), BaseURL: srv.URL()}
		code, err := srv.AuthorizationCode(cfg.ClientID, "", ghltest.DefaultLocationID, "contacts.write")
		require.NoError(t, err)
		dir, key := t.TempDir(), make([]byte, 32)
		_, _ = rand.Read(key)
		for i, c := range []**ghl.Client{&e.App, &e.Worker} {
			store, err := ghl.NewFileStore(dir, key)
			require.NoError(t, err)
			if i == 0 {
				_, _, err = cfg.ExchangeAndSave(ctx, code, store)
				require.NoError(t, err)
			}
			src, err := cfg.NewSource(store, ghltest.DefaultLocationID, ghl.WithRefreshLeeway(time.Second))
			require.NoError(t, err)
			*c, err = ghl.NewClient(append(common, ghl.WithTokenSource(src), ghl.WithUserAgent(fmt.Sprintf("%s/%d", appAgent, i)))...)
			require.NoError(t, err)
		}
	} else {
		e.App, err = ghl.NewClient(append(common, ghl.WithToken(ghltest.DefaultToken), ghl.WithUserAgent(appAgent+"/0"))...)
		require.NoError(t, err)
		e.Worker, err = ghl.NewClient(append(common, ghl.WithToken(ghltest.DefaultToken), ghl.WithUserAgent(appAgent+"/1"))...)
		require.NoError(t, err)
	}
	e.User, err = ghl.NewClient(ghl.WithBaseURL(srv.URL()), ghl.WithToken(uiToken), ghl.WithLocation(ghltest.DefaultLocationID),
		ghl.WithUserAgent("highlevel-ui"), retry)
	require.NoError(t, err)
	return e
}

// listen delivers the server's webhooks, verified, to fn.
func (e *env) listen(fn func(context.Context, webhook.Event) error) {
	v, err := e.srv.WebhookVerifier()
	require.NoError(e.t, err)
	e.receiver = httptest.NewServer(webhook.NewHandler(v, fn))
	e.t.Cleanup(e.receiver.Close)
	e.srv.DeliverWebhooks(e.receiver.URL, nil)
}

// arm starts the fault, mid-run: the scenario calls it once it is under way.
func (e *env) arm() {
	if e.armed {
		return
	}
	e.armed = true
	ua := appAgent // the faults hit the integration, not people working in HighLevel
	switch e.fault {
	case fault429:
		e.srv.Inject(ghltest.Fault{Status: 429, RetryAfter: "0", Times: 12, Body: `{"message":"Too many requests"}`, UserAgent: ua})
	case fault503:
		// The SDK resends a PUT; a create it never resends (HighLevel may be
		// part-way through it), so the app gets a typed error and retries.
		for _, f := range []ghltest.Fault{{Method: "PUT"}, {Method: "POST", Path: "/contacts/*/*"}, {Method: "POST", Path: "/calendars/events/appointments"}} {
			f.Status, f.Body, f.UserAgent = 503, `{"message":"Service Unavailable"}`, ua
			e.srv.Inject(f)
		}
	case faultDrop:
		for _, p := range []string{"/contacts/", "/contacts/*/tasks", "/calendars/events/appointments"} {
			e.srv.Inject(ghltest.Fault{Method: "POST", Path: p, DropAfter: true, UserAgent: ua})
		}
	case faultToken:
		e.srv.ExpireAccessTokens()
	case faultHooks:
		e.srv.InjectWebhook(ghltest.WebhookFault{Duplicate: true, Times: 3})
		e.srv.InjectWebhook(ghltest.WebhookFault{Reorder: true, Times: 3})
	case faultHookStop:
		e.srv.StopWebhooks()
	}
}

// maxSteps bounds the app's steps before a run is declared stuck. It is a
// count, not a deadline: a busy machine makes each step slower, never the
// number of steps to converge larger (what waits on time in a run, the
// quiet period and the search lag, has passed sooner, in steps, when steps
// are slow).
const maxSteps = 600

// settle runs the app's step until done holds, waiting between steps for
// the webhook deliveries under way to finish; it fails the test after
// maxSteps steps.
func (e *env) settle(step func(context.Context) error, done func() bool) {
	e.t.Helper()
	ctx := context.Background()
	for range maxSteps {
		_ = e.srv.WaitWebhooks(ctx)
		if err := step(ctx); err != nil {
			e.t.Logf("step: %v", err)
		}
		if done() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.t.Fatalf("%s: the two sides did not converge in %d steps", e.fault, maxSteps)
}

// eventually retries check until it holds, like settle but without a step
// of the app's; it fails the test after maxSteps tries.
func (e *env) eventually(check func() bool, what string, args ...any) {
	e.t.Helper()
	for range maxSteps {
		if check() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.t.Fatalf(what, args...)
}

// spent counts the integration's requests (both processes, token calls
// included), not the HighLevel user's.
func (e *env) spent() int {
	n := 0
	for _, r := range e.srv.Requests() {
		if strings.HasPrefix(r.Header.Get("User-Agent"), appAgent) || r.Path == "/oauth/token" {
			n++
		}
	}
	return n
}

// reportMu keeps the REQUESTS lines of parallel runs whole.
var reportMu sync.Mutex

// report logs the requests the run spent against its minimum, for the
// table in README (go test -v ./scenarios | grep REQUESTS), and checks the
// run's promises about requests: no fewer than the minimum, no 429 but the
// injected ones, a refresh after the token expired.
func (e *env) report(scenario string, minimum int) {
	reportMu.Lock()
	defer reportMu.Unlock()
	s := e.spent()
	if os.Getenv("SCENARIO_REQUESTS") != "" {
		for _, r := range e.srv.Requests() {
			if strings.HasPrefix(r.Header.Get("User-Agent"), appAgent) || r.Path == "/oauth/token" {
				e.t.Logf("  %s %s %d", r.Method, r.Path, r.Status)
			}
		}
	}
	e.t.Logf("REQUESTS %-14s %-38s spent %5d  minimum %5d  429s %d", scenario, e.fault, s, minimum, e.srv.RateLimited())
	require.GreaterOrEqual(e.t, s, minimum, "fewer requests than the minimum: the count is wrong")
	if e.fault != fault429 {
		require.Zero(e.t, e.srv.RateLimited(), "the shared limiter kept the integration within the limit: no 429")
	}
	if e.fault == faultToken {
		require.GreaterOrEqual(e.t, e.srv.TokenGrants("refresh_token"), 1, "the expired token was refreshed")
	}
}

// tokenMin is what OAuth adds to a run's minimum: the code exchange and one
// refresh after the expiry.
func (e *env) tokenMin() int {
	if e.fault == faultToken {
		return 2
	}
	return 0
}

// linked returns the HighLevel contact linked to an app's record.
func (e *env) linked(app interface {
	ContactID(context.Context, string) (string, bool)
}, id string) string {
	e.t.Helper()
	rid, ok := app.ContactID(context.Background(), id)
	require.True(e.t, ok, "%s is not linked to a contact", id)
	return rid
}

// typed says whether err is one of the SDK's typed errors, as every
// failure an app reports must be.
func typed(err error) bool {
	var ae *ghl.APIError
	var ue *ghl.UnknownOutcomeError
	var an *ghl.AnswerError
	return errors.As(err, &ae) || errors.As(err, &ue) || errors.As(err, &an) ||
		errors.Is(err, ghl.ErrMaybeProcessed) || errors.Is(err, ghlsync.ErrUnresolved)
}
