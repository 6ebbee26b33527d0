package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSyncExample: the three cycles converge, and the last sends no write.
func TestSyncExample(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run(context.Background(), &out, dir, "", ""); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		"Cycle 1: created 4 in HighLevel",
		`merged p3 city: app "Manchester", HighLevel "Cambridge" -> "Cambridge" (last write wins)`,
		"pulled 1 new, marked 1 inactive",
		"Cycle 3: created 0 in HighLevel, updated 0 there and 0 here, pulled 0 new, marked 0 inactive, 0 task/note changes, 0 writes sent.",
		"No changes on either side: nothing was written.",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "app.json"))
	if err != nil {
		t.Fatal(err)
	}
	var app App
	if err := json.Unmarshal(b, &app); err != nil {
		t.Fatal(err)
	}
	if len(app.People) != 5 || !app.People["p4"].Inactive || app.People["p5"].FirstName != "Margaret" ||
		app.People["p2"].FirstName != "Rear Admiral Grace" || !app.People["p2"].Tasks[0].Completed || app.People["p1"].City != "Paris" {
		t.Errorf("app after the sync: %s", b)
	}
}

func TestSyncExampleRefusesHalfAConfiguration(t *testing.T) {
	if err := run(context.Background(), &bytes.Buffer{}, t.TempDir(), "pit-x", ""); err == nil {
		t.Fatal("a token without a location was accepted")
	}
}
