//go:build unix

package ghlsync

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// noFollow makes an open fail on a symbolic link.
const noFollow = syscall.O_NOFOLLOW

// checkOwner refuses a file that another user owns.
func checkOwner(path string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if uid := os.Getuid(); int(st.Uid) != uid {
		return fmt.Errorf("ghlsync: state file %s belongs to user %d, not to this process's user %d", path, st.Uid, uid)
	}
	return nil
}

// lockExclusive takes an flock on path (created 0600 if missing, never
// through a symbolic link) without waiting: ErrStateInUse when another
// holds it. The lock ends with the returned func or the process.
func lockExclusive(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|noFollow, 0o600)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("ghlsync: state lock file %s is a symbolic link", path)
		}
		return nil, fmt.Errorf("ghlsync: state lock file: %w", err)
	}
	fi, err := f.Stat()
	if err == nil {
		err = checkOwner(path, fi)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w (%s is locked)", ErrStateInUse, path)
		}
		return nil, fmt.Errorf("ghlsync: state lock file: %w", err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	}, nil
}
