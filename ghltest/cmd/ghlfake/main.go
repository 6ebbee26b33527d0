// Command ghlfake runs ghltest's fake HighLevel API as a standalone server,
// so clients in any language can be tested against it:
//
//	go run ./ghltest/cmd/ghlfake -addr 127.0.0.1:8080 -contacts 1000 -v
//
// It prints the base URL, token and location to use, and stops on Ctrl-C.
// With -v it logs one line per request: method, path, status and duration
// (never headers, bodies or query strings, which can carry tokens).
//
// With -webhook URL it sends a signed webhook to URL for every change, as
// HighLevel does, signed with a key pair of its own whose Ed25519 public
// key it prints (verify x-ghl-signature with it; in Go,
// webhook.ParseEd25519PublicKey and webhook.WithEd25519Keys).
//
// Like HighLevel it allows 100 requests per 10 seconds per location; a test
// suite that sends more waits for the window. Lift it with
// -burst 100000 -window 1s.
package main

import (
	"bufio"
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"sync"
	"time"

	"github.com/ghlkit/ghl/ghltest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return // -h printed the usage: not an error
	case err != nil:
		fmt.Fprintln(os.Stderr, "ghlfake:", err)
		os.Exit(2)
	}
}

// run serves until ctx ends, printing what to connect with to out.
func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("ghlfake", flag.ContinueOnError)
	verbose := fs.Bool("v", false, "log one line per request (method, path, status, duration)")
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	contacts := fs.Int("contacts", 100, "contacts to seed in the location")
	seed := fs.Uint64("seed", 1, "seed for generated IDs and fixtures")
	token := fs.String("token", ghltest.DefaultToken, "static bearer token to accept")
	location := fs.String("location", ghltest.DefaultLocationID, "location ID the token belongs to")
	burst := fs.Int("burst", ghltest.DefaultBurst, "requests allowed per rate-limit window, per app and location")
	window := fs.Duration("window", ghltest.DefaultWindow, "rate-limit window")
	daily := fs.Int("daily", ghltest.DefaultDailyLimit, "requests allowed per day, per app and location")
	lifetime := fs.Duration("token-lifetime", ghltest.DefaultTokenLifetime, "lifetime of issued OAuth access tokens")
	dups := fs.Bool("allow-duplicates", false, "let locations accept duplicate contacts")
	clientID := fs.String("client-id", ghltest.DefaultClientID, "OAuth client ID to accept")
	clientSecret := fs.String("client-secret", ghltest.DefaultClientSecret, "OAuth client secret to accept")
	hookURL := fs.String("webhook", "", "send a signed webhook for every change to this http(s) URL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *contacts < 0 || *burst < 1 || *window <= 0 || *daily < 1 || *lifetime <= 0 {
		return errors.New("-contacts must be >= 0; -burst, -window, -daily and -token-lifetime must be positive")
	}
	if *hookURL != "" {
		if u, err := url.Parse(*hookURL); err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			return fmt.Errorf("-webhook %q: want an http or https URL", *hookURL)
		}
	}
	srv := ghltest.NewHandler(ghltest.WithSeed(*seed), ghltest.WithToken(*token, *location),
		ghltest.WithRateLimit(*burst, *window), ghltest.WithDailyLimit(*daily), ghltest.WithTokenLifetime(*lifetime),
		ghltest.WithAllowDuplicates(*dups), ghltest.WithOAuthApp(*clientID, *clientSecret))
	srv.Seed(*location, *contacts)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	var h http.Handler = srv
	if *verbose {
		h = logRequests(srv, os.Stderr)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(out, "ghlfake: serving a fake HighLevel API at http://%s\n", ln.Addr())
	fmt.Fprintf(out, "  token:     %s\n  location:  %s (%d contacts)\n  rate:      %d per %s, %d per day",
		*token, *location, *contacts, *burst, *window, *daily)
	if *burst == ghltest.DefaultBurst && *window == ghltest.DefaultWindow {
		fmt.Fprint(out, " (HighLevel's; lift it for test suites: -burst 100000 -window 1s)")
	}
	fmt.Fprintf(out, "\n  authorize: http://%s%s\n", ln.Addr(), ghltest.DefaultAuthorizePath)
	if *hookURL != "" {
		srv.DeliverWebhooks(*hookURL, nil)
		der, err := x509.MarshalPKIXPublicKey(srv.WebhookSigner().Ed25519PublicKey())
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "  webhooks:  signed deliveries to %s\n  webhook key (Ed25519, x-ghl-signature): %s\n",
			*hookURL, base64.StdEncoding.EncodeToString(der))
	}
	defer srv.Close()

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return hs.Shutdown(shut)
	}
}

// logRequests writes one line per request to w: method, path (no query: it
// can hold a token), status and duration.
func logRequests(next http.Handler, w io.Writer) http.Handler {
	var mu sync.Mutex
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: rw, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		mu.Lock()
		fmt.Fprintf(w, "%s %-6s %-45s %d %s\n", start.Format("15:04:05.000"), r.Method, r.URL.Path, sw.status,
			time.Since(start).Round(10*time.Microsecond))
		mu.Unlock()
	})
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (ghltest's
// drop faults hijack it).
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Hijack passes through, for the same reason.
func (s *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := s.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("ghlfake: the connection cannot be hijacked")
	}
	s.status = 0 // dropped: no answer
	return hj.Hijack()
}

// Flush passes through.
func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
