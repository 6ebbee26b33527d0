package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestTeamAppExample: the program's promises, from its output, over
// several runs (the teammates' edits interleave differently each time).
func TestTeamAppExample(t *testing.T) {
	for range 5 {
		var out bytes.Buffer
		if err := run(context.Background(), &out); err != nil {
			t.Fatalf("%v\n%s", err, out.String())
		}
		for _, want := range []string{
			"p1: 3 notes here, 3 in HighLevel; tags here [owner:kim], there [owner:kim]; inactive false",
			"p2: 3 notes here, 3 in HighLevel; tags here [owner:lou], there [owner:lou]; inactive false",
			"p3: 3 notes here, 3 in HighLevel; tags here [owner:max], there [owner:max]; inactive false",
			"p4: 3 notes here, 0 in HighLevel; tags here [owner:kim], there []; inactive true",
			"HighLevel holds 3 contacts.",
		} {
			if !strings.Contains(out.String(), want) {
				t.Fatalf("output lacks %q:\n%s", want, out.String())
			}
		}
	}
}
