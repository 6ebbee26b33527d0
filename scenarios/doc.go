// Package scenarios holds the integrations HighLevel users build, written
// with the public SDK alone and run end to end against ghltest, with and
// without faults: the acceptance tests of the whole SDK. Each scenario is a
// small, readable piece of code in this package, exercised by its tests.
package scenarios
