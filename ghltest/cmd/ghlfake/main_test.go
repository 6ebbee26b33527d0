package main

import (
	"bytes"
	"errors"
	"flag"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"

	"github.com/ghlkit/ghl/ghltest"
)

func TestFlagsAreChecked(t *testing.T) {
	for _, args := range [][]string{{"-burst", "0"}, {"-contacts", "-1"}, {"-window", "0s"}, {"-nope"}} {
		if err := run(args); err == nil {
			t.Errorf("run(%v) accepted bad flags", args)
		}
	}
}

// TestHelpIsNotAnError: -h prints the usage and is reported as flag.ErrHelp,
// which main turns into exit status 0.
func TestHelpIsNotAnError(t *testing.T) {
	err := run([]string{"-h"})
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("run(-h) = %v, want flag.ErrHelp", err)
	}
}

// TestHelpExitsZero runs the command for real.
func TestHelpExitsZero(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	out, err := exec.Command("go", "run", ".", "-h").CombinedOutput()
	if err != nil {
		t.Fatalf("ghlfake -h: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "-contacts") || strings.Contains(string(out), "help requested") {
		t.Fatalf("ghlfake -h printed:\n%s", out)
	}
}

// TestVerboseLogsOneLinePerRequest: method, path, status, duration; never
// the token.
func TestVerboseLogsOneLinePerRequest(t *testing.T) {
	var buf bytes.Buffer
	srv := ghltest.New(ghltest.WithContacts(2))
	h := logRequests(srv, &buf)
	for _, path := range []string{"/contacts/?locationId=" + ghltest.DefaultLocationID, "/nope"} {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+ghltest.DefaultToken)
		req.Header.Set("Version", "2021-07-28")
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "GET") || !strings.Contains(lines[0], "/contacts/ ") ||
		!strings.Contains(lines[0], " 200 ") || !strings.Contains(lines[1], " 404 ") {
		t.Fatalf("log:\n%s", buf.String())
	}
	if strings.Contains(buf.String(), ghltest.DefaultToken) || strings.Contains(buf.String(), "locationId") {
		t.Fatalf("the log shows a token or a query:\n%s", buf.String())
	}
}
