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
		"cus-1 Ana Reyes  300 Lamar Blvd, Austin  tags [priority]",
		`note: address1 changed from "12 Elm St" to "300 Lamar Blvd"`,
		`from HighLevel: tag added "priority"`,
		"note: Dog in the yard; call before arriving",
		`from HighLevel: note added "Dog in the yard; call before arriving"`,
		"HighLevel holds 3 contacts",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
