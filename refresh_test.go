package ghl_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
)

// TestPrintingASourceDuringRefreshIsNotARace: printing reads nothing a
// refresh writes (run with -race).
func TestPrintingASourceDuringRefreshIsNotARace(t *testing.T) {
	t.Parallel()
	e := newOAuthEnv(t)
	src := e.install(t, ghl.NewMemoryStore())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 20 {
			e.clock.Advance(2 * 3600e9)
			_, _ = src.AccessToken(context.Background())
		}
	}()
	for range 200 {
		_ = fmt.Sprintf("%v %+v", *src, src)
	}
	<-done
}

// lostAckStore persists a Save but reports it failed while lostAcks > 0, as
// a database whose commit acknowledgement is lost, or a Redis timeout.
type lostAckStore struct {
	ghl.TokenStore
	lostAcks atomic.Int32
}

func (l *lostAckStore) Save(ctx context.Context, key string, t *ghl.Token) error {
	if err := l.TokenStore.Save(ctx, key, t); err != nil {
		return err
	}
	if l.lostAcks.Add(-1) >= 0 {
		return errors.New("i/o timeout (the write was applied)")
	}
	return nil
}

// TestFailedSaveNeverOverwritesANewerPair: process A's save "fails" but
// persisted; process B refreshes from that pair; A must not later write its
// spent pair over B's, which would leave both needing re-authorization.
func TestFailedSaveNeverOverwritesANewerPair(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newOAuthEnv(t)
	mem := ghl.NewMemoryStore()
	e.install(t, mem)
	lying := &lostAckStore{TokenStore: mem}
	a, err := e.cfg.NewSource(lying, ghltest.DefaultLocationID, ghl.WithSourceClock(e.clock.Now))
	require.NoError(t, err)
	b, err := e.cfg.NewSource(mem, ghltest.DefaultLocationID, ghl.WithSourceClock(e.clock.Now))
	require.NoError(t, err)

	e.clock.Advance(2 * time.Hour)
	lying.lostAcks.Store(1)
	_, err = a.AccessToken(ctx)
	require.Error(t, err, "A was told its save failed")

	e.clock.Advance(2 * time.Hour)
	bTok, err := b.AccessToken(ctx) // B loads A's persisted pair and refreshes it
	require.NoError(t, err)
	require.Equal(t, 2, e.srv.TokenGrants("refresh_token"))

	aTok, err := a.AccessToken(ctx)
	require.NoError(t, err, "A adopts B's newer pair")
	assert.Equal(t, bTok, aTok)
	stored, err := mem.Load(ctx, ghltest.DefaultLocationID)
	require.NoError(t, err)
	assert.Equal(t, bTok, stored.AccessToken.Reveal(), "the store keeps B's pair")
	_, err = e.cfg.Refresh(ctx, stored.RefreshToken.Reveal(), "")
	assert.NoError(t, err, "the stored refresh token is unspent")
}
