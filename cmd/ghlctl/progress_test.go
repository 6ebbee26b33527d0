package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/internal/testenv"
)

// TestProgressAsAPersonSeesIt runs an export in a real terminal (tmux)
// and reads the screen: the progress line is drawn in place, in colour
// unless NO_COLOR, and ends at every contact; the exported file is whole.
// Skipped without tmux unless GHL_TMUX_TEST=required.
func TestProgressAsAPersonSeesIt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds ghlctl and runs it in tmux")
	}
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("GHL_TMUX_TEST") == "required" {
			t.Fatal("no tmux, and GHL_TMUX_TEST=required (apt-get install tmux)")
		}
		t.Skip("no tmux (apt-get install tmux)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "ghlctl")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	srv := fake(t)
	srv.Seed(ghltest.DefaultLocationID, 3000)
	out := filepath.Join(dir, "contacts.csv")
	session := "ghlctl-test-" + strings.ReplaceAll(filepath.Base(dir), ".", "")
	sock := filepath.Join(dir, "tmux.sock")
	cmdline := strings.Join([]string{"env", "GHL_BASE_URL=" + srv.URL(), "GHL_TOKEN=" + ghltest.DefaultToken,
		"GHL_LOCATION_ID=" + ghltest.DefaultLocationID, bin, "contacts", "export", "--out", out, ";", "sleep", "600"}, " ")
	if b, err := exec.Command(tmux, "-S", sock, "new-session", "-d", "-s", session, "-x", "160", "-y", "10", cmdline).CombinedOutput(); err != nil {
		t.Fatalf("tmux: %v %s", err, b)
	}
	t.Cleanup(func() { _ = exec.Command(tmux, "-S", sock, "kill-server").Run() })
	var screen string
	testenv.WaitFor(t, "the export's end on the screen", func() bool {
		b, err := exec.Command(tmux, "-S", sock, "capture-pane", "-p", "-e", "-t", session).Output()
		if err != nil {
			t.Fatalf("capture-pane: %v", err)
		}
		screen = string(b)
		return strings.Contains(screen, "exported 3000 contacts")
	}, func() string { return screen })
	t.Logf("the screen:\n%s", screen)
	if !strings.Contains(screen, "3000/3000 contacts (100%)") || !strings.Contains(screen, "requests paced at") {
		t.Errorf("no final progress line on the screen:\n%s", screen)
	}
	if !strings.Contains(screen, "\x1b[36m") {
		t.Errorf("the progress line is not in colour on a terminal:\n%q", screen)
	}
	if strings.Count(screen, "contacts (") != 1 {
		t.Errorf("the progress line was not redrawn in place:\n%s", screen)
	}
	if ids := exportedIDs(t, out, "csv"); len(ids) != 3000 {
		t.Errorf("%d contacts in the file", len(ids))
	}
}
