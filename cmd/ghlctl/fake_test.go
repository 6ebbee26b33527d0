package main

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/ghlkit/ghl"
)

// TestFakeServesWhatItPrints: ghlctl fake prints the three variables to
// export, and a client made from them reads the seeded contacts.
func TestFakeServesWhatItPrints(t *testing.T) {
	t.Parallel()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() {
		code := run(ctx, []string{"fake", "--addr", "127.0.0.1:0", "--contacts", "25", "--burst", "1000", "--window", "1s"},
			env{stdin: strings.NewReader(""), stdout: pw, stderr: io.Discard, getenv: func(string) string { return "" }})
		pw.Close()
		done <- code
	}()
	vars := map[string]string{}
	sc := bufio.NewScanner(pr)
	for len(vars) < 3 && sc.Scan() {
		if kv, ok := strings.CutPrefix(sc.Text(), "export "); ok {
			k, v, _ := strings.Cut(kv, "=")
			vars[k] = v
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	c, err := ghl.NewClient(ghl.WithBaseURL(vars["GHL_BASE_URL"]), ghl.WithToken(vars["GHL_TOKEN"]), ghl.WithLocation(vars["GHL_LOCATION_ID"]))
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Contacts.Search(ctx, ghl.SearchRequest{PageLimit: 1, Page: 1})
	if err != nil || res.Total != 25 {
		t.Fatalf("the fake's contacts: %v, %+v", err, res)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("fake ended with %d", code)
	}
}
