//go:build race

package scenarios_test

// raceShrink: see race_off_test.go.
const raceShrink = 5
