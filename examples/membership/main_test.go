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
	if err := run(context.Background(), &out, "", 120); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		"Imported 120 members (2 rows without an email skipped).",
		"Cycle 1: 120 created, 0 adopted, 0 pushed, 0 tasks, 0 failed",
		"Cycle 2: 0 created, 0 adopted, 1 pushed, 0 tasks, 0 failed", // member7's old status tag removed
		"HighLevel holds 121 contacts: none twice.",
		`member7 was lapsed in HighLevel: now tags [newsletter status:active], plan "annual".`,
		`Wren joined in HighLevel: a member here, with the task "Onboarding call" there.`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
