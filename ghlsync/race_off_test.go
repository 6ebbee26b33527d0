//go:build !race

package ghlsync_test

const raceEnabled = false
