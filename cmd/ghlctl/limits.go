package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/ghlkit/ghl"
)

func (c *cli) limitsCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "limits",
		Short: "Show the location's rate limit and the daily budget left",
		Long: `limits sends one small request (a search for one contact) and prints what
HighLevel's X-RateLimit-* headers said: the burst limit and its window, and
the daily budget and what is left of it.`,
		Example: "  ghlctl limits -o json",
		Args:    nArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			loc, err := c.locationID()
			if err != nil {
				return err
			}
			var resp ghl.Response
			if _, err := cl.Contacts.Search(cmd.Context(), ghl.SearchRequest{PageLimit: 1, Page: 1}, ghl.WithResponse(&resp)); err != nil {
				return err
			}
			rl := resp.RateLimit()
			st := cl.RateLimit(loc)
			reset := ""
			if !rl.DailyReset.IsZero() {
				reset = rl.DailyReset.UTC().Format(time.RFC3339)
			}
			return c.print(table{header: []string{"location", "burst", "window", "used", "daily_limit", "daily_remaining", "daily_reset"},
				rows: [][]string{{loc, fmt.Sprint(rl.Max), rl.Window.String(), fmt.Sprint(st.Used), fmt.Sprint(rl.DailyLimit),
					fmt.Sprint(rl.DailyRemaining), reset}}})
		},
	}
}
