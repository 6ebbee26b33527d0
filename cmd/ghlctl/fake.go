package main

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/ghlkit/ghl/ghltest"
)

func (c *cli) fakeCommand() *cobra.Command {
	var addr, hookURL string
	var contacts, burst int
	var seed uint64
	var window time.Duration
	cmd := &cobra.Command{
		Use:   "fake",
		Short: "Serve a fake HighLevel (ghltest) to develop against",
		Long: `fake serves ghltest, the SDK's fake HighLevel API, seeded with contacts, and
prints the base URL, token and location to use. It runs until interrupted.
Like HighLevel it allows 100 requests per 10 s per location unless --burst
and --window lift it.`,
		Example: `  ghlctl fake --contacts 1000 --addr 127.0.0.1:8080
  ghlctl fake --webhook http://127.0.0.1:3000/webhooks   # signed deliveries for every change`,
		Args: nArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if contacts < 0 || burst < 1 || window <= 0 {
				return usagef("--contacts must be >= 0, --burst and --window positive")
			}
			return c.serveFake(cmd.Context(), addr, hookURL, contacts, seed, burst, window)
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:8080", "listen address")
	f.IntVar(&contacts, "contacts", 100, "contacts to seed")
	f.Uint64Var(&seed, "seed", 1, "seed for generated IDs and fixtures")
	f.IntVar(&burst, "burst", ghltest.DefaultBurst, "requests allowed per window, per location")
	f.DurationVar(&window, "window", ghltest.DefaultWindow, "rate-limit window")
	f.StringVar(&hookURL, "webhook", "", "send a signed webhook for every change to this URL")
	return cmd
}

func (c *cli) serveFake(ctx context.Context, addr, hookURL string, contacts int, seed uint64, burst int, window time.Duration) error {
	srv := ghltest.NewHandler(ghltest.WithSeed(seed), ghltest.WithRateLimit(burst, window))
	defer srv.Close()
	srv.Seed(ghltest.DefaultLocationID, contacts)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return usageError{err}
	}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(c.stdout, "export GHL_BASE_URL=%s\nexport GHL_TOKEN=%s\nexport GHL_LOCATION_ID=%s\n",
		base, ghltest.DefaultToken, ghltest.DefaultLocationID)
	fmt.Fprintf(c.stderr, "ghlctl fake: %d contacts; %d requests per %s; Ctrl-C stops it\n", contacts, burst, window)
	if hookURL != "" {
		srv.DeliverWebhooks(hookURL, nil)
		der, err := x509.MarshalPKIXPublicKey(srv.WebhookSigner().Ed25519PublicKey())
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "# webhooks to %s, Ed25519 key (x-ghl-signature):\nexport GHL_WEBHOOK_KEY=%s\n",
			hookURL, base64.StdEncoding.EncodeToString(der))
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	return serveUntil(ctx, hs, ln)
}

// serveUntil serves on ln until ctx ends, then shuts the server down.
func serveUntil(ctx context.Context, hs *http.Server, ln net.Listener) error {
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
