package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ghlkit/ghl"
)

// env is what a run of ghlctl reads and writes: the process's own in main,
// buffers in tests.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	terminal       bool // stderr is a terminal: progress is drawn there
}

// cli is one run's settings.
type cli struct {
	env
	token, location, baseURL, output string
	insecure                         bool
	refused                          atomic.Int64 // 429 answers seen by this run's clients
}

// countRefusals counts the 429 answers that pass through it.
type countRefusals struct {
	rt http.RoundTripper
	n  *atomic.Int64
}

func (t countRefusals) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.rt.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		t.n.Add(1)
	}
	return resp, err
}

// Exit codes, one per class of failure.
const (
	exitOK        = 0
	exitFailure   = 1
	exitUsage     = 2 // bad usage or bad input: nothing was sent
	exitAuth      = 3
	exitRateLimit = 4
	exitNotFound  = 5
	exitUnknown   = 6 // a write's outcome is unknown
)

// usageError is bad usage or bad input, found before anything was sent.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// exitCode is the exit code of err's class.
func exitCode(err error) int {
	var ue usageError
	var rl *ghl.RateLimitError
	var uo *ghl.UnknownOutcomeError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue), errors.Is(err, ghl.ErrInvalidInput):
		return exitUsage
	case errors.Is(err, ghl.ErrUnauthorized), errors.Is(err, ghl.ErrForbidden), errors.Is(err, ghl.ErrReauthRequired):
		return exitAuth
	case errors.As(err, &rl), errors.Is(err, ghl.ErrRateLimited):
		return exitRateLimit
	case errors.Is(err, ghl.ErrNotFound), errors.Is(err, errNoHistory):
		return exitNotFound
	case errors.As(err, &uo), errors.Is(err, ghl.ErrMaybeProcessed):
		return exitUnknown
	}
	return exitFailure
}

// run runs ghlctl with args and returns its exit code.
func run(ctx context.Context, args []string, e env) int {
	c := &cli{env: e}
	root := c.rootCommand()
	root.SetArgs(args)
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	code := exitCode(err)
	if code == exitFailure && strings.HasPrefix(err.Error(), "unknown command") {
		code = exitUsage
	}
	fmt.Fprintln(e.stderr, "ghlctl:", err)
	return code
}

func (c *cli) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "ghlctl",
		Short: "The command line for HighLevel integrations",
		Long: `ghlctl exports, imports and reconciles a HighLevel location's contacts, reads a
sync's state and history, checks and sends webhooks, calls any endpoint and
serves a fake HighLevel, all through the ghl SDK's request path.

Credentials: GHL_TOKEN (a Private Integration Token or an access token) and
GHL_LOCATION_ID; GHL_BASE_URL for a fake or a proxy. Flags override them.`,
		Example: `  ghlctl fake --contacts 1000
  ghlctl contacts export --out contacts.csv
  ghlctl contacts import people.csv --by email --dry-run`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVar(&c.token, "token", "", "bearer token (default $GHL_TOKEN)")
	pf.StringVar(&c.location, "location", "", "location ID (default $GHL_LOCATION_ID)")
	pf.StringVar(&c.baseURL, "base-url", "", "API base URL (default $GHL_BASE_URL, else HighLevel's)")
	pf.StringVarP(&c.output, "output", "o", "table", "output format: table, json or csv")
	pf.BoolVar(&c.insecure, "insecure-http", false, "allow a plain-http base URL off loopback (a fake on a private network)")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		switch c.output {
		case "table", "json", "csv":
		default:
			return usagef("--output %q: want table, json or csv", c.output)
		}
		return nil
	}
	root.AddCommand(c.fakeCommand(), c.contactsCommand(), c.reconcileCommand(), c.apiCommand(), c.limitsCommand(),
		c.syncCommand(), c.webhooksCommand(), c.authCommand(), c.loginCommand())
	return root
}

// client is the API client the flags and the environment describe.
func (c *cli) client() (*ghl.Client, error) {
	token := first(c.token, c.getenv("GHL_TOKEN"))
	if token == "" {
		if l, ok := c.storedLogin(); ok {
			return c.loginClient(l)
		}
		return nil, usagef("no token: set GHL_TOKEN or --token, or run ghlctl login")
	}
	opts := []ghl.Option{ghl.WithToken(token), ghl.WithUserAgent("ghlctl"), ghl.WithHTTPClient(c.httpClient())}
	if loc := first(c.location, c.getenv("GHL_LOCATION_ID")); loc != "" {
		opts = append(opts, ghl.WithLocation(loc))
	}
	if base := first(c.baseURL, c.getenv("GHL_BASE_URL")); base != "" {
		opts = append(opts, ghl.WithBaseURL(base))
	}
	if c.insecure {
		opts = append(opts, ghl.WithInsecureHTTP())
	}
	cl, err := ghl.NewClient(opts...)
	if err != nil {
		return nil, usageError{err}
	}
	return cl, nil
}

// httpClient counts the 429 answers the run's requests get.
func (c *cli) httpClient() *http.Client {
	return &http.Client{Transport: countRefusals{http.DefaultTransport, &c.refused}, Timeout: 60 * time.Second}
}

// locationID is the location the flags, the environment or the stored
// login name.
func (c *cli) locationID() (string, error) {
	loc := first(c.location, c.getenv("GHL_LOCATION_ID"))
	if l, ok := c.storedLogin(); ok && loc == "" && first(c.token, c.getenv("GHL_TOKEN")) == "" {
		loc = l.Location
	}
	if loc == "" {
		return "", usagef("no location: set GHL_LOCATION_ID or --location")
	}
	return loc, nil
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// table is output as the --output flag asks: aligned columns, JSON (one
// array of objects keyed by the header) or CSV with a header.
type table struct {
	header []string
	rows   [][]string
}

func (c *cli) print(t table) error {
	switch c.output {
	case "json":
		out := make([]map[string]string, 0, len(t.rows))
		for _, r := range t.rows {
			m := map[string]string{}
			for i, h := range t.header {
				m[h] = r[i]
			}
			out = append(out, m)
		}
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case "csv":
		w := csv.NewWriter(c.stdout)
		_ = w.Write(t.header)
		_ = w.WriteAll(t.rows)
		return w.Error()
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(t.header, "\t")))
	for _, r := range t.rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// printJSON writes v as indented JSON.
func (c *cli) printJSON(v any) error {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// readInput reads a file argument, "-" meaning stdin.
func (c *cli) readInput(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(c.stdin)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, usageError{err}
	}
	return b, nil
}

// nArgs accepts exactly n arguments, naming them when they are not there.
func nArgs(names ...string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != len(names) {
			return usagef("want %d argument(s): %s; got %d", len(names), strings.Join(names, " "), len(args))
		}
		return nil
	}
}
