package ghlsync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ghlkit/ghl"
)

// Syncer keeps contacts the same in the app and in HighLevel, one contact at
// a time: it links each app record to its HighLevel contact (creating the
// contact with Ensure the first time), merges the two with Merge against
// the state both held after the last sync, writes HighLevel's side, and
// hands back the app's. The State holds the links and base records.
//
// Echoes cost nothing: after a write the base is the written state, so when
// that write comes back (a webhook, the change feed) HighLevel's side equals
// the base and nothing is written again. A contact whose HighLevel side has
// not moved and whose app side equals the base is not written either, so a
// run with no changes on either side sends no write.
//
// SyncTasks and SyncNotes do the same for a contact's tasks and notes.
type Syncer struct {
	Client *ghl.Client
	State  State
	// Merge decides conflicts. HighLevel's tasks and notes carry no update
	// time, so under LastWriteWins their HighLevel side counts as older
	// than any dated change of the app's: choose RemoteWins or LocalWins
	// (or a Resolver per field) to decide otherwise.
	Merge MergeOptions
	// Key is how a new app record is matched or created (Ensure's options).
	Key EnsureOptions
	// Fields limits the sync to these fields (and "tags" when listed); nil
	// syncs every field of the app's records.
	Fields []string
	// NewItemID names a task or note new in HighLevel for the app (default
	// "ghl-" followed by its HighLevel ID). It must depend on its arguments
	// alone, so an item pulled again after a crash keeps its app ID.
	NewItemID func(kind Kind, remoteID string) string
}

// ContactResult is what SyncContact did to one contact.
type ContactResult struct {
	RemoteID string
	// Local is the app's record after the sync: the merged state.
	Local Record
	// LocalChanged says the app must save Local (fields or tags changed),
	// and then call Commit.
	LocalChanged bool
	// Created says the HighLevel contact was created (or found by its key)
	// in this run; Pushed that an update was sent to HighLevel.
	Created, Pushed bool
	Conflicts       []Conflict
	// Cleared lists fields the merge emptied that HighLevel's update cannot
	// clear (and DND channels it may keep): they stay set there, and the
	// sync remembers HighLevel's value, so it is neither written again nor
	// brought back into the app.
	Cleared []string
	// Stale says the contact given to SyncContact was older than what the
	// sync last wrote or saw of it; it was read again instead of merged.
	Stale bool
	// Changes lists each field the sync changed, on which side, from what
	// to what ("tags" as comma-separated sets), for a history.
	Changes []FieldChange

	commit func(context.Context) error
}

// FieldChange is one change a sync made on one side, for a history.
type FieldChange struct {
	Side Side // where it was made: Local (the app) or Remote (HighLevel)
	// Item is a task's or note's app ID ("" for the contact itself).
	Item string
	// Field is the field changed; "" when the item was created, New then
	// naming it (a task's title, a note's body).
	Field    string
	Old, New string
}

// changes lists what going from a to merged changes on side, for fields.
func changes(side Side, from, to Record, fields []string) []FieldChange {
	var out []FieldChange
	for _, f := range fields {
		if f == "tags" {
			out = append(out, FieldChange{Side: side, Field: f, Old: strings.Join(NormalizeTags(from.Tags), ","), New: strings.Join(NormalizeTags(to.Tags), ",")})
			continue
		}
		out = append(out, FieldChange{Side: side, Field: f, Old: from.Get(f), New: to.Get(f)})
	}
	return out
}

// Commit records the sync's own bookkeeping (the base both sides now hold,
// a new link) once the app has saved Local. Until then a crash loses
// nothing: the next sync sees the same differences again. Commit does
// nothing when there is nothing to record; call it after every save.
func (r *ContactResult) Commit(ctx context.Context) error {
	if r == nil || r.commit == nil {
		return nil
	}
	err := r.commit(ctx)
	if err == nil {
		r.commit = nil
	}
	return err
}

// ErrRemoteDeleted: the contact linked to the app record no longer exists in
// HighLevel. The app decides (mark inactive, unlink, recreate).
var ErrRemoteDeleted = errors.New("ghlsync: the linked HighLevel contact was deleted")

// SyncContact syncs one app record, identified by the app's ID. remote, when
// non-nil, is HighLevel's state of the linked contact (from the change feed
// or a webhook's read); otherwise it is read. A remote state older than what
// the sync last wrote or saw of the contact (a lagging search index, a late
// delivery) is never merged: the contact is read again. Before it writes to
// HighLevel from a given state, the contact is read again too, and merged
// again if it moved: a write never undoes a change made since the state was
// taken.
//
// When the result's LocalChanged is true, save Local in the app and then
// call the result's Commit; otherwise SyncContact has recorded everything
// itself (Commit does nothing).
func (s *Syncer) SyncContact(ctx context.Context, localID string, local Record, remote *ghl.Contact) (*ContactResult, error) {
	local = s.only(local)
	rid, linked, err := s.State.RemoteID(ctx, KindContact, localID)
	if err != nil {
		return nil, err
	}
	if !linked {
		return s.create(ctx, localID, local)
	}
	base, hasBase, err := s.State.Base(ctx, KindContact, rid)
	if err != nil {
		return nil, err
	}
	stale := false
	if remote != nil && remote.ID == rid && hasBase && older(remote, base) {
		remote, stale = nil, true
	}
	read := func() (*ghl.Contact, error) {
		got, err := s.Client.Contacts.Get(ctx, rid)
		if errors.Is(err, ghl.ErrNotFound) {
			return nil, fmt.Errorf("%w: %s (app record %s)", ErrRemoteDeleted, rid, localID)
		}
		return got, err
	}
	given := remote != nil && remote.ID == rid
	if !given {
		if remote, err = read(); err != nil {
			return nil, err
		}
	}
	remoteRec := s.only(FromContact(*remote))
	m := Merge(base, local, remoteRec, s.Merge)
	if given && len(m.ToRemote) > 0 {
		// About to write from a state the sync did not read itself (the
		// feed's, which the index may show late, or a webhook's): read it
		// now, and merge again if it moved, so that the write does not undo
		// a change made since (tags and DND go as whole sets).
		got, err := read()
		if err != nil {
			return nil, err
		}
		if fresh := s.only(FromContact(*got)); version(got) != version(remote) || !fresh.Equal(remoteRec) {
			remote, remoteRec = got, fresh
			m = Merge(base, local, remoteRec, s.Merge)
		}
	}
	res := &ContactResult{RemoteID: rid, Local: m.Merged, LocalChanged: len(m.ToLocal) > 0, Conflicts: m.Conflicts, Stale: stale,
		Changes: changes(Local, local, m.Merged, m.ToLocal)}
	held := remoteRec // what HighLevel holds after this sync
	if len(m.ToRemote) > 0 {
		req, ok, cleared := UpdateRequest(remoteRec, m.Merged)
		res.Cleared = cleared
		if ok {
			got, err := s.Client.Contacts.Update(ctx, rid, req)
			if err != nil {
				return nil, err
			}
			res.Pushed = true
			held = s.only(FromContact(*got))
			pushed := slices.DeleteFunc(slices.Clone(m.ToRemote), func(f string) bool { return slices.Contains(cleared, f) })
			res.Changes = append(res.Changes, changes(Remote, remoteRec, m.Merged, pushed)...)
		}
	}
	next := baseAfter(m.Merged, held, res.Cleared)
	if !base.Equal(next) || !base.UpdatedAt.Equal(next.UpdatedAt) {
		save := func(ctx context.Context) error { return s.State.SaveBase(ctx, KindContact, rid, next) }
		if res.LocalChanged {
			res.commit = save
		} else if err := save(ctx); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// older says the contact's version (dateUpdated, to the millisecond) is
// older than the one the base records: what the sync last wrote or saw.
func older(c *ghl.Contact, base Record) bool {
	v := version(c)
	return !base.UpdatedAt.IsZero() && v < base.UpdatedAt.UnixMilli()
}

// baseAfter is the base to keep after a sync: the merged record, except
// for fields the update could not clear, which keep the value HighLevel
// holds (so they are neither sent again nor brought back into the app), and
// HighLevel's version of the contact, to recognise older snapshots later.
func baseAfter(merged, held Record, cleared []string) Record {
	next := merged.clone()
	for _, f := range cleared {
		next.set(f, held.Fields[f])
	}
	next.UpdatedAt = held.UpdatedAt
	return next
}

// create links a new app record: Ensure finds or creates its contact, but
// never one linked to another app record (a *LinkError, nothing written).
func (s *Syncer) create(ctx context.Context, localID string, local Record) (*ContactResult, error) {
	req := createRequest(local)
	opts := s.Key
	userClaim := opts.Claim
	opts.Claim = func(ctx context.Context, c ghl.Contact) error {
		if other, ok, err := s.State.LocalID(ctx, KindContact, c.ID); err != nil {
			return err
		} else if ok && other != localID {
			k, _ := keyOf(req, s.Key)
			return &LinkError{Kind: KindContact, LocalID: localID, RemoteID: c.ID, LinkedTo: other, Key: k.name + " " + k.value}
		}
		if userClaim != nil {
			return userClaim(ctx, c)
		}
		return nil
	}
	res, err := Ensure(ctx, s.Client, req, opts)
	if err != nil {
		return nil, err
	}
	remote := s.only(FromContact(res.Contact))
	// A contact found by its key may hold more than the app: merge as if
	// both started empty, the app's values winning where they differ.
	mopts := s.Merge
	mopts.Policy, mopts.Fields = LocalWins, nil
	m := Merge(Record{}, local, remote, mopts)
	out := &ContactResult{RemoteID: res.Contact.ID, Local: m.Merged, LocalChanged: len(m.ToLocal) > 0, Created: true,
		Changes: changes(Local, local, m.Merged, m.ToLocal)}
	// The link is recorded at once (a crash before it would make the next
	// run look the key up again, which finds this contact: no duplicate),
	// with the base when the app has nothing to save: in one batch where
	// the state has them.
	next := baseAfter(m.Merged, remote, nil)
	save := func(ctx context.Context) error { return s.State.SaveBase(ctx, KindContact, res.Contact.ID, next) }
	err = inBatch(ctx, s.State, func(ctx context.Context) error {
		if err := s.State.Link(ctx, KindContact, localID, res.Contact.ID); err != nil {
			return err
		}
		if out.LocalChanged {
			out.commit = save
			return nil
		}
		return save(ctx)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// inBatch runs fn in one batch of st's, where st has them.
func inBatch(ctx context.Context, st State, fn func(ctx context.Context) error) error {
	if b, ok := st.(Batcher); ok {
		return b.Batch(ctx, fn)
	}
	return fn(ctx)
}

// PullResult is a HighLevel contact adopted by PullNew.
type PullResult struct {
	Local  Record
	commit func(context.Context) error
}

// Commit links the contact to the app record once the app has saved Local.
func (r *PullResult) Commit(ctx context.Context) error {
	if r == nil || r.commit == nil {
		return nil
	}
	err := r.commit(ctx)
	if err == nil {
		r.commit = nil
	}
	return err
}

// PullNew adopts a HighLevel contact that no app record is linked to, under
// localID: save the returned record in the app, then Commit, which links
// them. A contact already linked (to another app record: the app's own
// create of it, say) is refused with a *LinkError before anything is
// recorded. Derive localID from the contact's ID (or save by it), so that
// adopting it again after a crash between the app's save and Commit finds
// the same app record instead of making a second.
func (s *Syncer) PullNew(ctx context.Context, localID string, c ghl.Contact) (*PullResult, error) {
	if other, ok, err := s.State.LocalID(ctx, KindContact, c.ID); err != nil {
		return nil, err
	} else if ok && other != localID {
		return nil, &LinkError{Kind: KindContact, LocalID: localID, RemoteID: c.ID, LinkedTo: other}
	}
	rec := s.only(FromContact(c))
	return &PullResult{Local: rec, commit: func(ctx context.Context) error {
		if err := s.State.Link(ctx, KindContact, localID, c.ID); err != nil {
			return err
		}
		return s.State.SaveBase(ctx, KindContact, c.ID, rec)
	}}, nil
}

// only restricts r to the synced fields.
func (s *Syncer) only(r Record) Record {
	if s.Fields == nil {
		return r
	}
	out := Record{Fields: map[string]string{}, UpdatedAt: r.UpdatedAt}
	for _, f := range s.Fields {
		if f == "tags" {
			out.Tags = NormalizeTags(r.Tags)
			continue
		}
		out.set(f, r.Fields[f])
	}
	return out
}

// createRequest is the create body of a record.
func createRequest(r Record) ghl.CreateContactRequest {
	upd, _, _ := UpdateRequest(Record{}, r)
	return ghl.CreateContactRequest{FirstName: upd.FirstName, LastName: upd.LastName, Email: upd.Email, Phone: upd.Phone,
		Address1: upd.Address1, City: upd.City, State: upd.State, PostalCode: upd.PostalCode, Country: upd.Country,
		Website: upd.Website, Timezone: upd.Timezone, Source: upd.Source, AssignedTo: upd.AssignedTo, DND: upd.DND,
		DNDSettings: upd.DNDSettings, Tags: upd.Tags, CustomFields: upd.CustomFields}
}
