package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ghlkit/ghl"
)

func (c *cli) apiCommand() *cobra.Command {
	var data, version string
	var paginate bool
	cmd := &cobra.Command{
		Use:   "api METHOD PATH",
		Short: "Call any endpoint through the SDK's request path",
		Long: `api sends one request to PATH (below the API's base URL, query included) with
the SDK's rate limiter, retries and typed errors, and prints the answer's
JSON. --data is the body: JSON text, or @FILE, or @- for stdin.`,
		Example: `  ghlctl api GET "/contacts/?locationId=$GHL_LOCATION_ID&limit=100" --paginate
  ghlctl api PUT /contacts/ocQHyuzHvysMo5N5VsXc --data '{"city":"Paris"}'
  ghlctl api POST /contacts/search --data @search.json`,
		Args: nArgs("METHOD", "PATH"),
		RunE: func(cmd *cobra.Command, args []string) error {
			method := strings.ToUpper(args[0])
			if !slices.Contains([]string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}, method) {
				return usagef("method %q: want GET, POST, PUT, PATCH or DELETE", args[0])
			}
			if p := strings.ToLower(args[1]); strings.HasPrefix(p, "/oauth/token") || strings.HasPrefix(p, "/oauth/locationtoken") {
				return usagef("%s answers tokens, which ghlctl never prints: use ghlctl login", args[1])
			}
			var in any
			if data != "" {
				raw := []byte(data)
				if name, ok := strings.CutPrefix(data, "@"); ok {
					var err error
					if raw, err = c.readInput(name); err != nil {
						return err
					}
				}
				if !json.Valid(raw) {
					return usagef("--data is not JSON")
				}
				in = json.RawMessage(raw)
			}
			cl, err := c.client()
			if err != nil {
				return err
			}
			var opts []ghl.CallOption
			if version != "" {
				opts = append(opts, ghl.WithVersion(version))
			} else if strings.HasPrefix(args[1], "/calendars/") {
				opts = append(opts, ghl.WithVersion(ghl.CalendarsVersion))
			}
			if paginate && method != http.MethodGet {
				return usagef("--paginate follows a GET list's pages")
			}
			path := args[1]
			for {
				var out json.RawMessage
				if err := cl.Do(cmd.Context(), method, path, in, &out, opts...); err != nil {
					return err
				}
				if err := c.printJSON(out); err != nil {
					return err
				}
				if !paginate {
					return nil
				}
				if path = nextPage(path, out); path == "" {
					return nil
				}
			}
		},
	}
	cmd.Flags().StringVar(&data, "data", "", "the request body: JSON, @FILE or @-")
	cmd.Flags().BoolVar(&paginate, "paginate", false, "follow a GET list's pages (meta.startAfterId and startAfter), printing each")
	cmd.Flags().StringVar(&version, "version", "", "the Version header (default the API's; the calendars' for /calendars/)")
	return cmd
}

// nextPage is the path of the page after the one answered at path, from
// its meta (startAfterId and startAfter, as the contacts list answers);
// "" after the last.
func nextPage(path string, answer json.RawMessage) string {
	var page struct {
		Meta struct {
			StartAfterID string          `json:"startAfterId"`
			StartAfter   json.RawMessage `json:"startAfter"`
			NextPageURL  string          `json:"nextPageUrl"`
		} `json:"meta"`
	}
	if json.Unmarshal(answer, &page) != nil || page.Meta.StartAfterID == "" || page.Meta.NextPageURL == "" {
		return ""
	}
	u, err := url.Parse(path)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("startAfterId", page.Meta.StartAfterID)
	q.Set("startAfter", strings.Trim(string(page.Meta.StartAfter), `"`))
	u.RawQuery = q.Encode()
	return u.String()
}
