package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/ghlkit/ghl/ghltest"
)

// result is what one run of ghlctl did.
type result struct {
	code           int
	stdout, stderr string
}

// fake is a ghltest server for a test, its rate limit lifted.
func fake(t testing.TB, opts ...ghltest.Option) *ghltest.Server {
	t.Helper()
	srv := ghltest.NewServer(append([]ghltest.Option{ghltest.WithRateLimit(1_000_000, time.Second)}, opts...)...)
	t.Cleanup(srv.Close)
	return srv
}

// ghlctl runs the command line in process against srv (nil: no server),
// with the environment a user would set, overridden by vars ("KEY=value").
func ghlctl(t testing.TB, srv *ghltest.Server, stdin string, vars []string, args ...string) result {
	t.Helper()
	envs := map[string]string{"GHLCTL_CONFIG_DIR": t.TempDir()}
	if srv != nil {
		envs["GHL_TOKEN"], envs["GHL_LOCATION_ID"], envs["GHL_BASE_URL"] = ghltest.DefaultToken, ghltest.DefaultLocationID, srv.URL()
	}
	terminal := false
	for _, v := range vars {
		k, val, _ := strings.Cut(v, "=")
		if k == "TERMINAL" {
			terminal = true
			continue
		}
		envs[k] = val
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), args, env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb,
		getenv: func(k string) string { return envs[k] }, terminal: terminal})
	return result{code, out.String(), errb.String()}
}

func TestUsageErrorsSendNothing(t *testing.T) {
	t.Parallel()
	srv := fake(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"contactz"}, "unknown command"},
		{[]string{"contacts", "search", "--limit", "x"}, "invalid argument"},
		{[]string{"contacts", "search", "--limit", "0"}, "--limit 0"},
		{[]string{"contacts", "get"}, "want 1 argument(s): CONTACT_ID"},
		{[]string{"contacts", "get", "a/b"}, "contactId"},
		{[]string{"--output", "yaml", "limits"}, `--output "yaml"`},
		{[]string{"api", "TRACE", "/contacts/"}, `method "TRACE"`},
		{[]string{"api", "POST", "/contacts/", "--data", "{nope"}, "not JSON"},
		{[]string{"api", "GET", "https://elsewhere.example/x"}, "path"},
		{[]string{"api", "POST", "/oauth/token", "--data", "{}"}, "never prints"},
		{[]string{"contacts", "import", "/no/such/file.csv"}, "no such file"},
		{[]string{"reconcile", "/no/such/file.csv"}, "no such file"},
		{[]string{"sync", "status"}, "--state is required"},
		{[]string{"webhooks", "trigger", "ContactExplode", "--to", "http://127.0.0.1:1"}, `type "ContactExplode"`},
	} {
		before := len(srv.Requests())
		r := ghlctl(t, srv, "", nil, tc.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("ghlctl %v: exit %d, stderr %q; want exit %d naming %q", tc.args, r.code, r.stderr, exitUsage, tc.want)
		}
		if n := len(srv.Requests()) - before; n != 0 {
			t.Errorf("ghlctl %v sent %d requests", tc.args, n)
		}
	}
	if r := ghlctl(t, nil, "", nil, "contacts", "get", "x"); r.code != exitUsage || !strings.Contains(r.stderr, "GHL_TOKEN") {
		t.Errorf("without a token: exit %d, %q", r.code, r.stderr)
	}
}

func TestExitCodesByClass(t *testing.T) {
	t.Parallel()
	srv := fake(t)
	if r := ghlctl(t, srv, "", nil, "contacts", "get", "NoSuchContact0000001"); r.code != exitNotFound {
		t.Errorf("a missing contact: exit %d (%s), want %d", r.code, r.stderr, exitNotFound)
	}
	r := ghlctl(t, srv, "", []string{"GHL_TOKEN=wrong-token-1234567890"}, "contacts", "get", "NoSuchContact0000001")
	if r.code != exitAuth {
		t.Errorf("a refused token: exit %d (%s), want %d", r.code, r.stderr, exitAuth)
	}
	srv.Inject(ghltest.Fault{Path: "/contacts/search", Status: 429, RetryAfter: "3600", Times: 100})
	if r := ghlctl(t, srv, "", nil, "limits"); r.code != exitRateLimit {
		t.Errorf("a 429 asking for an hour: exit %d (%s), want %d", r.code, r.stderr, exitRateLimit)
	}
	srv.ClearFaults()
	if r := ghlctl(t, srv, "", nil, "--help"); r.code != exitOK || !strings.Contains(r.stdout, "Examples:") {
		t.Errorf("--help: exit %d, %q", r.code, r.stdout)
	}
	if r := ghlctl(t, srv, "", nil, "completion", "bash"); r.code != exitOK || !strings.Contains(r.stdout, "ghlctl") {
		t.Errorf("completion bash: exit %d", r.code)
	}
}

// TestEveryCommandHasHelpWithExamples: each command a user runs says what
// it does and shows how.
func TestEveryCommandHasHelpWithExamples(t *testing.T) {
	t.Parallel()
	c := &cli{env: env{getenv: func(string) string { return "" }}}
	var walk func(path string, cmds []*cobra.Command)
	walk = func(path string, cmds []*cobra.Command) {
		for _, cmd := range cmds {
			if cmd.Hidden || cmd.Name() == "help" || cmd.Name() == "completion" {
				continue
			}
			name := path + " " + cmd.Name()
			if cmd.Short == "" {
				t.Errorf("%s: no short help", name)
			}
			if cmd.Runnable() && cmd.Example == "" {
				t.Errorf("%s: no example", name)
			}
			walk(name, cmd.Commands())
		}
	}
	walk("ghlctl", c.rootCommand().Commands())
}

// TestTheTokenNeverPrints: whatever a command prints, on success or
// failure, the token is not in it.
func TestTheTokenNeverPrints(t *testing.T) {
	t.Parallel()
	srv := fake(t, ghltest.WithToken("secret-token-7c1f2e9a", ghltest.DefaultLocationID))
	vars := []string{"GHL_TOKEN=secret-token-7c1f2e9a"}
	for _, args := range [][]string{
		{"auth", "status"}, {"auth", "status", "-o", "json"}, {"limits"}, {"contacts", "search", "--limit", "2"},
		{"contacts", "get", "NoSuchContact0000001"}, {"api", "GET", "/contacts/NoSuchContact0000001"},
		{"--base-url", "http://example.com", "limits"},
	} {
		r := ghlctl(t, srv, "", vars, args...)
		if strings.Contains(r.stdout+r.stderr, "secret-token") {
			t.Errorf("ghlctl %v printed the token:\n%s%s", args, r.stdout, r.stderr)
		}
	}
	r := ghlctl(t, srv, "", []string{"GHL_TOKEN=wrong-secret-0000000000"}, "auth", "status")
	if r.code != exitAuth || strings.Contains(r.stdout+r.stderr, "wrong-secret") {
		t.Errorf("a refused token: exit %d, printed %q %q", r.code, r.stdout, r.stderr)
	}
}
