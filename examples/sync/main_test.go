package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestSyncExample: the program's promises, from its output: Ada reaches
// HighLevel with her task and note, what HighLevel changed reaches the
// app, the contact made there is adopted, the rename goes back, an idle
// cycle costs at most two requests, and the history tells it.
func TestSyncExample(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, t.TempDir()); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		"the app adds Ada:                  created 1, adopted 0, pushed 0, pulled 0, tasks/notes 2,",
		"HighLevel tags, completes, adds:   created 0, adopted 1, pushed 0, pulled 1, tasks/notes 1,",
		"the app renames Ada:               created 0, adopted 0, pushed 1, pulled 0, tasks/notes 0,",
		"nothing changed:                   created 0, adopted 0, pushed 0, pulled 0, tasks/notes 0,",
		"ada                        Ada Lovelace, tags [vip], 1 task(s) done true",
		"Grace , tags [], 0 task(s) done false",
		`contact updated on remote: lastName "" -> "Lovelace"`,
		`contact updated on local: tags "" -> "vip"`,
		`task updated ada-call on local: completed "false" -> "true"`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	idle := out.String()[strings.Index(out.String(), "nothing changed:"):]
	idle = idle[:strings.Index(idle, "\n")]
	if !strings.HasSuffix(idle, "1 requests") && !strings.HasSuffix(idle, "2 requests") && !strings.HasSuffix(idle, "0 requests") {
		t.Errorf("an idle cycle: %s", idle)
	}
}
