package ghl_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
)

// TestFileStoreRefusesLinksAndOtherUsers: in a shared directory someone
// could plant a symbolic link where the token directory, a token file or a
// lock file should be, or a directory of their own. Each is refused, and
// the link's target is neither read nor written.
func TestFileStoreRefusesLinksAndOtherUsers(t *testing.T) {
	ctx := context.Background()
	shared := t.TempDir()
	real := filepath.Join(shared, "real")
	require.NoError(t, os.Mkdir(real, 0o700))

	dirLink := filepath.Join(shared, "tokens")
	require.NoError(t, os.Symlink(real, dirLink))
	_, err := ghl.NewFileStore(dirLink, randomKey(t))
	require.ErrorIs(t, err, ghl.ErrInvalidInput)
	assert.ErrorContains(t, err, "symbolic link")

	fs, err := ghl.NewFileStore(real, randomKey(t))
	require.NoError(t, err)
	decoy := filepath.Join(shared, "decoy")
	require.NoError(t, os.WriteFile(decoy, []byte("GHLTOK1\nnot yours"), 0o600))
	require.NoError(t, os.Symlink(decoy, filepath.Join(real, "LocA.token")))
	_, err = fs.Load(ctx, "LocA")
	require.Error(t, err, "a token file that is a symbolic link is not read")
	assert.NotErrorIs(t, err, ghl.ErrNoToken)

	require.NoError(t, os.Symlink(decoy, filepath.Join(real, "LocB.lock")))
	_, err = fs.Lock(ctx, "LocB")
	require.Error(t, err, "a lock file that is a symbolic link is not opened")
	b, _ := os.ReadFile(decoy)
	assert.Equal(t, "GHLTOK1\nnot yours", string(b), "the target was not touched")

	if os.Getuid() != 0 {
		t.Skip("changing an owner needs root")
	}
	theirs := filepath.Join(shared, "theirs")
	require.NoError(t, os.Mkdir(theirs, 0o700))
	require.NoError(t, os.Chown(theirs, 65534, 65534))
	_, err = ghl.NewFileStore(theirs, randomKey(t))
	require.ErrorIs(t, err, ghl.ErrInvalidInput)
	assert.ErrorContains(t, err, "belongs to user 65534")

	good := &ghl.Token{AccessToken: ghl.NewSecret("at"), RefreshToken: ghl.NewSecret("rt")}
	require.NoError(t, fs.Save(ctx, "LocC", good))
	require.NoError(t, os.Chown(filepath.Join(real, "LocC.token"), 65534, 65534))
	_, err = fs.Load(ctx, "LocC")
	assert.ErrorContains(t, err, "belongs to user 65534", "a token file another user owns (replaced under us) is refused")
}
