package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghlsync"
)

// importFields are the contact fields a column can map to, besides
// "custom.KEY" (a custom field by its key) and "-" (skip the column).
var importFields = []string{"firstName", "lastName", "name", "email", "phone", "companyName", "address1", "city",
	"state", "postalCode", "country", "website", "source", "timezone", "dateOfBirth", "tags"}

// errorColumn is the column a failures file adds; an import skips it, so
// the failures file imports again as it is.
const errorColumn = "error"

func (c *cli) importCommand() *cobra.Command {
	var by, externalKey, failures string
	var maps []string
	var dryRun bool
	var waits []time.Duration
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Create or update a contact per CSV row, never a duplicate",
		Long: `import reads a CSV file with a header row. Each column maps to a contact field
by its name (firstName, lastName, email, phone, companyName, address1, city,
state, postalCode, country, website, source, timezone, dateOfBirth, tags
separated by ";"), or as --map says: --map "E-mail=email", a custom field by
its key with --map "Plan=custom.plan", a column left out with --map "Notes=-".
A column that maps to nothing stops the import before anything is sent.

Each row goes through the SDK's Ensure on the --by key: a contact with the
same email, phone or external ID (a custom field) is updated where it
differs, never duplicated, even when an answer is lost on the way. Rows that
fail are written to the failures file (FILE.failures.csv) with an "error"
column; fix them there and import that file. --dry-run checks every row and
sends nothing.`,
		Example: `  ghlctl contacts import people.csv --by email --dry-run
  ghlctl contacts import people.csv --map "E-mail=email" --map "Plan=custom.plan"
  ghlctl contacts import people.failures.csv`,
		Args: nArgs("FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := ghlsync.EnsureOptions{Probes: waits}
			switch by {
			case "email":
				opts.By = ghlsync.ByEmail
			case "phone":
				opts.By = ghlsync.ByPhone
			case "external":
				if externalKey == "" {
					return usagef("--by external needs --external-field KEY (the custom field holding your ID)")
				}
				opts.By = ghlsync.ByExternalID
			default:
				return usagef("--by %q: want email, phone or external", by)
			}
			if failures == "" {
				failures = strings.TrimSuffix(strings.TrimSuffix(args[0], ".csv"), ".failures") + ".failures.csv"
			}
			rows, err := c.readImport(args[0], maps)
			if err != nil {
				return err
			}
			return c.runImport(cmd.Context(), rows, opts, externalKey, failures, dryRun)
		},
	}
	f := cmd.Flags()
	f.StringVar(&by, "by", "email", "the key that finds an existing contact: email, phone or external")
	f.StringVar(&externalKey, "external-field", "", "with --by external: the key of the custom field holding your ID")
	f.StringArrayVar(&maps, "map", nil, `map a column: "Column=field", "Column=custom.KEY" or "Column=-" (repeatable)`)
	f.BoolVar(&dryRun, "dry-run", false, "check every row and send nothing")
	f.StringVar(&failures, "failures", "", "where failed rows go (default FILE.failures.csv)")
	f.DurationSliceVar(&waits, "lookup-waits", []time.Duration{0, 2 * time.Second, 8 * time.Second},
		"after a create whose answer was lost, the waits before each lookup for the contact it may have made")
	return cmd
}

// importRow is one CSV row and the request it makes.
type importRow struct {
	line   int
	values []string // as read, for the failures file
	req    ghl.CreateContactRequest
	custom map[string]string // custom field key → value
	err    error             // why the row cannot be sent
}

// importFile is a parsed import.
type importFile struct {
	header     []string // the columns, the error column left out
	rows       []importRow
	customKeys []string // the custom fields the columns map to, by key
}

// readImport reads and maps the file; a column that maps to nothing, or a
// file that cannot be read, is an error before anything is sent.
func (c *cli) readImport(name string, maps []string) (*importFile, error) {
	raw, err := c.readInput(name)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(strings.NewReader(string(raw)))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		return nil, usagef("%s: %v", name, err)
	}
	if len(recs) == 0 {
		return nil, usagef("%s: empty: want a header row", name)
	}
	mapping := map[string]string{}
	for _, m := range maps {
		col, field, ok := strings.Cut(m, "=")
		if !ok || col == "" || field == "" {
			return nil, usagef("--map %q: want Column=field", m)
		}
		if field != "-" && !strings.HasPrefix(field, "custom.") && !slices.Contains(importFields, field) {
			return nil, usagef("--map %q: %q is not a field (fields: %s, custom.KEY, -)", m, field, strings.Join(importFields, ", "))
		}
		mapping[col] = field
	}
	head := recs[0]
	fields := make([]string, len(head))
	var unknown []string
	errAt := -1
	for i, col := range head {
		switch f, ok := mapping[col]; {
		case ok:
			fields[i] = f
		case col == errorColumn:
			fields[i], errAt = "-", i
		default:
			j := slices.IndexFunc(importFields, func(f string) bool { return strings.EqualFold(f, strings.TrimSpace(col)) })
			if j < 0 {
				unknown = append(unknown, col)
				continue
			}
			fields[i] = importFields[j]
		}
	}
	if len(unknown) > 0 {
		return nil, usagef("%s: column(s) %q map to no field: add --map \"Column=field\" (fields: %s, custom.KEY) or --map \"Column=-\" to leave one out",
			name, unknown, strings.Join(importFields, ", "))
	}
	f := &importFile{}
	for _, field := range fields {
		if key, ok := strings.CutPrefix(field, "custom."); ok && !slices.Contains(f.customKeys, key) {
			f.customKeys = append(f.customKeys, key)
		}
	}
	for i, col := range head {
		if i != errAt {
			f.header = append(f.header, col)
		}
	}
	for n, rec := range recs[1:] {
		row := importRow{line: n + 2, custom: map[string]string{}}
		for i, v := range rec {
			if i != errAt {
				row.values = append(row.values, v)
			}
			if i >= len(fields) {
				row.err = fmt.Errorf("line %d has %d columns, the header %d", row.line, len(rec), len(head))
				continue
			}
			setField(&row, fields[i], strings.TrimSpace(v))
		}
		if row.err == nil {
			row.err = row.req.Validate()
		}
		f.rows = append(f.rows, row)
	}
	return f, nil
}

// setField puts one column's value on the row's request.
func setField(row *importRow, field, v string) {
	if v == "" || field == "-" {
		return
	}
	if key, ok := strings.CutPrefix(field, "custom."); ok {
		row.custom[key] = v
		return
	}
	r := &row.req
	ptr := map[string]**string{"firstName": &r.FirstName, "lastName": &r.LastName, "name": &r.Name, "email": &r.Email,
		"phone": &r.Phone, "companyName": &r.CompanyName, "address1": &r.Address1, "city": &r.City, "state": &r.State,
		"postalCode": &r.PostalCode, "country": &r.Country, "website": &r.Website, "source": &r.Source,
		"timezone": &r.Timezone, "dateOfBirth": &r.DateOfBirth}
	if p, ok := ptr[field]; ok {
		*p = &v
		return
	}
	if field == "tags" {
		for t := range strings.SplitSeq(v, ";") {
			if t = strings.TrimSpace(t); t != "" {
				r.Tags = append(r.Tags, t)
			}
		}
	}
}

// runImport sends every valid row through Ensure, writing the failed ones
// to the failures file.
func (c *cli) runImport(ctx context.Context, f *importFile, opts ghlsync.EnsureOptions, externalKey, failures string, dryRun bool) error {
	counts := map[string]int{}
	var failed []importRow
	if dryRun {
		for _, row := range f.rows {
			if row.err != nil {
				failed = append(failed, row)
				fmt.Fprintf(c.stderr, "line %d: %v\n", row.line, row.err)
				continue
			}
			counts["would send"]++
		}
		counts["invalid"] = len(failed)
		return c.print(table{header: []string{"rows", "would send", "invalid"},
			rows: [][]string{{fmt.Sprint(len(f.rows)), fmt.Sprint(counts["would send"]), fmt.Sprint(counts["invalid"])}}})
	}
	cl, err := c.client()
	if err != nil {
		return err
	}
	loc, err := c.locationID()
	if err != nil {
		return err
	}
	var reg *ghl.FieldRegistry
	resolve := func(key string) (string, error) {
		if reg == nil {
			if reg, err = cl.CustomFields.NewFieldRegistry(loc, time.Hour); err != nil {
				return "", err
			}
		}
		def, err := reg.Field(ctx, key)
		if err != nil {
			return "", fmt.Errorf("custom field %q: %w", key, err)
		}
		return def.ID, nil
	}
	if externalKey != "" {
		if opts.ExternalField, err = resolve(externalKey); err != nil {
			return usageError{err}
		}
	}
	// Every custom field the columns name must exist before a row is sent.
	for _, key := range f.customKeys {
		if _, err := resolve(key); err != nil {
			return usageError{err}
		}
	}
	for i := range f.rows {
		row := &f.rows[i]
		if row.err == nil {
			for key, v := range row.custom {
				id, err := resolve(key)
				if err != nil {
					row.err = err
					break
				}
				row.req.CustomFields = append(row.req.CustomFields, ghl.CustomFieldInput{ID: id, Value: v})
			}
		}
		if row.err == nil {
			var res *ghlsync.EnsureResult
			if res, row.err = ghlsync.Ensure(ctx, cl, row.req, opts); row.err == nil {
				counts[res.Action.String()]++
			}
		}
		if row.err != nil {
			if ctx.Err() != nil { // interrupted: what was not tried is a failure to retry
				for _, rest := range f.rows[i:] {
					rest.err = cmpErr(rest.err, ctx.Err())
					failed = append(failed, rest)
				}
				break
			}
			fmt.Fprintf(c.stderr, "line %d: %v\n", row.line, row.err)
			failed = append(failed, *row)
		}
	}
	if len(failed) > 0 {
		if err := writeFailures(failures, f.header, failed); err != nil {
			return err
		}
		fmt.Fprintf(c.stderr, "%d row(s) failed: fix them in %s and import it\n", len(failed), failures)
	}
	if err := c.print(table{header: []string{"rows", "created", "updated", "unchanged", "failed"},
		rows: [][]string{{fmt.Sprint(len(f.rows)), fmt.Sprint(counts["created"]), fmt.Sprint(counts["updated"]),
			fmt.Sprint(counts["unchanged"]), fmt.Sprint(len(failed))}}}); err != nil {
		return err
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d rows failed", len(failed), len(f.rows))
	}
	return nil
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// writeFailures writes the failed rows as the input's columns plus error.
func writeFailures(name string, header []string, rows []importRow) error {
	file, err := os.Create(name)
	if err != nil {
		return err
	}
	w := csv.NewWriter(file)
	_ = w.Write(append(slices.Clone(header), errorColumn))
	for _, r := range rows {
		msg := r.err.Error()
		var ie *ghl.InputError
		if errors.As(r.err, &ie) {
			msg = ie.Error()
		}
		_ = w.Write(append(slices.Clone(r.values), msg))
	}
	w.Flush()
	return errors.Join(w.Error(), file.Close())
}
