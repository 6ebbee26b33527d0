//go:build !race

package acceptance_test

// raceShrink divides the membership import's size: the full size
// without the race detector, a fifth under it (same code paths, same
// faults; the race detector makes each request several times dearer).
const raceShrink = 1
