// Command bulkimport upserts contacts from a CSV file at HighLevel's rate
// limit, with a live progress line, a summary, and a CSV of the failures
// that can be fixed and imported again as it is.
//
//	go run ./examples/bulkimport                            # a generated sample, into ghltest
//	GHL_TOKEN=… GHL_LOCATION_ID=… go run ./examples/bulkimport -in contacts.csv
//	go run ./examples/bulkimport -in contacts.csv -fake     # your file, into a throwaway ghltest
//
// It says where it imports before it starts. Your own file goes to
// HighLevel only with GHL_TOKEN and GHL_LOCATION_ID set, and to the fake
// only with -fake: it never guesses.
//
// The CSV has a header row with any of: first_name, last_name, email, phone,
// company, tags (separated by ';'); other columns are carried along. Rows
// need an email or a phone. Failed rows are written with all their columns
// plus an "error" column to -failures (default: a new file in the system's
// temporary directory), so the file can be fixed and passed back to -in.
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
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
)

// config is what the flags and the environment say.
type config struct {
	in, failures string
	fake         bool
	sample       int
	concurrency  int
	token, loc   string
}

func main() {
	var c config
	flag.StringVar(&c.in, "in", "", "CSV of contacts (default: a generated sample, into ghltest)")
	flag.StringVar(&c.failures, "failures", "", "where to write the rows that failed (default: a new file in the temporary directory)")
	flag.BoolVar(&c.fake, "fake", false, "import into a throwaway ghltest server, even a file of your own")
	flag.IntVar(&c.sample, "sample", 600, "rows in the generated sample")
	flag.IntVar(&c.concurrency, "concurrency", 8, "requests in flight")
	flag.Parse()
	c.token, c.loc = os.Getenv("GHL_TOKEN"), os.Getenv("GHL_LOCATION_ID")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, c); err != nil {
		fmt.Fprintln(os.Stderr, "bulkimport:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, c config) error {
	if c.sample < 1 {
		return errors.New("-sample must be at least 1")
	}
	if c.concurrency < 1 {
		return errors.New("-concurrency must be at least 1")
	}
	client, cleanup, err := connect(out, c)
	if err != nil {
		return err
	}
	defer cleanup()
	in := c.in

	var src io.Reader
	if in == "" {
		src = strings.NewReader(sampleCSV(c.sample))
		fmt.Fprintf(out, "Importing a generated sample of %d rows (a few are invalid on purpose).\n", c.sample)
	} else {
		f, err := os.Open(in)
		if err != nil {
			return err
		}
		defer f.Close()
		src = f
	}
	header, rows, reqs, err := readContacts(src)
	if err != nil {
		return err
	}
	report := client.Contacts.BulkUpsert(ctx, reqs, ghl.BulkOptions{
		Concurrency: c.concurrency, ProgressInterval: 250 * time.Millisecond,
		Progress: func(p ghl.BulkProgress) { fmt.Fprintf(out, "\r%s", progressLine(p)) },
	})
	fmt.Fprintf(out, "\n\nCreated %d, updated %d, failed %d, not sent %d, in %s.\n",
		report.Created, report.Updated, report.Failed, report.NotSent, report.Elapsed.Round(100*time.Millisecond))
	st := client.RateLimit("")
	daily := "unknown"
	if st.DailyRemaining >= 0 {
		daily = strconv.Itoa(st.DailyRemaining)
	}
	fmt.Fprintf(out, "Rate limit: %d per %s; daily remaining %s.\n", st.Max, st.Window, daily)
	if report.Failed+report.NotSent == 0 {
		return nil
	}
	return writeFailures(out, c.failures, header, rows, report)
}

// progressLine is one refresh of the progress display: counts, the rate over
// the last rate-limit window (limiter waits included), and the time left.
func progressLine(p ghl.BulkProgress) string {
	eta := "--"
	if p.ETA > 0 {
		eta = p.ETA.String()
	}
	return fmt.Sprintf("%5d/%d done  %4d failed  %6.1f/s  ETA %-8s", p.Done, p.Total, p.Failed, p.Rate, eta)
}

// connect decides where the import goes and says so: the real API with
// GHL_TOKEN and GHL_LOCATION_ID, ghltest for the generated sample or with
// -fake (its limit shrunk to 100 per second so the demo is quick; HighLevel
// allows 100 per 10 seconds). A file of the user's with neither is refused.
func connect(out io.Writer, c config) (*ghl.Client, func(), error) {
	switch {
	case (c.token == "") != (c.loc == ""):
		return nil, nil, errors.New("set both GHL_TOKEN and GHL_LOCATION_ID to import into HighLevel, or neither")
	case c.token != "" && c.fake:
		return nil, nil, errors.New("-fake and GHL_TOKEN both given: choose where to import")
	case c.token != "":
		cl, err := ghl.NewClient(ghl.WithToken(c.token), ghl.WithLocation(c.loc))
		if err == nil {
			fmt.Fprintf(out, "Importing into HighLevel location %s.\n", c.loc)
		}
		return cl, func() {}, err
	case c.in != "" && !c.fake:
		return nil, nil, fmt.Errorf("no GHL_TOKEN and GHL_LOCATION_ID: to import %s into HighLevel set them; to try it on a throwaway fake server pass -fake", c.in)
	}
	srv := ghltest.NewServer(ghltest.WithRateLimit(100, time.Second))
	fmt.Fprintf(out, "Importing into ghltest at %s, a throwaway fake server: nothing reaches HighLevel (limit shrunk to 100 requests per second).\n", srv.URL())
	cl, err := srv.Client()
	return cl, srv.Close, err
}

// readContacts parses the CSV; it keeps the header and each row for the
// failure report.
func readContacts(r io.Reader) ([]string, [][]string, []ghl.UpsertContactRequest, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read CSV header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	if _, ok := col["email"]; !ok {
		if _, ok := col["phone"]; !ok {
			return nil, nil, nil, errors.New("the CSV needs an email or a phone column")
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
			return nil, nil, nil, fmt.Errorf("read CSV: %w", err)
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
	return header, rows, reqs, nil
}

// writeFailures writes every failed row with its original columns and an
// "error" column, so the file can be fixed and imported again as it is (the
// importer ignores columns it does not know).
func writeFailures(out io.Writer, path string, header []string, rows [][]string, report *ghl.BulkUpsertReport) error {
	var f *os.File
	var err error
	if path == "" {
		f, err = os.CreateTemp("", "bulkimport-failures-*.csv")
	} else {
		f, err = os.Create(path)
	}
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	errCol := "error"
	for slices.Contains(header, errCol) {
		errCol = "_" + errCol // keep the file's own "error" column as it was
	}
	_ = w.Write(append(slices.Clone(header), errCol))
	for _, it := range report.Items {
		if it.Err == nil {
			continue
		}
		msg := it.Err.Error()
		if !it.Sent {
			msg = "not sent: " + msg
		}
		row := make([]string, len(header))
		copy(row, rows[it.Index])
		_ = w.Write(append(row, msg))
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(out, "Wrote %d failed rows, with their columns and the error, to %s. Fix them and import that file again.\n",
		report.Failed+report.NotSent, f.Name())
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
