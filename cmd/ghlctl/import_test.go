package main

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
)

// writeFile writes a file for a test and returns its path.
func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// people is a CSV of n people, with a column mapped by --map.
func people(n int) string {
	var b strings.Builder
	b.WriteString("First Name,lastName,email,city,tags,Plan\n")
	for i := range n {
		fmt.Fprintf(&b, "P%d,Person,p%d@example.com,Paris,member;import,gold\n", i, i)
	}
	return b.String()
}

var importMaps = []string{"--map", "First Name=firstName", "--map", "Plan=custom.plan", "--lookup-waits", "0"}

func TestImportCreatesThenUpdatesNeverDuplicates(t *testing.T) {
	t.Parallel()
	srv := fake(t)
	srv.AddCustomField(ghltest.DefaultLocationID, ghl.CustomFieldDefinition{Name: "Plan", DataType: "TEXT"})
	file := writeFile(t, "people.csv", people(40))
	r := ghlctl(t, srv, "", nil, append([]string{"contacts", "import", file, "-o", "csv"}, importMaps...)...)
	if r.code != 0 || !strings.Contains(r.stdout, "40,40,0,0,0") {
		t.Fatalf("first import: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	c, _ := srv.Client()
	got, err := c.Contacts.Search(t.Context(), ghl.SearchRequest{Query: "p7@example.com", PageLimit: 10, Page: 1})
	if err != nil || len(got.Contacts) != 1 {
		t.Fatalf("p7: %v %+v", err, got)
	}
	ct := got.Contacts[0]
	if ct.FirstName != "P7" || ct.City != "Paris" || len(ct.Tags) != 2 || len(ct.CustomFields) != 1 {
		t.Fatalf("p7 imported as %+v", ct)
	}
	// Again, with one change: one update, the rest unchanged, no new contact.
	changed := strings.Replace(people(40), "P3,Person,p3@example.com,Paris", "P3,Person,p3@example.com,Lyon", 1)
	r = ghlctl(t, srv, "", nil, append([]string{"contacts", "import", writeFile(t, "again.csv", changed), "-o", "csv"}, importMaps...)...)
	if r.code != 0 || !strings.Contains(r.stdout, "40,0,1,39,0") {
		t.Fatalf("second import: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	if n := srv.ContactCount(ghltest.DefaultLocationID); n != 40 {
		t.Fatalf("%d contacts after importing 40 people twice", n)
	}
}

// TestImportRefusesBeforeSending: an unknown column, a bad mapping or a
// dry run send nothing.
func TestImportRefusesBeforeSending(t *testing.T) {
	t.Parallel()
	srv := fake(t)
	file := writeFile(t, "people.csv", people(3))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"contacts", "import", file}, `"First Name" "Plan"`},
		{[]string{"contacts", "import", file, "--map", "First Name=fist"}, `"fist" is not a field`},
		{[]string{"contacts", "import", file, "--by", "fax"}, `--by "fax"`},
		{[]string{"contacts", "import", file, "--by", "external"}, "--external-field"},
		{[]string{"contacts", "import", writeFile(t, "empty.csv", "")}, "empty"},
		{[]string{"contacts", "import", writeFile(t, "bad.csv", "a,\"b\n")}, "bad.csv"},
	} {
		r := ghlctl(t, srv, "", nil, tc.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, %q; want %q", tc.args[3:], r.code, r.stderr, tc.want)
		}
	}
	// A custom field the location does not have: refused before any row.
	r := ghlctl(t, srv, "", nil, "contacts", "import", file, "--map", "First Name=firstName", "--map", "Plan=custom.no_such_field")
	if r.code != exitUsage || !strings.Contains(r.stderr, `custom field "no_such_field"`) {
		t.Errorf("an unknown custom field: exit %d, %q", r.code, r.stderr)
	}
	for _, req := range srv.Requests() {
		if req.Method != "GET" {
			t.Errorf("%s %s sent for an import with an unknown custom field", req.Method, req.Path)
		}
	}
	srv.ResetRequests()
	bad := people(3) + "Eve,Bad,not-an-email,Paris,,gold\n"
	r = ghlctl(t, srv, "", nil, append([]string{"contacts", "import", writeFile(t, "p.csv", bad), "--dry-run", "-o", "csv"}, importMaps...)...)
	if r.code != 0 || !strings.Contains(r.stdout, "4,3,1") || !strings.Contains(r.stderr, "line 5") {
		t.Fatalf("dry run: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Fatalf("%d requests sent by refused imports and a dry run", n)
	}
}

// TestImportFailuresFileImportsAgain: a row that fails goes to the
// failures file with its error; fixed there, that file imports as it is.
func TestImportFailuresFileImportsAgain(t *testing.T) {
	t.Parallel()
	srv := fake(t)
	srv.AddCustomField(ghltest.DefaultLocationID, ghl.CustomFieldDefinition{Name: "Plan", DataType: "TEXT"})
	file := writeFile(t, "people.csv", people(5)+"Eve,Bad,eve-at-example.com,Paris,,gold\n")
	r := ghlctl(t, srv, "", nil, append([]string{"contacts", "import", file, "-o", "csv"}, importMaps...)...)
	if r.code == 0 || !strings.Contains(r.stdout, "6,5,0,0,1") {
		t.Fatalf("import with a bad row: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	failures := strings.TrimSuffix(file, ".csv") + ".failures.csv"
	recs, err := csv.NewReader(strings.NewReader(readFile(t, failures))).ReadAll()
	if err != nil || len(recs) != 2 || recs[0][len(recs[0])-1] != "error" || !strings.Contains(recs[1][6], "email") {
		t.Fatalf("failures file: %v %q", err, recs)
	}
	fixed := strings.Replace(readFile(t, failures), "eve-at-example.com", "eve@example.com", 1)
	if err := os.WriteFile(failures, []byte(fixed), 0o600); err != nil {
		t.Fatal(err)
	}
	r = ghlctl(t, srv, "", nil, append([]string{"contacts", "import", failures, "-o", "csv"}, importMaps...)...)
	if r.code != 0 || !strings.Contains(r.stdout, "1,1,0,0,0") {
		t.Fatalf("re-import of the failures: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	if n := srv.ContactCount(ghltest.DefaultLocationID); n != 6 {
		t.Fatalf("%d contacts, want 6", n)
	}
}

// TestImportUnderFaultsMakesNoDuplicate: 429 bursts, connections dropped
// before and after HighLevel made the contact, and answers cut off: every
// person is there once, whatever failed is in the failures file, and
// importing that file finishes the job.
func TestImportUnderFaultsMakesNoDuplicate(t *testing.T) {
	t.Parallel()
	srv := fake(t)
	srv.AddCustomField(ghltest.DefaultLocationID, ghl.CustomFieldDefinition{Name: "Plan", DataType: "TEXT"})
	srv.Inject(ghltest.Fault{Method: "POST", Path: "/contacts/", Status: 429, RetryAfter: "0", Times: 6})
	srv.Inject(ghltest.Fault{Method: "POST", Path: "/contacts/", DropAfter: true, Times: 4})
	srv.Inject(ghltest.Fault{Method: "POST", Path: "/contacts/", DropBefore: true, Times: 3})
	srv.Inject(ghltest.Fault{Method: "POST", Path: "/contacts/", Status: 400, Body: `{"message":"try later"}`})
	srv.Inject(ghltest.Fault{Method: "PUT", Path: "/contacts/*", Truncate: true, Times: 2})
	file := writeFile(t, "people.csv", people(30))
	r := ghlctl(t, srv, "", nil, append([]string{"contacts", "import", file, "-o", "csv"}, importMaps...)...)
	failures := strings.TrimSuffix(file, ".csv") + ".failures.csv"
	recs, err := csv.NewReader(strings.NewReader(readFile(t, failures))).ReadAll()
	if r.code == 0 || err != nil || len(recs) < 2 || !strings.Contains(r.stderr, "try later") {
		t.Fatalf("first pass: exit %d, failures %v %v, %s", r.code, recs, err, r.stderr)
	}
	r = ghlctl(t, srv, "", nil, append([]string{"contacts", "import", failures, "-o", "csv"}, importMaps...)...)
	if r.code != 0 {
		t.Fatalf("re-import of the failures: exit %d, %s", r.code, r.stderr)
	}
	if n := srv.ContactCount(ghltest.DefaultLocationID); n != 30 {
		t.Fatalf("%d contacts after importing 30 people under faults", n)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
