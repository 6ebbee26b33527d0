// Command bulkimport upserts contacts from a CSV file at HighLevel's rate
// limit, with a live progress line, a summary, and a CSV of the failures.
//
//	go run ./examples/bulkimport                       # a generated sample against ghltest
//	go run ./examples/bulkimport -in contacts.csv      # your file (GHL_TOKEN and GHL_LOCATION_ID for the real API)
//
// The CSV has a header row with any of: first_name, last_name, email, phone,
// company, tags (separated by ';'). Rows need an email or a phone.
package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
)

func main() {
	in := flag.String("in", "", "CSV of contacts (default: a generated sample)")
	failures := flag.String("failures", "failures.csv", "where to write the rows that failed")
	sample := flag.Int("sample", 600, "rows in the generated sample")
	concurrency := flag.Int("concurrency", 8, "requests in flight")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, *in, *failures, *sample, *concurrency); err != nil {
		fmt.Fprintln(os.Stderr, "bulkimport:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, in, failuresPath string, sample, concurrency int) error {
	client, cleanup, err := connect(out)
	if err != nil {
		return err
	}
	defer cleanup()

	var src io.Reader
	if in == "" {
		src = strings.NewReader(sampleCSV(sample))
		fmt.Fprintf(out, "Importing a generated sample of %d rows (a few are invalid on purpose).\n", sample)
	} else {
		f, err := os.Open(in)
		if err != nil {
			return err
		}
		defer f.Close()
		src = f
	}
	rows, reqs, err := readContacts(src)
	if err != nil {
		return err
	}
	report := client.Contacts.BulkUpsert(ctx, reqs, ghl.BulkOptions{
		Concurrency: concurrency, ProgressInterval: 250 * time.Millisecond,
		Progress: func(p ghl.BulkProgress) {
			fmt.Fprintf(out, "\r%5d/%d done  %4d failed  %6.1f/s  ETA %-8s", p.Done, p.Total, p.Failed, p.Rate, p.ETA.Round(time.Second))
		},
	})
	fmt.Fprintf(out, "\n\nCreated %d, updated %d, failed %d, not sent %d, in %s.\n",
		report.Created, report.Updated, report.Failed, report.NotSent, report.Elapsed.Round(time.Millisecond))
	st := client.RateLimit("")
	fmt.Fprintf(out, "Rate limit: %d per %s; daily remaining %d.\n", st.Max, st.Window, st.DailyRemaining)
	if report.Failed+report.NotSent == 0 {
		return nil
	}
	return writeFailures(out, failuresPath, rows, report)
}

// connect uses the real API when GHL_TOKEN and GHL_LOCATION_ID are set, and
// otherwise ghltest, with its limit shrunk to 100 per second so the demo is
// quick (HighLevel allows 100 per 10 seconds).
func connect(out io.Writer) (*ghl.Client, func(), error) {
	if tok, loc := os.Getenv("GHL_TOKEN"), os.Getenv("GHL_LOCATION_ID"); tok != "" && loc != "" {
		c, err := ghl.NewClient(ghl.WithToken(tok), ghl.WithLocation(loc))
		return c, func() {}, err
	}
	srv := ghltest.NewServer(ghltest.WithRateLimit(100, time.Second))
	fmt.Fprintf(out, "Using ghltest at %s (limit shrunk to 100 requests per second).\n", srv.URL())
	c, err := srv.Client()
	return c, srv.Close, err
}

// readContacts parses the CSV; it keeps each row for the failure report.
func readContacts(r io.Reader) ([][]string, []ghl.UpsertContactRequest, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("read CSV header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	if _, ok := col["email"]; !ok {
		if _, ok := col["phone"]; !ok {
			return nil, nil, errors.New("the CSV needs an email or a phone column")
		}
	}
	get := func(row []string, name string) *string {
		i, ok := col[name]
		if !ok || i >= len(row) || strings.TrimSpace(row[i]) == "" {
			return nil
		}
		v := strings.TrimSpace(row[i])
		return &v
	}
	var rows [][]string
	var reqs []ghl.UpsertContactRequest
	for {
		row, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read CSV: %w", err)
		}
		req := ghl.UpsertContactRequest{CreateContactRequest: ghl.CreateContactRequest{
			FirstName: get(row, "first_name"), LastName: get(row, "last_name"), Email: get(row, "email"),
			Phone: get(row, "phone"), CompanyName: get(row, "company"),
		}}
		if t := get(row, "tags"); t != nil {
			for _, tag := range strings.Split(*t, ";") {
				if tag = strings.TrimSpace(tag); tag != "" {
					req.Tags = append(req.Tags, tag)
				}
			}
		}
		rows, reqs = append(rows, row), append(reqs, req)
	}
	return rows, reqs, nil
}

func writeFailures(out io.Writer, path string, rows [][]string, report *ghl.BulkUpsertReport) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	_ = w.Write([]string{"row", "status", "error"})
	for _, it := range report.Items {
		if it.Err == nil {
			continue
		}
		status := "failed"
		if !it.Sent {
			status = "not sent"
		}
		_ = w.Write([]string{strconv.Itoa(it.Index + 2), status, it.Err.Error()})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(out, "Wrote %d failed rows to %s (row numbers count the header as row 1).\n", report.Failed+report.NotSent, path)
	return nil
}

// sampleCSV makes n rows; about one in fifty has a broken email.
func sampleCSV(n int) string {
	r := rand.New(rand.NewPCG(7, 7))
	first := []string{"Ava", "Liam", "Maya", "Noah", "Zoe", "Ethan", "Isla", "Lucas"}
	last := []string{"Nguyen", "Smith", "Garcia", "Okafor", "Patel", "Rossi", "Kim", "Silva"}
	var b strings.Builder
	b.WriteString("first_name,last_name,email,phone,company,tags\n")
	for i := range n {
		f, l := first[r.IntN(len(first))], last[r.IntN(len(last))]
		email := fmt.Sprintf("%s.%s.%d@example.com", strings.ToLower(f), strings.ToLower(l), i)
		if i%50 == 49 {
			email = "not-an-email-" + strconv.Itoa(i)
		}
		fmt.Fprintf(&b, "%s,%s,%s,+1555%07d,Acme,import;2026\n", f, l, email, i)
	}
	return b.String()
}
