package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ghlkit/ghl"
)

func (c *cli) contactsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "contacts", Short: "Get, search, export and import a location's contacts"}
	cmd.AddCommand(c.contactsGetCommand(), c.contactsSearchCommand(), c.exportCommand(), c.importCommand())
	return cmd
}

// contactColumns are the columns contacts print and export with, and the
// fields an import maps by name.
var contactColumns = []string{"id", "firstName", "lastName", "email", "phone", "companyName", "address1", "city",
	"state", "postalCode", "country", "website", "source", "tags", "dateAdded", "dateUpdated"}

// contactRow is a contact's values in contactColumns order (tags joined
// with ";").
func contactRow(ct *ghl.Contact) []string {
	stamp := func(t ghl.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	return []string{ct.ID, ct.FirstName, ct.LastName, ct.Email, ct.Phone, ct.CompanyName, ct.Address1, ct.City,
		ct.State, ct.PostalCode, ct.Country, ct.Website, ct.Source, strings.Join(ct.Tags, ";"), stamp(ct.DateAdded), stamp(ct.DateUpdated)}
}

func (c *cli) contactsGetCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "get CONTACT_ID",
		Short:   "Print one contact",
		Example: "  ghlctl contacts get ocQHyuzHvysMo5N5VsXc -o json",
		Args:    nArgs("CONTACT_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			ct, err := cl.Contacts.Get(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if c.output == "json" {
				return c.printJSON(ct)
			}
			return c.print(table{header: contactColumns, rows: [][]string{contactRow(ct)}})
		},
	}
}

func (c *cli) contactsSearchCommand() *cobra.Command {
	var query string
	var limit int
	cmd := &cobra.Command{
		Use:     "search [--query TEXT]",
		Short:   "Search the location's contacts",
		Example: "  ghlctl contacts search --query ada --limit 5",
		Args:    nArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limit < 1 || limit > ghl.MaxSearchPageLimit {
				return usagef("--limit %d: want 1 to %d", limit, ghl.MaxSearchPageLimit)
			}
			cl, err := c.client()
			if err != nil {
				return err
			}
			res, err := cl.Contacts.Search(cmd.Context(), ghl.SearchRequest{Query: query, PageLimit: limit, Page: 1})
			if err != nil {
				return err
			}
			t := table{header: contactColumns}
			for i := range res.Contacts {
				t.rows = append(t.rows, contactRow(&res.Contacts[i]))
			}
			if err := c.print(t); err != nil {
				return err
			}
			fmt.Fprintf(c.stderr, "%d of %d matches\n", len(res.Contacts), res.Total)
			return nil
		},
	}
	cmd.Flags().StringVar(&query, "query", "", "free text to match")
	cmd.Flags().IntVar(&limit, "limit", 20, "contacts to print")
	return cmd
}

// exportState is an interrupted export's checkpoint, kept beside its
// output: where the output ended after the last whole page, and the search
// cursor to continue from.
type exportState struct {
	Format string          `json:"format"`
	Bytes  int64           `json:"bytes"`
	Count  int             `json:"count"`
	Cursor json.RawMessage `json:"cursor"`
}

func (c *cli) exportCommand() *cobra.Command {
	var out, format string
	var restart bool
	cmd := &cobra.Command{
		Use:   "export --out FILE",
		Short: "Export every contact of the location to CSV or JSON lines",
		Long: `export writes every contact of the location once, reading them with
searchAfter cursors (no 10,000-result window). With --out, an export that is
interrupted resumes where it stopped when run again (a checkpoint FILE.ghlctl
beside the output, removed at the end); --restart starts over. On a terminal
it draws its progress on stderr.`,
		Example: `  ghlctl contacts export --out contacts.csv
  ghlctl contacts export --format jsonl > contacts.jsonl`,
		Args: nArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format == "" {
				format = "csv"
				if strings.HasSuffix(out, ".jsonl") || strings.HasSuffix(out, ".json") {
					format = "jsonl"
				}
			}
			if format != "csv" && format != "jsonl" {
				return usagef("--format %q: want csv or jsonl", format)
			}
			cl, err := c.client()
			if err != nil {
				return err
			}
			n, err := c.export(cmd.Context(), cl, out, format, restart)
			if err == nil {
				fmt.Fprintf(c.stderr, "exported %d contacts\n", n)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "output file (default stdout, which cannot resume)")
	cmd.Flags().StringVar(&format, "format", "", "csv or jsonl (default by the file's extension, else csv)")
	cmd.Flags().BoolVar(&restart, "restart", false, "ignore an interrupted export's checkpoint and start over")
	return cmd
}

// export writes every contact to out (stdout when ""), resuming from the
// checkpoint when one is there.
func (c *cli) export(ctx context.Context, cl *ghl.Client, out, format string, restart bool) (int, error) {
	var st exportState
	var w io.Writer = c.stdout
	var f *os.File
	cpPath := out + ".ghlctl"
	if out != "" {
		if raw, err := os.ReadFile(cpPath); err == nil && !restart {
			if err := json.Unmarshal(raw, &st); err != nil || st.Format != format {
				return 0, usagef("%s: not a checkpoint of a %s export (remove it, or --restart)", cpPath, format)
			}
		} else {
			st = exportState{Format: format}
		}
		var err error
		if f, err = os.OpenFile(out, os.O_RDWR|os.O_CREATE, 0o644); err != nil {
			return 0, usageError{err}
		}
		defer f.Close()
		// What was written after the last checkpoint is written again.
		if err := f.Truncate(st.Bytes); err != nil {
			return 0, err
		}
		if _, err := f.Seek(st.Bytes, io.SeekStart); err != nil {
			return 0, err
		}
		w = f
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	cw := csv.NewWriter(bw)
	if format == "csv" && st.Bytes == 0 {
		_ = cw.Write(contactColumns)
	}
	var counter ghl.RequestCounter
	ctx = ghl.ContextWithRequestCounter(ctx, &counter)
	prog := c.newProgress(ctx, cl, &counter, st.Count)
	defer prog.done()
	checkpoint := func(cursor json.RawMessage) error {
		if format == "csv" {
			cw.Flush()
			if err := cw.Error(); err != nil {
				return err
			}
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		if f == nil {
			return nil
		}
		if err := f.Sync(); err != nil {
			return err
		}
		pos, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			return err
		}
		st.Bytes, st.Cursor = pos, cursor
		raw, _ := json.Marshal(st)
		tmp := cpPath + ".tmp"
		if err := os.WriteFile(tmp, raw, 0o644); err != nil {
			return err
		}
		return os.Rename(tmp, cpPath)
	}
	req := ghl.SearchRequest{PageLimit: ghl.MaxSearchPageLimit, SearchAfter: st.Cursor}
	enc := json.NewEncoder(bw)
	for ct, err := range cl.Contacts.SearchAll(ctx, req) {
		if err != nil {
			_ = checkpoint(st.Cursor) // what was whole before the failure stays
			return st.Count, err
		}
		cursor := ct.SearchAfter
		if format == "csv" {
			if err := cw.Write(contactRow(&ct)); err != nil {
				return st.Count, err
			}
		} else {
			ct.SearchAfter = nil
			if err := enc.Encode(ct); err != nil {
				return st.Count, err
			}
		}
		st.Count++
		prog.set(st.Count)
		if st.Count%ghl.MaxSearchPageLimit == 0 {
			if err := checkpoint(cursor); err != nil {
				return st.Count, err
			}
		}
		st.Cursor = cursor
	}
	if err := checkpoint(st.Cursor); err != nil {
		return st.Count, err
	}
	if f != nil {
		if err := os.Remove(cpPath); err != nil && !errors.Is(err, os.ErrNotExist) {
			return st.Count, err
		}
	}
	return st.Count, nil
}
