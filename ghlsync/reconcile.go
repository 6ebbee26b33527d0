package ghlsync

import (
	"context"
	"encoding/csv"
	"io"
	"slices"
	"strings"

	"github.com/ghlkit/ghl"
)

// LocalRecord is one of the app's records to reconcile: its own ID and the
// record it holds. Its key (email, phone or external ID, by
// ReconcileOptions.By) is read from the record's fields.
type LocalRecord struct {
	ID     string
	Record Record
}

// RowKind is what a reconciliation row reports.
type RowKind string

// The kinds of reconciliation rows.
const (
	MissingRemote   RowKind = "missing in HighLevel" // a local record no contact matches
	MissingLocal    RowKind = "missing locally"      // a contact no local record matches
	Differs         RowKind = "differs"              // matched, with different field values
	DuplicateLocal  RowKind = "duplicate locally"    // two local records share a key, email or phone
	DuplicateRemote RowKind = "duplicate in HighLevel"
)

// Row is one finding of Reconcile.
type Row struct {
	Kind       RowKind
	Key        string   // the matching key's value
	LocalIDs   []string // the local records concerned
	ContactIDs []string // the HighLevel contacts concerned
	Fields     []string // with Differs: the fields whose values differ
}

// ReconcileOptions configures Reconcile.
type ReconcileOptions struct {
	By            KeyKind
	ExternalField string // custom field ID, with ByExternalID
	LocationID    string // default: the client's location
	PageLimit     int    // search page size; default 500
}

// Summary counts what Reconcile found.
type Summary struct {
	Local, Remote, Matched                                    int
	MissingRemote, MissingLocal, Differs, DupLocal, DupRemote int
}

// Reconcile compares the app's records with a location's contacts and
// calls emit with every difference: records missing on either side, matched
// records whose fields differ (only the fields the local record holds are
// compared, and tags when it holds any), and records that share a key, an
// email or a phone on either side. It reads the contacts once, in pages,
// and keeps only the local index in memory: memory grows with the local
// records, not with the location's contacts. Remote duplicates are found
// among the contacts that match a local record.
//
// A failed read returns its error; rows already emitted stay valid but the
// comparison is incomplete, and MissingRemote rows are only emitted after a
// complete read, so a failure never reports a present contact missing.
func Reconcile(ctx context.Context, c *ghl.Client, local []LocalRecord, opts ReconcileOptions, emit func(Row) error) (Summary, error) {
	field := keyField(opts)
	sum := Summary{Local: len(local)}
	byKey := make(map[string]int, len(local))
	byEmail, byPhone := map[string][]int{}, map[string][]int{}
	for i, lr := range local {
		if k := normKey(opts.By, lr.Record.Get(field)); k != "" {
			if j, dup := byKey[k]; dup {
				sum.DupLocal++
				if err := emit(Row{Kind: DuplicateLocal, Key: k, LocalIDs: []string{local[j].ID, lr.ID}}); err != nil {
					return sum, err
				}
				continue
			}
			byKey[k] = i
		}
		if e := lr.Record.Get(FieldEmail); e != "" && opts.By != ByEmail {
			byEmail[e] = append(byEmail[e], i)
		}
		if p := lr.Record.Get(FieldPhone); p != "" && opts.By != ByPhone {
			byPhone[p] = append(byPhone[p], i)
		}
	}
	for _, m := range []map[string][]int{byEmail, byPhone} {
		for k, is := range m {
			if len(is) > 1 {
				sum.DupLocal++
				ids := make([]string, len(is))
				for n, i := range is {
					ids[n] = local[i].ID
				}
				if err := emit(Row{Kind: DuplicateLocal, Key: k, LocalIDs: ids}); err != nil {
					return sum, err
				}
			}
		}
	}
	matched := make([]string, len(local)) // local index → the contact it matched
	req := ghl.SearchRequest{LocationID: opts.LocationID, PageLimit: opts.PageLimit}
	for ct, err := range c.Contacts.SearchAll(ctx, req) {
		if err != nil {
			return sum, err
		}
		sum.Remote++
		rec := FromContact(ct)
		k := normKey(opts.By, rec.Get(field))
		i, ok := byKey[k]
		if k == "" || !ok {
			sum.MissingLocal++
			if err := emit(Row{Kind: MissingLocal, Key: k, ContactIDs: []string{ct.ID}}); err != nil {
				return sum, err
			}
			continue
		}
		if first := matched[i]; first != "" {
			sum.DupRemote++
			if err := emit(Row{Kind: DuplicateRemote, Key: k, LocalIDs: []string{local[i].ID}, ContactIDs: []string{first, ct.ID}}); err != nil {
				return sum, err
			}
			continue
		}
		matched[i] = ct.ID
		sum.Matched++
		if diff := compareLocal(local[i].Record, rec); len(diff) > 0 {
			sum.Differs++
			if err := emit(Row{Kind: Differs, Key: k, LocalIDs: []string{local[i].ID}, ContactIDs: []string{ct.ID}, Fields: diff}); err != nil {
				return sum, err
			}
		}
	}
	for k, i := range byKey {
		if matched[i] == "" {
			sum.MissingRemote++
			if err := emit(Row{Kind: MissingRemote, Key: k, LocalIDs: []string{local[i].ID}}); err != nil {
				return sum, err
			}
		}
	}
	return sum, nil
}

// compareLocal returns the fields the local record holds whose remote value
// differs.
func compareLocal(local, remote Record) []string {
	var out []string
	for _, f := range fieldNames(local) {
		if local.Fields[f] != remote.Fields[f] {
			out = append(out, f)
		}
	}
	if len(local.Tags) > 0 && !slices.Equal(NormalizeTags(local.Tags), remote.Tags) {
		out = append(out, "tags")
	}
	return out
}

func keyField(opts ReconcileOptions) string {
	switch opts.By {
	case ByPhone:
		return FieldPhone
	case ByExternalID:
		return customPrefix + opts.ExternalField
	}
	return FieldEmail
}

func normKey(by KeyKind, v string) string {
	v = strings.TrimSpace(v)
	if by == ByEmail {
		return strings.ToLower(v)
	}
	return v
}

// Collect returns an emit function that appends rows to *rows.
func Collect(rows *[]Row) func(Row) error {
	return func(r Row) error {
		*rows = append(*rows, r)
		return nil
	}
}

// CSVWriter is an emit function that writes rows as CSV (kind, key, local
// IDs, contact IDs, fields; lists joined with ";"), starting with a header.
// Call Flush when Reconcile returns.
type CSVWriter struct {
	w      *csv.Writer
	header bool
}

// NewCSVWriter returns a CSVWriter on w.
func NewCSVWriter(w io.Writer) *CSVWriter { return &CSVWriter{w: csv.NewWriter(w)} }

// Write writes one row (and the header before the first).
func (c *CSVWriter) Write(r Row) error {
	if !c.header {
		c.header = true
		if err := c.w.Write([]string{"kind", "key", "local_ids", "contact_ids", "fields"}); err != nil {
			return err
		}
	}
	return c.w.Write([]string{string(r.Kind), r.Key, strings.Join(r.LocalIDs, ";"), strings.Join(r.ContactIDs, ";"), strings.Join(r.Fields, ";")})
}

// Flush writes what is buffered and returns the first error met.
func (c *CSVWriter) Flush() error {
	c.w.Flush()
	return c.w.Error()
}
