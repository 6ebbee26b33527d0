// Command ghlctl is the command line for people who run a HighLevel
// integration: export and import contacts without duplicates, reconcile a
// spreadsheet with a location, read a sync's state and one person's
// history, check and send webhook deliveries, call any endpoint, see the
// rate budget left, and serve a fake HighLevel to develop against.
//
//	ghlctl fake --contacts 1000            # a fake HighLevel; prints what to connect with
//	export GHL_TOKEN=... GHL_LOCATION_ID=... GHL_BASE_URL=...
//	ghlctl contacts export --out contacts.csv
//	ghlctl contacts import people.csv --by email --dry-run
//	ghlctl reconcile people.csv --output json
//	ghlctl api GET /contacts/{id}
//
// Every request goes through the SDK's request path (rate limiter, retries,
// typed errors). Credentials come from GHL_TOKEN (a Private Integration
// Token or an access token) and GHL_LOCATION_ID; GHL_BASE_URL points at a
// fake or a proxy; flags override them. No secret is ever printed.
//
// Exit codes: 0 success; 1 a failure not listed here; 2 bad usage or bad
// input (nothing sent); 3 authentication (the token was refused or lacks
// access); 4 rate limited (the daily budget is spent); 5 not found; 6 the
// outcome of a write is unknown (check before running it again).
package main

import (
	"context"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr,
		getenv: os.Getenv, terminal: isTerminal(os.Stderr)})
	stop()
	os.Exit(code)
}

// isTerminal reports whether f is a character device (a terminal), where
// a progress bar belongs; a pipe or a file gets none.
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
