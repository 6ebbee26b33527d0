package ghlsync_test

import (
	"os"
	"testing"

	"github.com/ghlkit/ghl/internal/testenv"
)

func TestMain(m *testing.M) {
	testenv.RaiseParallel(8)
	os.Exit(m.Run())
}
