package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ghlkit/ghl"
)

func TestImportSample(t *testing.T) {
	failures := filepath.Join(t.TempDir(), "failures.csv")
	var out bytes.Buffer
	if err := run(context.Background(), &out, config{failures: failures, sample: 150, concurrency: 8}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{"Importing into ghltest at", "nothing reaches HighLevel", "Created 147, updated 0, failed 3, not sent 0"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	f, err := os.Open(failures)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) != 4 {
		t.Fatalf("failures CSV: %v %v", rows, err)
	}
	if strings.Join(rows[0], ",") != "first_name,last_name,email,phone,company,tags,error" {
		t.Errorf("the failures keep the original columns plus error: %v", rows[0])
	}
	if rows[1][2] != "not-an-email-49" || !strings.Contains(rows[1][6], "is not an email address") {
		t.Errorf("first failure: %v", rows[1])
	}
}

// TestFailuresFileImportsAgain: the failures file, fixed, is a valid input.
func TestFailuresFileImportsAgain(t *testing.T) {
	dir := t.TempDir()
	failures := filepath.Join(dir, "failures.csv")
	var out bytes.Buffer
	if err := run(context.Background(), &out, config{failures: failures, sample: 100, concurrency: 4}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(failures)
	if err != nil {
		t.Fatal(err)
	}
	fixed := filepath.Join(dir, "fixed.csv")
	if err := os.WriteFile(fixed, bytes.ReplaceAll(b, []byte("not-an-email-"), []byte("fixed@example.com")), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(context.Background(), &out, config{in: fixed, fake: true, failures: filepath.Join(dir, "again.csv"), sample: 1, concurrency: 2}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "Created 2, updated 0, failed 0") {
		t.Errorf("re-import of the fixed failures:\n%s", out.String())
	}
}

// TestOwnFileNeedsADestination: a file of the user's is never imported into
// the fake by default, and half a configuration is refused.
func TestOwnFileNeedsADestination(t *testing.T) {
	in := filepath.Join(t.TempDir(), "mine.csv")
	if err := os.WriteFile(in, []byte("email\na@b.co\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]config{
		"no destination":        {in: in},
		"token only":            {in: in, token: "pit-x"},
		"location only":         {in: in, loc: "ve9EPM428h8vShlRW1KT"},
		"both fake and a token": {in: in, fake: true, token: "pit-x", loc: "ve9EPM428h8vShlRW1KT"},
		"sample 0":              {sample: 0, concurrency: 1},
	} {
		if c.sample == 0 && name != "sample 0" {
			c.sample, c.concurrency = 10, 1
		}
		var out bytes.Buffer
		err := run(context.Background(), &out, c)
		if err == nil {
			t.Errorf("%s: accepted\n%s", name, out.String())
		}
		if strings.Contains(out.String(), "Importing into") {
			t.Errorf("%s: started importing:\n%s", name, out.String())
		}
	}
}

func TestProgressLine(t *testing.T) {
	got := progressLine(ghl.BulkProgress{Done: 10, Total: 600, Rate: 9.87654, ETA: 61 * time.Second})
	if !strings.Contains(got, "9.9/s") || !strings.Contains(got, "ETA 1m1s") {
		t.Errorf("progress: %q", got)
	}
	if got := progressLine(ghl.BulkProgress{Done: 1, Total: 600, Rate: 100}); !strings.Contains(got, "ETA --") {
		t.Errorf("an unknown ETA is shown as such: %q", got)
	}
}

func TestCSVNeedsAnIdentifier(t *testing.T) {
	if _, _, _, err := readContacts(strings.NewReader("first_name,company\nAva,Acme\n")); err == nil {
		t.Fatal("a CSV without email or phone columns was accepted")
	}
}
