package pgstate_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// pgBin finds a Postgres server's programs: on PATH, or where Debian's
// postgresql package puts them.
func pgBin(name string) (string, bool) {
	if p, err := exec.LookPath(name); err == nil {
		return p, true
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(matches) == 0 {
		return "", false
	}
	return matches[len(matches)-1], true
}

// durability says whether a test server syncs its commits to disk.
type durability bool

const (
	fast    durability = false // fsync off: tests of behaviour
	durable durability = true  // fsync on: benchmarks
)

// startPostgres starts a Postgres server of its own on a free loopback
// port, in a temporary directory, for the test; it returns its URL. As
// root (CI), the server runs as the postgres user, which it requires.
// Without the programs the test is skipped, unless GHL_POSTGRES_TEST=required.
func startPostgres(t testing.TB) string {
	t.Helper()
	url := startPostgresOrNot(t, fast)
	if url == "" {
		t.Skip("skipped: no Postgres server programs (apt-get install postgresql)")
	}
	return url
}

// startPostgresOrNot is startPostgres returning "" without the programs
// (unless GHL_POSTGRES_TEST=required), for benchmarks that compare
// Postgres with other states when it is there.
func startPostgresOrNot(t testing.TB, d durability) string {
	t.Helper()
	initdb, ok1 := pgBin("initdb")
	pgctl, ok2 := pgBin("pg_ctl")
	if !ok1 || !ok2 {
		if os.Getenv("GHL_POSTGRES_TEST") == "required" {
			t.Fatal("no initdb/pg_ctl, and GHL_POSTGRES_TEST=required (apt-get install postgresql)")
		}
		return ""
	}
	dir, err := os.MkdirTemp("", "pgstate-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	data := filepath.Join(dir, "data")
	run := func(args ...string) *exec.Cmd {
		if os.Geteuid() != 0 {
			return exec.Command(args[0], args[1:]...)
		}
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatal("running as root, and no postgres user to run the server as")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		return exec.Command("runuser", append([]string{"-u", "postgres", "--"}, args...)...)
	}
	if out, err := run(initdb, "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "--locale=C.UTF-8", "-E", "UTF8").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=200", port, dir)
	if d == fast {
		opts += " -c fsync=off"
	}
	if out, err := run(pgctl, "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "start").CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	t.Cleanup(func() { _ = run(pgctl, "-D", data, "-m", "immediate", "stop").Run() })
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
}

func newPool(t testing.TB, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

var locations atomic.Int64

// newLocation names a location of its own for a test.
func newLocation() string {
	return "Loc" + strings.Repeat("0", 5) + strconv.FormatInt(locations.Add(1), 10) + strconv.FormatInt(time.Now().UnixNano()%1000, 10)
}
