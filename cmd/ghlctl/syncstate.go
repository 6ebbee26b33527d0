package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"

	"github.com/ghlkit/ghl/boltstate"
	"github.com/ghlkit/ghl/ghlsync"
	"github.com/ghlkit/ghl/pgstate"
)

func (c *cli) syncCommand() *cobra.Command {
	var state string
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Read a sync engine's state: its links, outbox and one person's history",
		Long: `sync reads the state a ghlsync.Engine keeps, named by --state: a FileState
(a .json file), a boltstate file (any other path; the engine must not hold it
open), or a Postgres URL (postgres://...; the location from GHL_LOCATION_ID
or --location).`,
	}
	cmd.PersistentFlags().StringVar(&state, "state", "", "the engine's state: FILE.json, a boltstate file, or postgres://...")
	status := &cobra.Command{
		Use:     "status",
		Short:   "Links, outbox backlog and checkpoints",
		Example: "  ghlctl sync status --state ghl-sync.db",
		Args:    nArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, closeState, err := c.openState(cmd.Context(), state)
			if err != nil {
				return err
			}
			defer closeState()
			return c.syncStatus(cmd.Context(), st)
		},
	}
	history := &cobra.Command{
		Use:   "history PERSON_ID",
		Short: "One person's change history (your app's ID)",
		Long: `history prints every change the engine made to one person, oldest first: the
side it was applied to, the field with its old and new values, the rule that
decided a conflict and the request that carried it.`,
		Example: "  ghlctl sync history member-42 --state ghl-sync.db -o json",
		Args:    nArgs("PERSON_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, closeState, err := c.openState(cmd.Context(), state)
			if err != nil {
				return err
			}
			defer closeState()
			t := table{header: []string{"at", "run", "kind", "item", "side", "action", "field", "old", "new", "rule", "request", "note"}}
			err = st.History(cmd.Context(), args[0], func(h ghlsync.HistoryEntry) bool {
				t.rows = append(t.rows, []string{h.At.UTC().Format(time.RFC3339), fmt.Sprint(h.Run), string(h.Kind), h.Item,
					fmt.Sprint(h.Side), h.Action, h.Field, h.Old, h.New, h.Rule, h.Request, h.Note})
				return true
			})
			if err != nil {
				return err
			}
			if len(t.rows) == 0 {
				return fmt.Errorf("no history for %q: %w", args[0], errNoHistory)
			}
			return c.print(t)
		},
	}
	cmd.AddCommand(status, history)
	return cmd
}

var errNoHistory = errors.New("the state holds no entry for that person")

// openState opens the state --state names.
func (c *cli) openState(ctx context.Context, name string) (ghlsync.EngineState, func(), error) {
	switch {
	case name == "":
		return nil, nil, usagef("--state is required: the engine's FILE.json, boltstate file or postgres:// URL")
	case strings.HasPrefix(name, "postgres://"), strings.HasPrefix(name, "postgresql://"):
		loc, err := c.locationID()
		if err != nil {
			return nil, nil, err
		}
		pool, err := pgxpool.New(ctx, name)
		if err != nil {
			return nil, nil, usageError{err}
		}
		st, err := pgstate.Open(ctx, pool, loc)
		if err != nil {
			pool.Close()
			return nil, nil, err
		}
		return st, pool.Close, nil
	case strings.HasSuffix(name, ".json"):
		st, err := ghlsync.OpenFileState(name)
		if err != nil {
			return nil, nil, usageError{err}
		}
		return st, func() { _ = st.Close() }, nil
	}
	st, err := boltstate.Open(name)
	if err != nil {
		if errors.Is(err, boltstate.ErrInUse) {
			err = fmt.Errorf("%w (a running engine holds it: stop it, or read a copy)", err)
		}
		return nil, nil, usageError{err}
	}
	return st, func() { _ = st.Close() }, nil
}

// syncStatus prints the state's links per kind, its outbox and checkpoints.
func (c *cli) syncStatus(ctx context.Context, st ghlsync.EngineState) error {
	t := table{header: []string{"what", "value"}}
	for _, kind := range []ghlsync.Kind{ghlsync.KindContact, ghlsync.KindTask, ghlsync.KindNote} {
		n, after := 0, ""
		for {
			ids, err := st.Linked(ctx, kind, after, 1000)
			if err != nil {
				return err
			}
			n += len(ids)
			if len(ids) < 1000 {
				break
			}
			after = ids[len(ids)-1]
		}
		t.rows = append(t.rows, []string{"linked " + string(kind) + "s", fmt.Sprint(n)})
	}
	queued, err := st.Queued(ctx)
	if err != nil {
		return err
	}
	due, err := st.Due(ctx, time.Now(), 0)
	if err != nil {
		return err
	}
	failing := 0
	var oldest time.Time
	for _, e := range due {
		if e.Attempts > 0 {
			failing++
		}
		if oldest.IsZero() || e.Since.Before(oldest) {
			oldest = e.Since
		}
	}
	t.rows = append(t.rows, []string{"outbox", fmt.Sprint(queued)}, []string{"outbox due now", fmt.Sprint(len(due))},
		[]string{"outbox retrying", fmt.Sprint(failing)})
	if !oldest.IsZero() {
		t.rows = append(t.rows, []string{"outbox oldest", oldest.UTC().Format(time.RFC3339)})
	}
	for _, cp := range []struct{ name, label string }{{"engine:run", "last run"}, {"engine:app", "app change mark"}} {
		v, err := st.Checkpoint(ctx, cp.name)
		if err != nil {
			return err
		}
		t.rows = append(t.rows, []string{cp.label, string(v)})
	}
	feed, err := st.Checkpoint(ctx, "engine:feed")
	if err != nil {
		return err
	}
	t.rows = append(t.rows, []string{"feed checkpoint", fmt.Sprintf("%d bytes", len(feed))})
	return c.print(t)
}
