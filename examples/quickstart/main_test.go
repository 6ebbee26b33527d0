package main

import (
	"bytes"
	"context"
	"testing"
)

func TestQuickstartAgainstGhltest(t *testing.T) {
	t.Setenv("GHL_TOKEN", "")
	t.Setenv("GHL_LOCATION_ID", "")
	var buf bytes.Buffer
	out = &buf
	if err := run(context.Background()); err != nil {
		t.Fatalf("quickstart failed: %v\n%s", err, buf.String())
	}
	for _, want := range []string{"created a new contact: false", "refused: This location does not allow duplicated contacts.",
		"ErrNotFound) for a missing contact: true", "1201 contacts"} {
		if !bytes.Contains(buf.Bytes(), []byte(want)) {
			t.Errorf("output lacks %q:\n%s", want, buf.String())
		}
	}
}
