package pgstate_test

import (
	"context"
	"testing"

	"github.com/ghlkit/ghl/ghlsync"
	"github.com/ghlkit/ghl/ghlsync/statetest"
	"github.com/ghlkit/ghl/pgstate"
)

// TestContract: the Postgres state keeps ghlsync's State contract, across
// a reopen (a new State on the same database).
func TestContract(t *testing.T) {
	pool := newPool(t, startPostgres(t))
	open := func(t *testing.T, location string) *pgstate.State {
		st, err := pgstate.Open(context.Background(), pool, location)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	statetest.Run(t, statetest.Options{
		Open: func(t *testing.T) ghlsync.EngineState { return open(t, newLocation()) },
		Reopen: func(t *testing.T, st ghlsync.EngineState) ghlsync.EngineState {
			return open(t, st.(*pgstate.State).Location())
		},
	})
}
