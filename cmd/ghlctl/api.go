package main

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ghlkit/ghl"
)

func (c *cli) apiCommand() *cobra.Command {
	var data, version string
	cmd := &cobra.Command{
		Use:   "api METHOD PATH",
		Short: "Call any endpoint through the SDK's request path",
		Long: `api sends one request to PATH (below the API's base URL, query included) with
the SDK's rate limiter, retries and typed errors, and prints the answer's
JSON. --data is the body: JSON text, or @FILE, or @- for stdin.`,
		Example: `  ghlctl api GET "/contacts/?locationId=$GHL_LOCATION_ID&limit=5"
  ghlctl api PUT /contacts/ocQHyuzHvysMo5N5VsXc --data '{"city":"Paris"}'
  ghlctl api POST /contacts/search --data @search.json`,
		Args: nArgs("METHOD", "PATH"),
		RunE: func(cmd *cobra.Command, args []string) error {
			method := strings.ToUpper(args[0])
			if !slices.Contains([]string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}, method) {
				return usagef("method %q: want GET, POST, PUT, PATCH or DELETE", args[0])
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
			var out json.RawMessage
			var opts []ghl.CallOption
			if version != "" {
				opts = append(opts, ghl.WithVersion(version))
			} else if strings.HasPrefix(args[1], "/calendars/") {
				opts = append(opts, ghl.WithVersion(ghl.CalendarsVersion))
			}
			if err := cl.Do(cmd.Context(), method, args[1], in, &out, opts...); err != nil {
				return err
			}
			return c.printJSON(out)
		},
	}
	cmd.Flags().StringVar(&data, "data", "", "the request body: JSON, @FILE or @-")
	cmd.Flags().StringVar(&version, "version", "", "the Version header (default the API's; the calendars' for /calendars/)")
	return cmd
}
