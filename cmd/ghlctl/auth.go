package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/ghlkit/ghl"
)

func (c *cli) authCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "auth", Short: "Check the credentials ghlctl uses"}
	cmd.AddCommand(&cobra.Command{
		Use:   "status",
		Short: "Say which token and location are in use and whether HighLevel takes them (never the token)",
		Long: `status says where the token comes from (--token or GHL_TOKEN), its length and
last four characters (never the token), the location and base URL, and
whether HighLevel accepts it for that location (one search of one contact).`,
		Example: "  ghlctl auth status",
		Args:    nArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			source, token := "--token", c.token
			if token == "" {
				source, token = "GHL_TOKEN", c.getenv("GHL_TOKEN")
			}
			if l, ok := c.storedLogin(); ok && token == "" {
				return c.loginStatus(cmd.Context(), l)
			}
			cl, err := c.client()
			if err != nil {
				return err
			}
			loc, err := c.locationID()
			if err != nil {
				return err
			}
			accepted := "yes"
			_, searchErr := cl.Contacts.Search(cmd.Context(), ghl.SearchRequest{PageLimit: 1, Page: 1})
			if searchErr != nil {
				accepted = "no"
			}
			hint := ""
			if len(token) > 8 {
				hint = "…" + token[len(token)-4:]
			}
			if err := c.print(table{header: []string{"token", "length", "ends", "location", "base_url", "accepted"},
				rows: [][]string{{source, fmt.Sprint(len(token)), hint, loc, first(c.baseURL, c.getenv("GHL_BASE_URL"), ghl.DefaultBaseURL), accepted}}}); err != nil {
				return err
			}
			if searchErr != nil {
				return fmt.Errorf("HighLevel did not accept the token for %s: %w", loc, searchErr)
			}
			return nil
		},
	})
	return cmd
}

// loginStatus describes the stored login: location, scopes, expiry, and
// whether HighLevel takes its token (refreshing it first if it is stale).
func (c *cli) loginStatus(ctx context.Context, l *login) error {
	cl, err := c.loginClient(l)
	if err != nil {
		return err
	}
	_, searchErr := cl.Contacts.Search(ctx, ghl.SearchRequest{PageLimit: 1, Page: 1})
	store, err := c.tokenStore()
	if err != nil {
		return err
	}
	tok, err := store.Load(ctx, l.Location)
	if err != nil {
		return err
	}
	accepted := "yes"
	if searchErr != nil {
		accepted = "no"
	}
	if err := c.print(table{header: []string{"token", "location", "scopes", "expires", "client_id", "accepted"},
		rows: [][]string{{"ghlctl login", l.Location, tok.Scope, tok.Expiry.UTC().Format(time.RFC3339), l.ClientID, accepted}}}); err != nil {
		return err
	}
	if searchErr != nil {
		return fmt.Errorf("HighLevel did not accept the stored login for %s: %w", l.Location, searchErr)
	}
	return nil
}
