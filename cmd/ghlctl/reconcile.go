package main

import (
	"encoding/csv"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ghlkit/ghl/ghlsync"
)

// reconcileFields are the columns reconcile compares, besides id.
var reconcileFields = []string{ghlsync.FieldFirstName, ghlsync.FieldLastName, ghlsync.FieldEmail, ghlsync.FieldPhone,
	ghlsync.FieldAddress1, ghlsync.FieldCity, ghlsync.FieldState, ghlsync.FieldPostalCode, ghlsync.FieldCountry,
	ghlsync.FieldWebsite, ghlsync.FieldTimezone, ghlsync.FieldSource, "tags"}

func (c *cli) reconcileCommand() *cobra.Command {
	var by string
	cmd := &cobra.Command{
		Use:   "reconcile FILE",
		Short: "Compare your records (a CSV file) with the location's contacts",
		Long: `reconcile reads your records from a CSV file (an "id" column, your own ID, and
any of: ` + strings.Join(reconcileFields, ", ") + `; tags separated by ";") and reports
what differs from the location's contacts, matched on --by: records missing
on either side, matched records whose fields differ (only the columns the
file has are compared), and records that share a key on either side.`,
		Example: `  ghlctl reconcile people.csv
  ghlctl reconcile people.csv --by phone --output csv > report.csv`,
		Args: nArgs("FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := ghlsync.ReconcileOptions{}
			switch by {
			case "email":
				opts.By = ghlsync.ByEmail
			case "phone":
				opts.By = ghlsync.ByPhone
			default:
				return usagef("--by %q: want email or phone", by)
			}
			local, err := c.readRecords(args[0])
			if err != nil {
				return err
			}
			cl, err := c.client()
			if err != nil {
				return err
			}
			t := table{header: []string{"kind", "key", "local_ids", "contact_ids", "fields"}}
			sum, err := ghlsync.Reconcile(cmd.Context(), cl, local, opts, func(r ghlsync.Row) error {
				t.rows = append(t.rows, []string{string(r.Kind), r.Key, strings.Join(r.LocalIDs, ";"),
					strings.Join(r.ContactIDs, ";"), strings.Join(r.Fields, ";")})
				return nil
			})
			if err != nil {
				return err
			}
			if err := c.print(t); err != nil {
				return err
			}
			fmt.Fprintf(c.stderr, "%d local, %d in HighLevel, %d matched: %d missing in HighLevel, %d missing locally, %d differ, %d duplicate locally, %d duplicate in HighLevel\n",
				sum.Local, sum.Remote, sum.Matched, sum.MissingRemote, sum.MissingLocal, sum.Differs, sum.DupLocal, sum.DupRemote)
			return nil
		},
	}
	cmd.Flags().StringVar(&by, "by", "email", "the key that matches a record with a contact: email or phone")
	return cmd
}

// readRecords reads the records to reconcile.
func (c *cli) readRecords(name string) ([]ghlsync.LocalRecord, error) {
	raw, err := c.readInput(name)
	if err != nil {
		return nil, err
	}
	recs, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if err != nil {
		return nil, usagef("%s: %v", name, err)
	}
	if len(recs) == 0 || !slices.Contains(recs[0], "id") {
		return nil, usagef("%s: want a header row with an \"id\" column", name)
	}
	head := recs[0]
	for _, col := range head {
		if col != "id" && !slices.Contains(reconcileFields, col) {
			return nil, usagef("%s: column %q is not one reconcile compares (id, %s)", name, col, strings.Join(reconcileFields, ", "))
		}
	}
	out := make([]ghlsync.LocalRecord, 0, len(recs)-1)
	for _, rec := range recs[1:] {
		var lr ghlsync.LocalRecord
		for i, v := range rec {
			switch head[i] {
			case "id":
				lr.ID = v
			case "tags":
				for t := range strings.SplitSeq(v, ";") {
					if t = strings.TrimSpace(t); t != "" {
						lr.Record.Tags = append(lr.Record.Tags, t)
					}
				}
			default:
				lr.Record = lr.Record.Set(head[i], strings.TrimSpace(v))
			}
		}
		out = append(out, lr)
	}
	return out, nil
}
