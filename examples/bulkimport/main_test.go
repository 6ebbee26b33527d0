package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestImportSample(t *testing.T) {
	t.Setenv("GHL_TOKEN", "")
	t.Setenv("GHL_LOCATION_ID", "")
	failures := filepath.Join(t.TempDir(), "failures.csv")
	var out bytes.Buffer
	if err := run(context.Background(), &out, "", failures, 150, 8); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "Created 147, updated 0, failed 3, not sent 0") {
		t.Errorf("unexpected summary:\n%s", out.String())
	}
	f, err := os.Open(failures)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) != 4 || rows[1][0] != "51" || !strings.Contains(rows[1][2], "422") {
		t.Fatalf("failures CSV: %v %v", rows, err)
	}
}

func TestCSVNeedsAnIdentifier(t *testing.T) {
	if _, _, err := readContacts(strings.NewReader("first_name,company\nAva,Acme\n")); err == nil {
		t.Fatal("a CSV without email or phone columns was accepted")
	}
}
