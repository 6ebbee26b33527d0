//go:build !unix

package ghlsync

import (
	"fmt"
	"io/fs"
	gosync "sync"
)

// noFollow is not available here: OpenFileState's Lstat check stands alone.
const noFollow = 0

// checkOwner cannot check owners here.
func checkOwner(string, fs.FileInfo) error { return nil }

var held gosync.Map // path → struct{}: locks of this process

// lockExclusive locks path within this process only: where flock(2) is
// missing, two processes are not kept apart.
func lockExclusive(path string) (func(), error) {
	if _, loaded := held.LoadOrStore(path, struct{}{}); loaded {
		return nil, fmt.Errorf("%w (%s is locked)", ErrStateInUse, path)
	}
	return func() { held.Delete(path) }, nil
}
