package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ghlkit/ghl"
)

// login is what ghlctl login keeps, beside the encrypted tokens: no secret.
type login struct {
	ClientID string `json:"clientId"`
	Location string `json:"location"` // the token store's key
	BaseURL  string `json:"baseUrl,omitempty"`
}

// configDir is ghlctl's directory in the user's config directory
// (GHLCTL_CONFIG_DIR overrides it).
func (c *cli) configDir() (string, error) {
	if dir := c.getenv("GHLCTL_CONFIG_DIR"); dir != "" {
		return dir, nil
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "ghlctl"), nil
}

// tokenStore is the encrypted store of the login's tokens: the SDK's
// FileStore under the config directory, its AES key in a file of its own
// readable by the user only (GHLCTL_STORE_KEY, 64 hex digits, overrides
// it: a key kept in a secrets manager rather than on the same disk).
func (c *cli) tokenStore() (*ghl.FileStore, error) {
	dir, err := c.configDir()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	key, err := hex.DecodeString(c.getenv("GHLCTL_STORE_KEY"))
	if err != nil || c.getenv("GHLCTL_STORE_KEY") == "" {
		path := filepath.Join(dir, "store-key")
		if key, err = os.ReadFile(path); errors.Is(err, os.ErrNotExist) {
			key = make([]byte, 32)
			if _, err := rand.Read(key); err != nil {
				return nil, err
			}
			err = os.WriteFile(path, key, 0o600)
		}
		if err != nil {
			return nil, err
		}
	}
	return ghl.NewFileStore(filepath.Join(dir, "tokens"), key)
}

// oauthConfig is the app's OAuth client from the flags and environment.
func (c *cli) oauthConfig(clientID, secret, authorizeURL string) (*ghl.OAuthConfig, error) {
	clientID, secret = first(clientID, c.getenv("GHL_CLIENT_ID")), first(secret, c.getenv("GHL_CLIENT_SECRET"))
	if clientID == "" || secret == "" {
		return nil, usagef("the app's OAuth client: set GHL_CLIENT_ID and GHL_CLIENT_SECRET (or --client-id, --client-secret)")
	}
	return &ghl.OAuthConfig{ClientID: clientID, ClientSecret: ghl.NewSecret(secret), AuthorizeURL: authorizeURL,
		BaseURL: first(c.baseURL, c.getenv("GHL_BASE_URL")), InsecureHTTP: c.insecure}, nil
}

func (c *cli) loginCommand() *cobra.Command {
	var clientID, secret, authorizeURL, scopes string
	var port int
	var noBrowser bool
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Authorize ghlctl on a location through your app's OAuth code flow",
		Long: `login runs your HighLevel app's OAuth code flow: it opens the "choose location"
page in your browser, receives the code on a loopback redirect
(http://127.0.0.1:PORT/callback, which the app's settings must list), and
keeps the tokens encrypted in ghlctl's config directory. Later commands use
them when GHL_TOKEN is not set, refreshing them as needed with the app's
client ID and secret (GHL_CLIENT_ID, GHL_CLIENT_SECRET).`,
		Example: `  export GHL_CLIENT_ID=... GHL_CLIENT_SECRET=...
  ghlctl login --scopes "contacts.readonly contacts.write"
  ghlctl auth status`,
		Args: nArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := c.oauthConfig(clientID, secret, authorizeURL)
			if err != nil {
				return err
			}
			for _, s := range strings.Fields(scopes) {
				cfg.Scopes = append(cfg.Scopes, ghl.Scope(s))
			}
			return c.login(cmd.Context(), cfg, port, noBrowser)
		},
	}
	f := cmd.Flags()
	f.StringVar(&clientID, "client-id", "", "the app's client ID (default $GHL_CLIENT_ID)")
	f.StringVar(&secret, "client-secret", "", "the app's client secret (default $GHL_CLIENT_SECRET)")
	f.StringVar(&authorizeURL, "authorize-url", "", "the choose-location page (default HighLevel's)")
	f.StringVar(&scopes, "scopes", "contacts.readonly contacts.write", "the scopes to ask for, separated by spaces")
	f.IntVar(&port, "port", 8765, "the loopback redirect's port")
	f.BoolVar(&noBrowser, "no-browser", false, "print the URL to open instead of opening a browser")
	return cmd
}

// login runs the code flow and stores the tokens.
func (c *cli) login(ctx context.Context, cfg *ghl.OAuthConfig, port int, noBrowser bool) error {
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return usagef("the loopback redirect: %v", err)
	}
	cfg.RedirectURL = fmt.Sprintf("http://%s/callback", ln.Addr())
	stateBytes := make([]byte, 16)
	_, _ = rand.Read(stateBytes)
	state := hex.EncodeToString(stateBytes)
	type answer struct {
		code string
		err  error
	}
	got := make(chan answer, 1)
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			http.NotFound(w, r)
			return
		}
		q := r.URL.Query()
		var a answer
		switch {
		case q.Get("state") != state:
			a.err = errors.New("the redirect's state is not the one sent: ignored")
			http.Error(w, a.err.Error(), http.StatusBadRequest)
			return // not ours: keep waiting
		case q.Get("error") != "":
			a.err = fmt.Errorf("authorization refused: %s", first(q.Get("error_description"), q.Get("error")))
		case q.Get("code") == "":
			a.err = errors.New("the redirect carries no code")
		default:
			a.code = q.Get("code")
		}
		if a.err != nil {
			http.Error(w, a.err.Error(), http.StatusBadRequest)
		} else {
			fmt.Fprintln(w, "ghlctl has the authorization; you can close this tab.")
		}
		select {
		case got <- a:
		default:
		}
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	authURL := cfg.AuthCodeURL(state)
	fmt.Fprintf(c.stderr, "Open this page to choose the location (redirect %s):\n%s\n", cfg.RedirectURL, authURL)
	if !noBrowser {
		openBrowser(authURL)
	}
	var a answer
	select {
	case a = <-got:
	case <-ctx.Done():
		return ctx.Err()
	}
	if a.err != nil {
		return a.err
	}
	store, err := c.tokenStore()
	if err != nil {
		return err
	}
	_, tok, err := cfg.ExchangeAndSave(ctx, a.code, store)
	if err != nil {
		return err
	}
	dir, _ := c.configDir()
	raw, _ := json.MarshalIndent(login{ClientID: cfg.ClientID, Location: tok.Key(), BaseURL: cfg.BaseURL}, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "login.json"), raw, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "logged in: location %s, scopes %q, access token until %s\n", tok.Key(), tok.Scope,
		tok.Expiry.UTC().Format(time.RFC3339))
	return nil
}

// openBrowser opens url in the user's browser, if it can.
func openBrowser(url string) {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	_ = cmd.Start()
}

// storedLogin is the login ghlctl login kept, if any.
func (c *cli) storedLogin() (*login, bool) {
	dir, err := c.configDir()
	if err != nil {
		return nil, false
	}
	raw, err := os.ReadFile(filepath.Join(dir, "login.json"))
	if err != nil {
		return nil, false
	}
	var l login
	if json.Unmarshal(raw, &l) != nil || l.Location == "" {
		return nil, false
	}
	return &l, true
}

// loginClient is a client on the stored login's tokens, refreshed as
// needed.
func (c *cli) loginClient(l *login) (*ghl.Client, error) {
	cfg, err := c.oauthConfig(first(c.getenv("GHL_CLIENT_ID"), l.ClientID), "", "")
	if err != nil {
		return nil, err
	}
	cfg.BaseURL = first(c.baseURL, c.getenv("GHL_BASE_URL"), l.BaseURL)
	store, err := c.tokenStore()
	if err != nil {
		return nil, err
	}
	src, err := cfg.NewSource(store, l.Location)
	if err != nil {
		return nil, err
	}
	opts := []ghl.Option{ghl.WithTokenSource(src), ghl.WithUserAgent("ghlctl"), ghl.WithHTTPClient(c.httpClient()),
		ghl.WithLocation(first(c.location, c.getenv("GHL_LOCATION_ID"), l.Location))}
	if cfg.BaseURL != "" {
		opts = append(opts, ghl.WithBaseURL(cfg.BaseURL))
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
