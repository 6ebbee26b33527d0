package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestMirrorExample: the program's promises, from its output.
func TestMirrorExample(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		"Ana  1 task(s), 0 note(s), inactive false",
		"Ben  1 task(s), 1 note(s), inactive true", // deleted in HighLevel: kept, marked
		"Cara 1 task(s), 0 note(s), inactive false",
		`Ana: "Send the quote" due in 3h0m0s`,
		`Cara: "Call back" due in 20h0m0s`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "Yearly review") {
		t.Errorf("a task of an inactive person, due in a month, is no reminder:\n%s", out.String())
	}
}
