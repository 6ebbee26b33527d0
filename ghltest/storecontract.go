package ghltest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ghlkit/ghl"
)

// StoreContract runs the checks every ghl.TokenStore must pass against
// stores made by newStore (a fresh, empty store each call). Run it from your
// own tests for a custom store:
//
//	func TestMyStore(t *testing.T) {
//		ghltest.StoreContract(t, func(t *testing.T) ghl.TokenStore { return newMyStore(t) })
//	}
func StoreContract(t *testing.T, newStore func(t *testing.T) ghl.TokenStore) {
	t.Helper()
	ctx := context.Background()
	pair := func(n int) *ghl.Token {
		return &ghl.Token{AccessToken: ghl.NewSecret(fmt.Sprintf("at-%d", n)), RefreshToken: ghl.NewSecret(fmt.Sprintf("rt-%d", n)), TokenType: "Bearer",
			Expiry: time.Date(2026, 1, 1, 0, 0, n, 0, time.UTC), Scope: "contacts.readonly", UserType: ghl.UserTypeLocation,
			LocationID: "LocationAAAAAAAAAAAA", CompanyID: "CompanyBBBBBBBBBBBBB", UserID: "UserCCCCCCCCCCCCCCCC",
			ApprovedLocations: []string{"LocationAAAAAAAAAAAA"}}
	}
	t.Run("load missing", func(t *testing.T) {
		_, err := newStore(t).Load(ctx, "NothingHere000000000")
		if !errors.Is(err, ghl.ErrNoToken) {
			t.Fatalf("Load of a missing key: got %v, want an error wrapping ghl.ErrNoToken", err)
		}
	})
	t.Run("round trip keeps every field", func(t *testing.T) {
		s := newStore(t)
		want := pair(1)
		if err := s.Save(ctx, "LocationAAAAAAAAAAAA", want); err != nil {
			t.Fatal(err)
		}
		got, err := s.Load(ctx, "LocationAAAAAAAAAAAA")
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", *want) || !got.AccessToken.Equal(want.AccessToken) ||
			!got.RefreshToken.Equal(want.RefreshToken) || !got.Expiry.Equal(want.Expiry) || got.UserID != want.UserID ||
			len(got.ApprovedLocations) != 1 {
			t.Fatalf("Load returned a different token than was saved")
		}
	})
	t.Run("save replaces, keys are separate, values are copied", func(t *testing.T) {
		s := newStore(t)
		a, b := pair(1), pair(2)
		_ = s.Save(ctx, "KeyAAAAAAAAAAAAAAAAA", a)
		_ = s.Save(ctx, "KeyBBBBBBBBBBBBBBBBB", b)
		c := pair(3)
		if err := s.Save(ctx, "KeyAAAAAAAAAAAAAAAAA", c); err != nil {
			t.Fatal(err)
		}
		c.RefreshToken = ghl.NewSecret("changed after save")
		got, _ := s.Load(ctx, "KeyAAAAAAAAAAAAAAAAA")
		other, _ := s.Load(ctx, "KeyBBBBBBBBBBBBBBBBB")
		if got == nil || got.RefreshToken.Reveal() != "rt-3" || other == nil || other.RefreshToken.Reveal() != "rt-2" {
			t.Fatalf("save did not replace, leaked across keys, or kept a reference to the caller's token")
		}
	})
	t.Run("lock excludes and honours ctx", func(t *testing.T) {
		s := newStore(t)
		unlock, err := s.Lock(ctx, "KeyAAAAAAAAAAAAAAAAA")
		if err != nil {
			t.Fatal(err)
		}
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if u2, err := s.Lock(short, "KeyAAAAAAAAAAAAAAAAA"); err == nil {
			u2()
			t.Fatal("a second Lock of a held key succeeded")
		}
		other, err := s.Lock(ctx, "KeyBBBBBBBBBBBBBBBBB")
		if err != nil {
			t.Fatalf("a lock on another key waited for the first: %v", err)
		}
		other()
		unlock()
		again, err := s.Lock(ctx, "KeyAAAAAAAAAAAAAAAAA")
		if err != nil {
			t.Fatalf("Lock after unlock: %v", err)
		}
		again()
	})
	t.Run("concurrent read-modify-write under the lock loses nothing", func(t *testing.T) {
		s := newStore(t)
		_ = s.Save(ctx, "KeyAAAAAAAAAAAAAAAAA", pair(0))
		var wg sync.WaitGroup
		const n = 20
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				unlock, err := s.Lock(ctx, "KeyAAAAAAAAAAAAAAAAA")
				if err != nil {
					t.Error(err)
					return
				}
				defer unlock()
				cur, err := s.Load(ctx, "KeyAAAAAAAAAAAAAAAAA")
				if err != nil {
					t.Error(err)
					return
				}
				var k int
				_, _ = fmt.Sscanf(cur.AccessToken.Reveal(), "at-%d", &k)
				if err := s.Save(ctx, "KeyAAAAAAAAAAAAAAAAA", pair(k+1)); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		got, _ := s.Load(ctx, "KeyAAAAAAAAAAAAAAAAA")
		if got == nil || got.AccessToken.Reveal() != fmt.Sprintf("at-%d", n) {
			t.Fatalf("after %d locked increments the store holds %v", n, got)
		}
	})
}
