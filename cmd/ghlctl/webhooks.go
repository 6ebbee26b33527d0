package main

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ghlkit/ghl/webhook"
)

func (c *cli) webhooksCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "webhooks", Short: "Receive, check and send webhook deliveries"}
	cmd.AddCommand(c.verifyCommand(), c.triggerCommand(), c.keyCommand(), c.listenCommand())
	return cmd
}

// parseKey reads an Ed25519 public key: base64 of its DER (SPKI) form or
// of its 32 bytes, or PEM.
func parseKey(s string) (ed25519.PublicKey, error) {
	k, err := webhook.ParseEd25519PublicKey(s)
	if err != nil {
		return nil, usagef("--public-key: %v", err)
	}
	return k, nil
}

func (c *cli) verifyCommand() *cobra.Command {
	var key string
	var anyAge bool
	cmd := &cobra.Command{
		Use:   "verify [FILE]",
		Short: "Check a captured delivery's signature (an HTTP request as received)",
		Long: `verify reads one delivery as it was received, the HTTP request with its
headers and body (from FILE, or stdin), and says whether its signature is
HighLevel's (or --public-key's, e.g. ghlctl fake's) and its timestamp within
the replay window; if not, why not. --any-age skips the timestamp check, for
a delivery captured earlier.`,
		Example: `  ghlctl webhooks verify delivery.http
  ghlctl webhooks verify --public-key "$GHL_WEBHOOK_KEY" --any-age < delivery.http`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := "-"
			if len(args) == 1 {
				name = args[0]
			}
			raw, err := c.readInput(name)
			if err != nil {
				return err
			}
			req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
			if err != nil {
				return usagef("%s: not an HTTP request as received: %v", name, err)
			}
			body, err := io.ReadAll(req.Body)
			if err != nil {
				return usagef("%s: the body: %v", name, err)
			}
			var opts []webhook.Option
			if key = first(key, c.getenv("GHL_WEBHOOK_KEY")); key != "" {
				k, err := parseKey(key)
				if err != nil {
					return err
				}
				opts = append(opts, webhook.WithEd25519Keys(k), webhook.WithoutLegacyRSA())
			}
			if anyAge {
				opts = append(opts, webhook.WithReplayWindow(100*365*24*time.Hour))
			}
			v, err := webhook.NewVerifier(opts...)
			if err != nil {
				return usageError{err}
			}
			id, err := v.Verify(req.Header, body)
			if err != nil {
				return fmt.Errorf("invalid delivery: %w", err)
			}
			ev, err := webhook.Parse(body)
			if err != nil {
				return fmt.Errorf("signed, but the payload does not parse: %w", err)
			}
			return c.print(table{header: []string{"valid", "type", "location", "webhook_id"},
				rows: [][]string{{"yes", ev.EventType(), ev.Location(), id}}})
		},
	}
	cmd.Flags().StringVar(&key, "public-key", "", "Ed25519 public key to trust instead of HighLevel's (default $GHL_WEBHOOK_KEY)")
	cmd.Flags().BoolVar(&anyAge, "any-age", false, "skip the replay window: a delivery captured earlier")
	return cmd
}

// triggerTypes are the event types trigger sends.
var triggerTypes = []string{webhook.ContactCreate, webhook.ContactUpdate, webhook.ContactDelete, webhook.ContactTagUpdate,
	webhook.ContactDndUpdate, webhook.NoteCreate, webhook.NoteUpdate, webhook.NoteDelete, webhook.TaskCreate,
	webhook.TaskComplete, webhook.TaskDelete, webhook.AppointmentCreate, webhook.AppointmentUpdate, webhook.AppointmentDelete}

func (c *cli) triggerCommand() *cobra.Command {
	var to, contactID string
	cmd := &cobra.Command{
		Use:   "trigger TYPE --to URL",
		Short: "Send a signed test delivery to your app's webhook handler",
		Long: `trigger sends one delivery of TYPE (` + strings.Join(triggerTypes, ", ") + `)
to URL, shaped as HighLevel sends it and signed (x-ghl-signature, Ed25519)
with ghlctl's own test key, which your handler trusts in development:
webhook.WithEd25519Keys with the key "ghlctl webhooks key" prints.`,
		Example: `  ghlctl webhooks trigger ContactUpdate --to http://127.0.0.1:3000/webhooks
  ghlctl webhooks trigger TaskCreate --to http://127.0.0.1:3000/webhooks --contact ocQHyuzHvysMo5N5VsXc`,
		Args: nArgs("TYPE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(triggerTypes, args[0]) {
				return usagef("type %q: want one of %s", args[0], strings.Join(triggerTypes, ", "))
			}
			if !strings.HasPrefix(to, "http://") && !strings.HasPrefix(to, "https://") {
				return usagef("--to %q: want your handler's http(s) URL", to)
			}
			priv, err := c.testKey()
			if err != nil {
				return err
			}
			loc := first(c.location, c.getenv("GHL_LOCATION_ID"), "ghlctlTestLocation01")
			body, err := samplePayload(args[0], loc, contactID)
			if err != nil {
				return err
			}
			req, err := http.NewRequestWithContext(cmd.Context(), http.MethodPost, to, bytes.NewReader(body))
			if err != nil {
				return usageError{err}
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(webhook.HeaderEd25519, base64.StdEncoding.EncodeToString(ed25519.Sign(priv, body)))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			answer, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			fmt.Fprintf(c.stdout, "%s delivered: %s %s\n", args[0], resp.Status, strings.TrimSpace(string(answer)))
			if resp.StatusCode >= 300 {
				return fmt.Errorf("the handler answered %s", resp.Status)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "your handler's URL")
	cmd.Flags().StringVar(&contactID, "contact", "ghlctlTestContact001", "the contact the event is about")
	return cmd
}

func (c *cli) keyCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "key",
		Short: "Print the public key trigger signs with, for your handler to trust in development",
		Example: `  export GHL_WEBHOOK_KEY=$(ghlctl webhooks key)
  # in Go: key, _ := webhook.ParseEd25519PublicKey(os.Getenv("GHL_WEBHOOK_KEY"))
  #        verifier, _ := webhook.NewVerifier(webhook.WithEd25519Keys(key))`,
		Args: nArgs(),
		RunE: func(*cobra.Command, []string) error {
			priv, err := c.testKey()
			if err != nil {
				return err
			}
			der, err := x509.MarshalPKIXPublicKey(priv.Public())
			if err != nil {
				return err
			}
			fmt.Fprintln(c.stdout, base64.StdEncoding.EncodeToString(der))
			return nil
		},
	}
}

// testKey is ghlctl's test signing key, made once and kept in the user's
// config directory (GHLCTL_CONFIG_DIR overrides it), readable by the user
// only. It signs test deliveries only: never a key HighLevel trusts.
func (c *cli) testKey() (ed25519.PrivateKey, error) {
	dir := c.getenv("GHLCTL_CONFIG_DIR")
	if dir == "" {
		base, err := os.UserConfigDir()
		if err != nil {
			return nil, err
		}
		dir = filepath.Join(base, "ghlctl")
	}
	path := filepath.Join(dir, "webhook-test-key")
	if seed, err := os.ReadFile(path); err == nil && len(seed) == ed25519.SeedSize {
		return ed25519.NewKeyFromSeed(seed), nil
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, seed, 0o600); err != nil {
		return nil, err
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// samplePayload is a delivery of typ as HighLevel shapes it.
func samplePayload(typ, location, contactID string) ([]byte, error) {
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	id := make([]byte, 8)
	_, _ = rand.Read(id)
	p := map[string]any{"type": typ, "locationId": location, "webhookId": fmt.Sprintf("ghlctl-%x", id), "timestamp": now}
	switch {
	case strings.HasPrefix(typ, "Contact"):
		p["id"] = contactID
		p["firstName"], p["lastName"], p["email"] = "Ada", "Lovelace", "ada@example.com"
		p["tags"] = []string{"ghlctl"}
		p["dateAdded"] = now
	case strings.HasPrefix(typ, "Note"):
		p["id"], p["contactId"], p["body"], p["dateAdded"] = "ghlctlTestNote000001", contactID, "A note from ghlctl", now
	case strings.HasPrefix(typ, "Task"):
		p["id"], p["contactId"], p["title"], p["dueDate"], p["completed"] = "ghlctlTestTask000001", contactID, "Call back", now, typ == webhook.TaskComplete
	case strings.HasPrefix(typ, "Appointment"):
		p["appointment"] = map[string]any{"id": "ghlctlTestAppt000001", "contactId": contactID, "calendarId": "ghlctlTestCalendar01",
			"startTime": now, "endTime": now, "appointmentStatus": "confirmed", "locationId": location}
	}
	return json.Marshal(p)
}
