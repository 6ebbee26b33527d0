package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestFieldServiceExample: the program's promises, from its output.
func TestFieldServiceExample(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		"cus-1 Ana +15125550111 300 Lamar Blvd, tags [priority], 1 task(s)", // the office's phone won; the app's address went
		"note: Moved from 12 Elm St to 300 Lamar Blvd",
		"cus-2 Ben +15125550102 4 Oak Ave, tags [], 1 task(s)",
		"note: Dog in the yard; call before arriving",
		`task created cus-1-visit on remote: "Follow-up visit"`,
		`contact conflict on remote: phone "+15125550101" -> "+15125550111" (resolver)`,
		`contact updated on remote: address1 "12 Elm St" -> "300 Lamar Blvd"`,
		"HighLevel holds 2 contacts.",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
