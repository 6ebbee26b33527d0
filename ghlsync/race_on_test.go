//go:build race

package ghlsync_test

// raceEnabled shrinks the heaviest tests under the race detector, which
// runs them about ten times slower.
const raceEnabled = true
