package acceptance_test

import (
	"flag"
	"os"
	"testing"

	"github.com/ghlkit/ghl/internal/testenv"
)

// TestMain: -short runs the fault matrix at its smallest (100 members).
func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		members = 100 / raceShrink
	}
	testenv.RaiseParallel(8)
	os.Exit(m.Run())
}
