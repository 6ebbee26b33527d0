package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/ghlkit/ghl/webhook"
)

func (c *cli) listenCommand() *cobra.Command {
	var addr, forward, key, save string
	cmd := &cobra.Command{
		Use:   "listen --forward-to URL",
		Short: "Receive deliveries, verify and print each, and forward it to your app",
		Long: `listen receives webhook deliveries (point HighLevel, or a tunnel, or ghlctl
fake --webhook, at it), verifies each with HighLevel's key or --public-key,
prints one line per delivery (its type, location, ID, and whether it is
valid or why not), and forwards it unchanged, headers and body, to your
app's handler, answering HighLevel with your app's answer. --save DIR keeps
each delivery as received, for "ghlctl webhooks verify". It runs until
interrupted.`,
		Example: `  ghlctl webhooks listen --addr 127.0.0.1:4000 --forward-to http://127.0.0.1:3000/webhooks
  ghlctl webhooks listen --forward-to http://127.0.0.1:3000/webhooks --public-key "$GHL_WEBHOOK_KEY" --save deliveries/`,
		Args: nArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if forward != "" && !strings.HasPrefix(forward, "http://") && !strings.HasPrefix(forward, "https://") {
				return usagef("--forward-to %q: want your handler's http(s) URL", forward)
			}
			var opts []webhook.Option
			if key = first(key, c.getenv("GHL_WEBHOOK_KEY")); key != "" {
				k, err := parseKey(key)
				if err != nil {
					return err
				}
				opts = append(opts, webhook.WithEd25519Keys(k), webhook.WithoutLegacyRSA())
			}
			v, err := webhook.NewVerifier(opts...)
			if err != nil {
				return usageError{err}
			}
			if save != "" {
				if err := os.MkdirAll(save, 0o700); err != nil {
					return usageError{err}
				}
			}
			return c.listen(cmd.Context(), addr, forward, save, v)
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:4000", "listen address")
	f.StringVar(&forward, "forward-to", "", "your app's webhook handler (none: verify and print only)")
	f.StringVar(&key, "public-key", "", "Ed25519 public key to trust instead of HighLevel's (default $GHL_WEBHOOK_KEY)")
	f.StringVar(&save, "save", "", "a directory to keep each delivery in, as received")
	return cmd
}

func (c *cli) listen(ctx context.Context, addr, forward, save string, v *webhook.Verifier) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return usageError{err}
	}
	fmt.Fprintf(c.stdout, "listening on http://%s\n", ln.Addr())
	var mu sync.Mutex
	n := 0
	hc := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
		if err != nil {
			http.Error(w, "unreadable body", http.StatusBadRequest)
			return
		}
		mu.Lock()
		n++
		seq := n
		mu.Unlock()
		verdict := "valid"
		typ, loc := "?", "?"
		id, verr := v.Verify(r.Header, body)
		if verr != nil {
			verdict = "INVALID: " + verr.Error()
		}
		if ev, err := webhook.Parse(body); err == nil {
			typ, loc = ev.EventType(), ev.Location()
		}
		if save != "" {
			var dump bytes.Buffer
			fmt.Fprintf(&dump, "%s %s HTTP/1.1\r\nHost: %s\r\n", r.Method, r.URL.RequestURI(), r.Host)
			_ = r.Header.Write(&dump)
			fmt.Fprintf(&dump, "Content-Length: %d\r\n\r\n", len(body))
			dump.Write(body)
			_ = os.WriteFile(filepath.Join(save, fmt.Sprintf("delivery-%04d.http", seq)), dump.Bytes(), 0o600)
		}
		status := http.StatusOK
		answer := []byte("received\n")
		if forward != "" {
			req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, forward, bytes.NewReader(body))
			req.Header = r.Header.Clone()
			resp, err := hc.Do(req)
			if err != nil {
				status, answer = http.StatusBadGateway, []byte("your handler: "+err.Error()+"\n")
			} else {
				status = resp.StatusCode
				answer, _ = io.ReadAll(io.LimitReader(resp.Body, 64<<10))
				resp.Body.Close()
			}
		}
		mu.Lock()
		fmt.Fprintf(c.stdout, "%s #%d %s %s %s: %s; forwarded: %d\n", time.Now().Format("15:04:05"), seq, typ, loc, id, verdict, status)
		mu.Unlock()
		w.WriteHeader(status)
		_, _ = w.Write(answer)
	})}
	return serveUntil(ctx, srv, ln)
}
