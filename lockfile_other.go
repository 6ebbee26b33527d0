//go:build !unix

package ghl

import "context"

// lockFile is a no-op where flock(2) is missing: FileStore then serializes
// refreshes within one process only.
func lockFile(context.Context, string) (func(), error) { return func() {}, nil }
