package ghl

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestFileStoreCrashBeforeRename: a save that dies between writing the new
// file and renaming it over the old one leaves the previous pair readable.
func TestFileStoreCrashBeforeRename(t *testing.T) {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	dir := t.TempDir()
	s, err := NewFileStore(dir, key)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Save(ctx, "L1", &Token{AccessToken: NewSecret("at-1"), RefreshToken: NewSecret("rt-1")}); err != nil {
		t.Fatal(err)
	}
	beforeRename = func(tmp string) error {
		if _, err := os.Stat(tmp); err != nil {
			t.Errorf("the new pair was not written before the crash: %v", err)
		}
		return errors.New("power cut")
	}
	defer func() { beforeRename = nil }()
	if err := s.Save(ctx, "L1", &Token{AccessToken: NewSecret("at-2"), RefreshToken: NewSecret("rt-2")}); err == nil {
		t.Fatal("the crashed save reported success")
	}
	got, err := s.Load(ctx, "L1")
	if err != nil || got.RefreshToken.Reveal() != "rt-1" {
		t.Fatalf("after the crash the previous pair is gone: %v %v", got, err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".L1.tmp-*"))
	if len(left) != 0 {
		t.Fatalf("temporary files left behind: %v", left)
	}
}

// TestOAuthDefaultClientHasTimeout: the OAuth calls never wait forever on
// a server that does not answer.
func TestOAuthDefaultClientHasTimeout(t *testing.T) {
	if (&OAuthConfig{}).httpClient().Timeout <= 0 {
		t.Fatal("the default OAuth HTTP client has no timeout")
	}
}
