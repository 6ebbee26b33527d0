package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestReplicaFollowsTheServer(t *testing.T) {
	var buf bytes.Buffer
	if err := run(context.Background(), &buf); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	for _, want := range []string{"delivered ContactCreate", "delivered ContactTagUpdate", "delivered ContactDelete", "Local copy (2 contacts)"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, buf.String())
		}
	}
}
