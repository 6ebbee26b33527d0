// Package testenv holds what the SDK's own tests share about how they run.
package testenv

import (
	"flag"
	"os"
	"strconv"
	"testing"
	"time"
)

// Long reports whether the long runs were asked for (GHL_TEST_LONG=1): the
// full-size scenarios (5,000 members) that CI's longer step runs. A plain
// go test ./... runs the same code paths at a size that keeps it near a
// minute on a two-core machine.
func Long() bool { return os.Getenv("GHL_TEST_LONG") != "" }

// RaiseParallel lets up to n tests marked t.Parallel run at once unless the
// command line chose (-parallel) or is fuzzing (where -parallel counts the
// fuzzer's workers). Call it from TestMain. The SDK's parallel
// tests spend their time waiting (rate windows, quiet periods, search lag),
// not computing, so more of them than cores finish sooner together.
func RaiseParallel(n int) {
	if !flag.Parsed() {
		flag.Parse()
	}
	chosen, fuzzing := false, false
	flag.Visit(func(f *flag.Flag) {
		chosen = chosen || f.Name == "test.parallel"
		fuzzing = fuzzing || f.Name == "test.fuzz" // -parallel is also the fuzzer's worker count
	})
	if !chosen && !fuzzing {
		_ = flag.Set("test.parallel", strconv.Itoa(n))
	}
}

// WaitFor waits until cond holds, looking again every few milliseconds,
// for as long as the test may run: it stands for "until this happens",
// never for "this long". What it waits on is another process, a server or
// a goroutine the test cannot be told by. If the test's deadline comes
// near first, it fails, naming what it waited for and, with describe,
// what it last saw.
func WaitFor(t *testing.T, what string, cond func() bool, describe ...func() string) {
	t.Helper()
	deadline, bounded := t.Deadline()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if bounded && time.Until(deadline) < 5*time.Second {
			last := ""
			if len(describe) > 0 {
				last = "; last: " + describe[0]()
			}
			t.Fatalf("%s: never happened%s", what, last)
		}
		<-tick.C
	}
}
