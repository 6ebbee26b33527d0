//go:build race

package acceptance_test

// raceShrink: see race_off_test.go.
const raceShrink = 5
