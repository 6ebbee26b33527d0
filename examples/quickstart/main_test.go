package main

import (
	"bytes"
	"context"
	"strings"
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
		"ErrNotFound) for a missing contact: true", "1,200 sample contacts", "the tour adds one", "1,201 contacts",
		"created Ada Lovelace (ID ", "go run ./examples/sync", "go doc github.com/ghlkit/ghl"} {
		if !bytes.Contains(buf.Bytes(), []byte(want)) {
			t.Errorf("output lacks %q:\n%s", want, buf.String())
		}
	}
}

// TestQuickstartRefusesHalfAConfiguration: a token without a location (or
// the reverse) is a mistake to report, not a reason to run on the fake.
func TestQuickstartRefusesHalfAConfiguration(t *testing.T) {
	for _, env := range [][2]string{{"pit-token", ""}, {"", "ve9EPM428h8vShlRW1KT"}} {
		t.Setenv("GHL_TOKEN", env[0])
		t.Setenv("GHL_LOCATION_ID", env[1])
		var buf bytes.Buffer
		out = &buf
		err := run(context.Background())
		if err == nil || !strings.Contains(err.Error(), "set both") {
			t.Fatalf("GHL_TOKEN=%q GHL_LOCATION_ID=%q: want a clear refusal, got %v", env[0], env[1], err)
		}
		if strings.Contains(buf.String(), "ghltest") {
			t.Fatalf("it started the fake anyway:\n%s", buf.String())
		}
	}
}
