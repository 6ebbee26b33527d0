package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestMembershipExample: the program's promises, from its output.
func TestMembershipExample(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, "", 400); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		"Read 413 rows: 10 repeats folded, 396 members in HighLevel, 7 failed.",
		"HighLevel holds 396 contacts: none twice.",
		`now a member here, with the task "Onboarding call" there.`,
		`member7 was lapsed in HighLevel; now status "active"`,
		"tags [newsletter]",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
