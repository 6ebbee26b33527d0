//go:build !unix

package ghl

import (
	"context"
	"io/fs"
)

// noFollow is not available here: the Lstat checks stand alone.
const noFollow = 0

// checkOwner cannot check owners here.
func checkOwner(string, string, fs.FileInfo) error { return nil }

// lockFile is a no-op where flock(2) is missing: FileStore then serializes
// refreshes within one process only.
func lockFile(context.Context, string) (func(), error) { return func() {}, nil }
