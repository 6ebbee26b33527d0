package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestConnectorExample: the program's promises, from its output.
func TestConnectorExample(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		"create or update Ada: done",
		"again, tagged:        done",
		`a bad email:          The step's "email" field is not valid ("bob at example" is not an email address`,
		"a deleted contact:    HighLevel has no such contact",
		"new contact Ada <ada@example.com> tags [customer lead]",
		"new contact Grace <grace@example.com> tags [webinar]",
		"updated contact Augusta Ada <ada@example.com>",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if n := strings.Count(out.String(), "updated contact Augusta Ada"); n != 1 {
		t.Errorf("the update triggered %d times, though HighLevel sent it twice; want once:\n%s", n, out.String())
	}
}
