//go:build unix

package ghl

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"syscall"
	"time"
)

// noFollow makes an open fail on a symbolic link.
const noFollow = syscall.O_NOFOLLOW

// checkOwner refuses a file or directory that another user owns.
func checkOwner(what, path string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if uid := os.Getuid(); int(st.Uid) != uid {
		return invalid(what, "%s belongs to user %d, not to this process's user %d", path, st.Uid, uid)
	}
	return nil
}

// lockFile takes an exclusive flock on path, polling until ctx ends. The
// lock file is never opened through a symbolic link, and must be the
// process user's own.
func lockFile(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|noFollow, 0o600)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || checkOwner("token lock file", path, fi) != nil {
		_ = f.Close()
		if err == nil {
			err = checkOwner("token lock file", path, fi)
		}
		return nil, err
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				_ = f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			_ = f.Close()
			return nil, err
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}
