package ghl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// RefreshingSource supplies access tokens for one location (or company),
// refreshing them shortly before they expire. Use it with WithTokenSource.
//
// Concurrent callers share one in-flight refresh. The refresh runs on its own
// context with its own timeout, so a caller whose context ends stops waiting
// without cancelling it for the others. Under the store's lock it reloads the
// stored pair first (another process may have refreshed), spends the refresh
// token, and saves the new pair before anyone uses it. If the save fails the
// caller gets an error and the pair stays in memory; the next call, under the
// lock, saves it only if the store still holds the pair it replaced (if the
// failed save did persist and another process has refreshed since, the
// store's newer pair wins). A refused refresh token becomes ErrReauthRequired only after a reload
// shows no other process saved a newer pair; the stored record is never
// deleted.
type RefreshingSource struct {
	store   TokenStore
	key     string
	renew   func(ctx context.Context, base *Token) (*Token, error)
	leeway  time.Duration
	timeout time.Duration
	now     func() time.Time
	mint    bool // renew can create a token without a stored one
	// reauthGrace is how long a refused refresh token waits before the
	// second look for another process's pair (WithReauthGrace).
	reauthGrace time.Duration

	*sourceState
}

// sourceState sits behind a pointer, so a RefreshingSource copied by value
// (to be printed) copies no lock, and printing reads nothing that a refresh
// writes.
type sourceState struct {
	cur     atomic.Pointer[Token]
	unsaved atomic.Pointer[pendingSave]
	flight  singleflight.Group
}

// pendingSave is a refreshed pair whose save failed, with the pair it
// replaced: it is saved later only while the store still holds that one.
type pendingSave struct {
	fresh, replaced *Token
}

// String describes the source by its store key, never its tokens.
func (s RefreshingSource) String() string { return "ghl.RefreshingSource{" + s.key + "}" }

// Format prints String for every verb, so no verb reveals a token.
func (s RefreshingSource) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// LogValue keeps the tokens out of slog output.
func (s RefreshingSource) LogValue() slog.Value { return slog.StringValue(s.String()) }

// SourceOption configures a RefreshingSource.
type SourceOption func(*RefreshingSource)

// WithRefreshLeeway refreshes this long before expiry (default 2 minutes).
func WithRefreshLeeway(d time.Duration) SourceOption {
	return func(s *RefreshingSource) { s.leeway = d }
}

// WithReauthGrace sets how long a refresh token HighLevel refused keeps
// looking in the store (each time once its lock is free) for the pair of
// another process that spent it and is still saving it (default 10 s;
// within the refresh timeout, which bounds the whole refresh). Only then is
// the refusal ErrReauthRequired.
func WithReauthGrace(d time.Duration) SourceOption {
	return func(s *RefreshingSource) {
		if d >= 0 {
			s.reauthGrace = d
		}
	}
}

// WithRefreshTimeout bounds one refresh, whatever the callers' contexts (default 30 s).
func WithRefreshTimeout(d time.Duration) SourceOption {
	return func(s *RefreshingSource) { s.timeout = d }
}

// WithSourceClock sets the clock used to judge expiry (for tests).
func WithSourceClock(now func() time.Time) SourceOption {
	return func(s *RefreshingSource) { s.now = now }
}

// NewSource returns a refreshing source for the pair stored under key
// (usually Token.Key() of the pair Exchange returned and you saved).
func (c *OAuthConfig) NewSource(store TokenStore, key string, opts ...SourceOption) (*RefreshingSource, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	return newSource(store, key, func(ctx context.Context, base *Token) (*Token, error) {
		if base == nil || base.RefreshToken.IsZero() {
			return nil, fmt.Errorf("ghl: the token under %q has no refresh token: %w", key, ErrReauthRequired)
		}
		return c.Refresh(ctx, base.RefreshToken.Reveal(), base.UserType)
	}, opts)
}

// NewLocationSource returns a source of sub-account tokens minted from an
// agency token (POST /oauth/locationToken) and stored under locationID. It
// mints a new one whenever the stored one is missing or about to expire.
func (c *OAuthConfig) NewLocationSource(store TokenStore, agency TokenSource, companyID, locationID string, opts ...SourceOption) (*RefreshingSource, error) {
	if agency == nil {
		return nil, invalid("agency token source", "must not be nil")
	}
	return newSource(store, locationID, func(ctx context.Context, _ *Token) (*Token, error) {
		at, err := agency.AccessToken(ctx)
		if err != nil {
			return nil, fmt.Errorf("ghl: agency token: %w", err)
		}
		return c.LocationToken(ctx, at, companyID, locationID)
	}, append([]SourceOption{mintable}, opts...))
}

// mintable marks a source that can create a token from nothing.
func mintable(s *RefreshingSource) { s.mint = true }

func newSource(store TokenStore, key string, renew func(context.Context, *Token) (*Token, error), opts []SourceOption) (*RefreshingSource, error) {
	if store == nil {
		return nil, invalid("token store", "must not be nil")
	}
	if err := checkStoreKey(key); err != nil {
		return nil, err
	}
	s := &RefreshingSource{store: store, key: key, renew: renew, leeway: 2 * time.Minute, timeout: 30 * time.Second, now: time.Now,
		reauthGrace: 10 * time.Second, sourceState: &sourceState{}}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// AccessToken returns a valid access token, refreshing it when needed. A
// valid cached token costs one atomic load.
func (s *RefreshingSource) AccessToken(ctx context.Context) (string, error) {
	if t := s.cur.Load(); t.Valid(s.now(), s.leeway) {
		return t.AccessToken.Reveal(), nil
	}
	t, err := s.refresh(ctx, "")
	if err != nil {
		return "", err
	}
	return t.AccessToken.Reveal(), nil
}

// Token returns a copy of the current pair, refreshing it when needed.
func (s *RefreshingSource) Token(ctx context.Context) (*Token, error) {
	if t := s.cur.Load(); t.Valid(s.now(), s.leeway) {
		return cloneToken(t), nil
	}
	t, err := s.refresh(ctx, "")
	if err != nil {
		return nil, err
	}
	return cloneToken(t), nil
}

// Invalidate is called when HighLevel refused stale with a 401: it refreshes
// unless the current token already differs from stale.
func (s *RefreshingSource) Invalidate(ctx context.Context, stale string) error {
	_, err := s.refresh(ctx, stale)
	return err
}

// refresh runs (or joins) the one refresh in flight.
func (s *RefreshingSource) refresh(ctx context.Context, stale string) (*Token, error) {
	ch := s.flight.DoChan("refresh", func() (any, error) {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
		defer cancel()
		return s.doRefresh(rctx, stale)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*Token), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// usable reports whether t can be handed out instead of refreshing.
func (s *RefreshingSource) usable(t *Token, stale string) bool {
	return t.Valid(s.now(), s.leeway) && t.AccessToken.Reveal() != stale
}

func (s *RefreshingSource) doRefresh(ctx context.Context, stale string) (*Token, error) {
	if s.unsaved.Load() == nil {
		if t := s.cur.Load(); s.usable(t, stale) {
			return t, nil
		}
	}
	lockedUnlock, err := s.store.Lock(ctx, s.key)
	if err != nil {
		return nil, fmt.Errorf("ghl: lock token %q: %w", s.key, err)
	}
	unlock := sync.OnceFunc(lockedUnlock)
	defer unlock()

	stored, err := s.store.Load(ctx, s.key)
	switch {
	case errors.Is(err, ErrNoToken):
		stored = nil
	case err != nil:
		return nil, fmt.Errorf("ghl: load token %q: %w", s.key, err)
	}
	if p := s.unsaved.Load(); p != nil {
		// A pair whose save failed is settled first, under the lock, against
		// what the store holds now.
		switch {
		case stored != nil && stored.RefreshToken.Equal(p.fresh.RefreshToken):
			// The failed save did persist (its acknowledgement was lost).
		case stored == nil || p.replaced != nil && stored.RefreshToken.Equal(p.replaced.RefreshToken):
			// The store still holds the spent pair: replace it.
			if err := s.store.Save(ctx, s.key, p.fresh); err != nil {
				return nil, fmt.Errorf("ghl: save refreshed token for %q (kept in memory): %w", s.key, err)
			}
			stored = p.fresh
		default:
			// Another process refreshed since the save that seemed to fail
			// (it did persist, and that process spent it): its pair is newer.
		}
		s.unsaved.Store(nil)
	}
	loaded := stored // what the store holds (nil: nothing)
	if stored == nil {
		stored = s.cur.Load()
		if stored == nil && !s.mint {
			return nil, fmt.Errorf("ghl: no token stored under %q; complete the authorization flow first: %w", s.key, ErrReauthRequired)
		}
	}
	if s.usable(stored, stale) {
		s.cur.Store(stored) // another process, or an earlier run, refreshed it
		return stored, nil
	}
	fresh, err := s.renew(ctx, stored)
	if err != nil {
		var te *TokenError
		if errors.As(err, &te) && te.InvalidGrant() {
			// Spent or revoked. Or spent by another process whose refresh is
			// still under way (its lock ran out under it, or it refreshed
			// without this store's lock): look for the pair it saves, each
			// time once the lock is free, before giving up.
			unlock()
			if again := s.newerOnceFree(ctx, stored, stale); again != nil {
				s.cur.Store(again)
				return again, nil
			}
			return nil, fmt.Errorf("ghl: the refresh token under %q was refused; the app must be authorized again: %w (%w)", s.key, ErrReauthRequired, err)
		}
		return nil, fmt.Errorf("ghl: refresh token %q: %w", s.key, err)
	}
	inherit(fresh, stored)
	if err := s.save(ctx, loaded, fresh); err != nil {
		s.unsaved.Store(&pendingSave{fresh: fresh, replaced: stored})
		if errors.Is(err, ErrLockLost) {
			// Another process holds the lock now: wait for it, then save
			// this pair if the store still holds the one it replaced.
			unlock()
			return s.settleUnderLock(ctx, stale)
		}
		return nil, fmt.Errorf("ghl: save refreshed token for %q (kept in memory; saved again on the next call): %w", s.key, err)
	}
	s.cur.Store(fresh)
	if !fresh.Valid(s.now(), s.leeway) {
		return nil, fmt.Errorf("ghl: the new access token for %q expires at %s, within the refresh leeway: check expires_in and the system clock",
			s.key, fresh.Expiry.Format(time.RFC3339))
	}
	return fresh, nil
}

// newerOnceFree looks for a usable pair whose refresh token differs from
// stored's, each time once the key's lock is free, until one appears or the
// reauth grace period ends (nil then): a process that spent the token may
// still be waiting for its answer, or for the lock to save it.
func (s *RefreshingSource) newerOnceFree(ctx context.Context, stored *Token, stale string) *Token {
	until := time.Now().Add(s.reauthGrace) // real time: it waits on other processes
	wait := 20 * time.Millisecond
	for {
		unlock, err := s.store.Lock(ctx, s.key)
		if err != nil {
			return nil
		}
		again, err := s.store.Load(ctx, s.key)
		unlock()
		if err == nil && (stored == nil || !again.RefreshToken.Equal(stored.RefreshToken)) && s.usable(again, stale) {
			return again
		}
		left := time.Until(until)
		if left <= 0 {
			return nil
		}
		t := time.NewTimer(min(wait, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		wait = min(2*wait, time.Second)
	}
}

// settleUnderLock takes the lock again and settles the pending save (see
// doRefresh), returning the pair to use.
func (s *RefreshingSource) settleUnderLock(ctx context.Context, stale string) (*Token, error) {
	unlock, err := s.store.Lock(ctx, s.key)
	if err != nil {
		return nil, fmt.Errorf("ghl: save refreshed token for %q (kept in memory; saved again on the next call): lock: %w", s.key, err)
	}
	defer unlock()
	stored, err := s.store.Load(ctx, s.key)
	switch {
	case errors.Is(err, ErrNoToken):
		stored = nil
	case err != nil:
		return nil, fmt.Errorf("ghl: save refreshed token for %q (kept in memory; saved again on the next call): load: %w", s.key, err)
	}
	p := s.unsaved.Load()
	if p == nil {
		return stored, nil
	}
	switch {
	case stored != nil && stored.RefreshToken.Equal(p.fresh.RefreshToken):
	case stored == nil || p.replaced != nil && stored.RefreshToken.Equal(p.replaced.RefreshToken):
		if err := s.save(ctx, stored, p.fresh); err != nil {
			return nil, fmt.Errorf("ghl: save refreshed token for %q (kept in memory; saved again on the next call): %w", s.key, err)
		}
		stored = p.fresh
	}
	s.unsaved.Store(nil)
	s.cur.Store(stored)
	if !s.usable(stored, stale) {
		return nil, fmt.Errorf("ghl: the token under %q changed while it was refreshed; call again", s.key)
	}
	return stored, nil
}

// errStoreMoved: a compare-and-save found another pair in the store.
var errStoreMoved = errors.New("the store holds another pair than the one refreshed")

// save writes fresh in place of loaded (what the store held; nil for
// nothing): compare-and-swap when the store can, a plain save otherwise.
func (s *RefreshingSource) save(ctx context.Context, loaded, fresh *Token) error {
	cas, ok := s.store.(CompareAndSaver)
	if !ok {
		return s.store.Save(ctx, s.key, fresh)
	}
	swapped, err := cas.CompareAndSave(ctx, s.key, loaded, fresh)
	if err != nil {
		return err
	}
	if !swapped {
		return errStoreMoved
	}
	return nil
}

// inherit copies what a refresh answer may leave out from the old pair.
func inherit(fresh, old *Token) {
	if old == nil {
		return
	}
	if fresh.RefreshToken.IsZero() {
		fresh.RefreshToken = old.RefreshToken
	}
	for _, f := range []struct{ dst, src *string }{
		{&fresh.LocationID, &old.LocationID}, {&fresh.CompanyID, &old.CompanyID},
		{&fresh.UserID, &old.UserID}, {&fresh.Scope, &old.Scope}, {&fresh.PlanID, &old.PlanID},
	} {
		if *f.dst == "" {
			*f.dst = *f.src
		}
	}
	if fresh.UserType == "" {
		fresh.UserType = old.UserType
	}
}

// ExchangeAndSave trades a code for a pair, saves it under its Key and
// returns a source for it: the usual end of an OAuth callback.
func (c *OAuthConfig) ExchangeAndSave(ctx context.Context, code string, store TokenStore, opts ...SourceOption) (*RefreshingSource, *Token, error) {
	t, err := c.Exchange(ctx, code)
	if err != nil {
		return nil, nil, err
	}
	key := t.Key()
	if key == "" {
		return nil, nil, errors.New("ghl: the token names neither a location nor a company")
	}
	if err := store.Save(ctx, key, t); err != nil {
		return nil, nil, err
	}
	src, err := c.NewSource(store, key, opts...)
	if err != nil {
		return nil, nil, err
	}
	src.cur.Store(cloneToken(t))
	return src, t, nil
}
