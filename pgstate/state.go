// Package pgstate keeps a sync's state (ghlsync.EngineState) in Postgres,
// in tables an operator can read, for apps that run several replicas: it
// implements ghlsync.Replicated, so the engines of all replicas share one
// outbox and one history, exactly one of them pulls at a time (a lease
// that lapses when its holder dies), webhooks received by any replica reach
// the puller, and no two replicas sync one person at once.
//
//	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
//	...
//	st, err := pgstate.Open(ctx, pool, locationID)
//	engine, err := ghlsync.NewEngine(client, app, ghlsync.EngineOptions{State: st, Replica: hostname})
//
// Open creates the tables, or migrates them, itself (see README.md for the
// schema). The state of each location is apart: rows carry the location
// ID. It is a module of its own so that a program importing only ghl does
// not download a Postgres driver.
package pgstate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghlsync"
)

// SchemaVersion is the version of the tables this package writes.
const SchemaVersion = 1

// migrations[i] takes the schema from version i to i+1.
var migrations = []string{
	`CREATE TABLE ghlsync_checkpoints (
		location text NOT NULL, name text NOT NULL, value bytea NOT NULL,
		PRIMARY KEY (location, name));
	CREATE TABLE ghlsync_bases (
		location text NOT NULL, kind text NOT NULL, remote_id text NOT NULL, record jsonb NOT NULL,
		PRIMARY KEY (location, kind, remote_id));
	CREATE TABLE ghlsync_links (
		location text NOT NULL, kind text NOT NULL, local_id text NOT NULL, remote_id text NOT NULL,
		PRIMARY KEY (location, kind, local_id), UNIQUE (location, kind, remote_id));
	CREATE SEQUENCE ghlsync_outbox_seq;
	CREATE TABLE ghlsync_outbox (
		location text NOT NULL, person text NOT NULL, since timestamptz NOT NULL, next timestamptz NOT NULL,
		seq bigint NOT NULL, attempts int NOT NULL DEFAULT 0, last_error text NOT NULL DEFAULT '',
		PRIMARY KEY (location, person));
	CREATE INDEX ghlsync_outbox_due ON ghlsync_outbox (location, next);
	CREATE TABLE ghlsync_history (
		location text NOT NULL, seq bigserial, at timestamptz NOT NULL, run bigint NOT NULL, person text NOT NULL,
		remote_id text NOT NULL, kind text NOT NULL, item text NOT NULL, side text NOT NULL, action text NOT NULL,
		field text NOT NULL, old text NOT NULL, new text NOT NULL, rule text NOT NULL, request text NOT NULL,
		note text NOT NULL,
		PRIMARY KEY (location, seq));
	CREATE INDEX ghlsync_history_person ON ghlsync_history (location, person, seq);
	CREATE TABLE ghlsync_leases (
		location text NOT NULL, name text NOT NULL, holder text NOT NULL, until timestamptz NOT NULL,
		PRIMARY KEY (location, name));
	CREATE TABLE ghlsync_claims (
		location text NOT NULL, person text NOT NULL, holder text NOT NULL, until timestamptz NOT NULL,
		PRIMARY KEY (location, person));
	CREATE TABLE ghlsync_hints (
		location text NOT NULL, id bigserial, hint jsonb NOT NULL,
		PRIMARY KEY (location, id));`,
}

// State is a ghlsync.Replicated state of one location in Postgres. It is
// safe for concurrent use.
type State struct {
	pool     *pgxpool.Pool
	location string
}

var (
	_ ghlsync.Replicated = (*State)(nil)
	_ ghlsync.Batcher    = (*State)(nil)
)

// Open returns the state of location in the database behind pool,
// creating or migrating its tables first (under an advisory lock, so
// replicas starting together migrate once). A database of a later schema
// than this package knows is refused.
func Open(ctx context.Context, pool *pgxpool.Pool, location string) (*State, error) {
	if pool == nil {
		return nil, &ghl.InputError{Field: "pool", Reason: "must not be nil"}
	}
	if location == "" {
		return nil, &ghl.InputError{Field: "location", Reason: "must not be empty"}
	}
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('ghlsync_schema'))`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS ghlsync_schema (version int NOT NULL)`); err != nil {
			return err
		}
		var version int
		err := tx.QueryRow(ctx, `SELECT version FROM ghlsync_schema`).Scan(&version)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			if _, err := tx.Exec(ctx, `INSERT INTO ghlsync_schema VALUES (0)`); err != nil {
				return err
			}
		case err != nil:
			return err
		}
		if version > SchemaVersion {
			return fmt.Errorf("pgstate: the database's schema is version %d; this release knows up to %d", version, SchemaVersion)
		}
		for v := version; v < SchemaVersion; v++ {
			if _, err := tx.Exec(ctx, migrations[v]); err != nil {
				return fmt.Errorf("pgstate: migrating to schema %d: %w", v+1, err)
			}
		}
		_, err = tx.Exec(ctx, `UPDATE ghlsync_schema SET version = $1`, SchemaVersion)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pgstate: %w", err)
	}
	return &State{pool: pool, location: location}, nil
}

// Location returns the location whose state this is.
func (s *State) Location() string { return s.location }

// querier is what a statement runs on: the pool, or a batch's transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

type txKey struct{ s *State }

func (s *State) q(ctx context.Context) querier {
	if tx, ok := ctx.Value(txKey{s}).(pgx.Tx); ok {
		return tx
	}
	return s.pool
}

// Batch runs fn with a context in which every call to the state joins one
// transaction: committed when fn returns nil, rolled back (nothing
// changed) when it returns an error.
func (s *State) Batch(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(txKey{s}).(pgx.Tx); ok {
		return fn(ctx)
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return fn(context.WithValue(ctx, txKey{s}, tx)) })
}

// Checkpoint returns the checkpoint saved under name, or nil.
func (s *State) Checkpoint(ctx context.Context, name string) ([]byte, error) {
	var v []byte
	err := s.q(ctx).QueryRow(ctx, `SELECT value FROM ghlsync_checkpoints WHERE location = $1 AND name = $2`, s.location, name).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return v, err
}

// SaveCheckpoint replaces the checkpoint under name.
func (s *State) SaveCheckpoint(ctx context.Context, name string, cp []byte) error {
	if cp == nil {
		cp = []byte{}
	}
	_, err := s.q(ctx).Exec(ctx, `INSERT INTO ghlsync_checkpoints VALUES ($1, $2, $3)
		ON CONFLICT (location, name) DO UPDATE SET value = excluded.value`, s.location, name, cp)
	return err
}

// Base returns the base record of a HighLevel record.
func (s *State) Base(ctx context.Context, kind ghlsync.Kind, remoteID string) (ghlsync.Record, bool, error) {
	var raw []byte
	err := s.q(ctx).QueryRow(ctx, `SELECT record FROM ghlsync_bases WHERE location = $1 AND kind = $2 AND remote_id = $3`,
		s.location, string(kind), remoteID).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return ghlsync.Record{}, false, nil
	}
	if err != nil {
		return ghlsync.Record{}, false, err
	}
	var r ghlsync.Record
	return r, true, json.Unmarshal(raw, &r)
}

// SaveBase replaces the base record of a HighLevel record.
func (s *State) SaveBase(ctx context.Context, kind ghlsync.Kind, remoteID string, r ghlsync.Record) error {
	raw, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = s.q(ctx).Exec(ctx, `INSERT INTO ghlsync_bases VALUES ($1, $2, $3, $4)
		ON CONFLICT (location, kind, remote_id) DO UPDATE SET record = excluded.record`, s.location, string(kind), remoteID, raw)
	return err
}

// RemoteID returns the HighLevel ID linked to an app ID.
func (s *State) RemoteID(ctx context.Context, kind ghlsync.Kind, localID string) (string, bool, error) {
	return s.one(ctx, `SELECT remote_id FROM ghlsync_links WHERE location = $1 AND kind = $2 AND local_id = $3`, kind, localID)
}

// LocalID returns the app ID linked to a HighLevel ID.
func (s *State) LocalID(ctx context.Context, kind ghlsync.Kind, remoteID string) (string, bool, error) {
	return s.one(ctx, `SELECT local_id FROM ghlsync_links WHERE location = $1 AND kind = $2 AND remote_id = $3`, kind, remoteID)
}

func (s *State) one(ctx context.Context, sql string, kind ghlsync.Kind, id string) (string, bool, error) {
	var v string
	err := s.q(ctx).QueryRow(ctx, sql, s.location, string(kind), id).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	return v, err == nil, err
}

// Link records that localID and remoteID are the same record, replacing an
// earlier link of localID; a remoteID linked to another app ID is refused
// with a *ghlsync.LinkError, and nothing changes. Two replicas linking one
// HighLevel record at once: one wins, the other gets the LinkError.
func (s *State) Link(ctx context.Context, kind ghlsync.Kind, localID, remoteID string) error {
	if localID == "" || remoteID == "" {
		return errors.New("pgstate: Link needs both IDs")
	}
	err := s.Batch(ctx, func(ctx context.Context) error {
		other, linked, err := s.LocalID(ctx, kind, remoteID)
		if err != nil {
			return err
		}
		if linked && other != localID {
			return &ghlsync.LinkError{Kind: kind, LocalID: localID, RemoteID: remoteID, LinkedTo: other}
		}
		_, err = s.q(ctx).Exec(ctx, `INSERT INTO ghlsync_links VALUES ($1, $2, $3, $4)
			ON CONFLICT (location, kind, local_id) DO UPDATE SET remote_id = excluded.remote_id`, s.location, string(kind), localID, remoteID)
		return err
	})
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" { // linked by another replica meanwhile
		if other, linked, lerr := s.LocalID(ctx, kind, remoteID); lerr == nil && linked && other != localID {
			return &ghlsync.LinkError{Kind: kind, LocalID: localID, RemoteID: remoteID, LinkedTo: other}
		}
	}
	return err
}

// Unlink forgets localID's link.
func (s *State) Unlink(ctx context.Context, kind ghlsync.Kind, localID string) error {
	_, err := s.q(ctx).Exec(ctx, `DELETE FROM ghlsync_links WHERE location = $1 AND kind = $2 AND local_id = $3`,
		s.location, string(kind), localID)
	return err
}

// Linked returns up to limit app IDs linked to records of kind, in order,
// after the ID after.
func (s *State) Linked(ctx context.Context, kind ghlsync.Kind, after string, limit int) ([]string, error) {
	if limit <= 0 {
		limit = 1 << 30
	}
	rows, err := s.q(ctx).Query(ctx, `SELECT local_id FROM ghlsync_links WHERE location = $1 AND kind = $2 AND local_id COLLATE "C" > $3
		ORDER BY local_id COLLATE "C" LIMIT $4`, s.location, string(kind), after, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// Enqueue records a change of id.
func (s *State) Enqueue(ctx context.Context, id string, at time.Time) error {
	_, err := s.q(ctx).Exec(ctx, `INSERT INTO ghlsync_outbox (location, person, since, next, seq)
		VALUES ($1, $2, $3, $3, nextval('ghlsync_outbox_seq'))
		ON CONFLICT (location, person) DO UPDATE SET seq = nextval('ghlsync_outbox_seq')`, s.location, id, at)
	return err
}

const entryColumns = `person, since, next, seq, attempts, last_error`

func scanEntry(row pgx.Row) (ghlsync.OutboxEntry, error) {
	var e ghlsync.OutboxEntry
	err := row.Scan(&e.ID, &e.Since, &e.Next, &e.Seq, &e.Attempts, &e.LastErr)
	return e, err
}

// Pending returns id's entry.
func (s *State) Pending(ctx context.Context, id string) (ghlsync.OutboxEntry, bool, error) {
	e, err := scanEntry(s.q(ctx).QueryRow(ctx, `SELECT `+entryColumns+` FROM ghlsync_outbox WHERE location = $1 AND person = $2`, s.location, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return e, false, nil
	}
	return e, err == nil, err
}

// Due returns up to limit entries due at now, oldest first.
func (s *State) Due(ctx context.Context, now time.Time, limit int) ([]ghlsync.OutboxEntry, error) {
	if limit <= 0 {
		limit = 1 << 30
	}
	rows, err := s.q(ctx).Query(ctx, `SELECT `+entryColumns+` FROM ghlsync_outbox WHERE location = $1 AND next <= $2
		ORDER BY since, person COLLATE "C" LIMIT $3`, s.location, now, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ghlsync.OutboxEntry, error) { return scanEntry(r) })
}

// Dequeue removes id's entry if its Seq is seq.
func (s *State) Dequeue(ctx context.Context, id string, seq int64) error {
	_, err := s.q(ctx).Exec(ctx, `DELETE FROM ghlsync_outbox WHERE location = $1 AND person = $2 AND seq = $3`, s.location, id, seq)
	return err
}

// Retry puts id's entry off until next.
func (s *State) Retry(ctx context.Context, id string, next time.Time, lastErr string) error {
	_, err := s.q(ctx).Exec(ctx, `INSERT INTO ghlsync_outbox (location, person, since, next, seq, attempts, last_error)
		VALUES ($1, $2, $3, $3, nextval('ghlsync_outbox_seq'), 1, $4)
		ON CONFLICT (location, person) DO UPDATE SET next = excluded.next, last_error = excluded.last_error,
			attempts = ghlsync_outbox.attempts + 1`, s.location, id, next, lastErr)
	return err
}

// Queued returns how many entries wait.
func (s *State) Queued(ctx context.Context) (int, error) {
	var n int
	err := s.q(ctx).QueryRow(ctx, `SELECT count(*) FROM ghlsync_outbox WHERE location = $1`, s.location).Scan(&n)
	return n, err
}

// AppendHistory appends entries. The table keeps them all.
func (s *State) AppendHistory(ctx context.Context, entries ...ghlsync.HistoryEntry) error {
	if len(entries) == 0 {
		return nil
	}
	return s.Batch(ctx, func(ctx context.Context) error {
		tx := s.q(ctx).(pgx.Tx)
		b := &pgx.Batch{}
		for _, h := range entries {
			b.Queue(`INSERT INTO ghlsync_history (location, at, run, person, remote_id, kind, item, side, action, field, old, new, rule, request, note)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
				s.location, h.At, h.Run, h.Person, h.RemoteID, string(h.Kind), h.Item, h.Side.String(), h.Action, h.Field, h.Old, h.New,
				h.Rule, h.Request, h.Note)
		}
		return tx.SendBatch(ctx, b).Close()
	})
}

// History calls fn for person's entries ("" for all), oldest first.
func (s *State) History(ctx context.Context, person string, fn func(ghlsync.HistoryEntry) bool) error {
	rows, err := s.q(ctx).Query(ctx, `SELECT at, run, person, remote_id, kind, item, side, action, field, old, new, rule, request, note
		FROM ghlsync_history WHERE location = $1 AND ($2 = '' OR person = $2) ORDER BY seq`, s.location, person)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var h ghlsync.HistoryEntry
		var kind, side string
		if err := rows.Scan(&h.At, &h.Run, &h.Person, &h.RemoteID, &kind, &h.Item, &side, &h.Action, &h.Field, &h.Old, &h.New,
			&h.Rule, &h.Request, &h.Note); err != nil {
			return err
		}
		h.Kind = ghlsync.Kind(kind)
		if err := h.Side.UnmarshalText([]byte(side)); err != nil {
			return err
		}
		if !fn(h) {
			return nil
		}
	}
	return rows.Err()
}

// Lease takes, or renews, the lease name for holder until ttl from now (the
// database's clock), unless another holder's is current.
func (s *State) Lease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	var got string
	err := s.q(ctx).QueryRow(ctx, `INSERT INTO ghlsync_leases VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond')
		ON CONFLICT (location, name) DO UPDATE SET holder = excluded.holder, until = excluded.until
			WHERE ghlsync_leases.holder = excluded.holder OR ghlsync_leases.until < now()
		RETURNING holder`, s.location, name, holder, ttl.Milliseconds()).Scan(&got)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil // another holder's lease is current
	}
	return err == nil && got == holder, err
}

// Claim takes person for holder until ttl from now, unless another
// holder's claim is current.
func (s *State) Claim(ctx context.Context, person, holder string, ttl time.Duration) (bool, error) {
	var got string
	err := s.q(ctx).QueryRow(ctx, `INSERT INTO ghlsync_claims VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond')
		ON CONFLICT (location, person) DO UPDATE SET holder = excluded.holder, until = excluded.until
			WHERE ghlsync_claims.holder = excluded.holder OR ghlsync_claims.until < now()
		RETURNING holder`, s.location, person, holder, ttl.Milliseconds()).Scan(&got)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil && got == holder, err
}

// Release drops holder's claim on person.
func (s *State) Release(ctx context.Context, person, holder string) error {
	_, err := s.q(ctx).Exec(ctx, `DELETE FROM ghlsync_claims WHERE location = $1 AND person = $2 AND holder = $3`, s.location, person, holder)
	return err
}

// AddHint keeps a webhook's hint for the lease holder.
func (s *State) AddHint(ctx context.Context, h ghlsync.Hint) error {
	raw, err := json.Marshal(h)
	if err != nil {
		return err
	}
	_, err = s.q(ctx).Exec(ctx, `INSERT INTO ghlsync_hints (location, hint) VALUES ($1, $2)`, s.location, raw)
	return err
}

// Hints returns up to limit hints, oldest first.
func (s *State) Hints(ctx context.Context, limit int) ([]ghlsync.Hint, error) {
	rows, err := s.q(ctx).Query(ctx, `SELECT id, hint FROM ghlsync_hints WHERE location = $1 ORDER BY id LIMIT $2`, s.location, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ghlsync.Hint, error) {
		var id int64
		var raw []byte
		if err := r.Scan(&id, &raw); err != nil {
			return ghlsync.Hint{}, err
		}
		var h ghlsync.Hint
		if err := json.Unmarshal(raw, &h); err != nil {
			return h, fmt.Errorf("pgstate: hint %s: %w", strconv.FormatInt(id, 10), err)
		}
		h.ID = id
		return h, nil
	})
}

// DoneHints removes the hints of the given IDs.
func (s *State) DoneHints(ctx context.Context, ids []int64) error {
	_, err := s.q(ctx).Exec(ctx, `DELETE FROM ghlsync_hints WHERE location = $1 AND id = ANY($2)`, s.location, ids)
	return err
}
