package ghl

import (
	"testing"
	"time"
)

// TestRateMeterForgetsTheBurst: 10 items at once, then one every 200 ms,
// reported every 100 ms: with a 1 s window the rate settles near 5 a
// second, where the run's average would still say far more; the ETA is
// unknown until one window has passed, then whole seconds at that rate.
func TestRateMeterForgetsTheBurst(t *testing.T) {
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	m := &rateMeter{start: start}
	const total, window = 20, time.Second
	done := 10 // the burst, at once
	for tick := 1; tick <= 20; tick++ {
		at := time.Duration(tick) * 100 * time.Millisecond
		if tick%2 == 0 && done < total {
			done++ // one more every 200 ms
		}
		rate, eta := m.measure(start.Add(at), total, done, window)
		if at <= window { // the window still holds the burst
			if eta != 0 && at < window {
				t.Fatalf("at %s: ETA %s before one window has passed", at, eta)
			}
			continue
		}
		average := float64(done) / at.Seconds()
		if rate >= average || rate > 5.5 {
			t.Fatalf("at %s: rate %.2f/s, run average %.2f/s: the burst still counts", at, rate, average)
		}
		if left := total - done; left > 0 {
			if eta <= 0 || eta != eta.Round(time.Second) {
				t.Fatalf("at %s: ETA %s for %d left at %.2f/s: want whole seconds", at, eta, left, rate)
			}
		}
	}
}
