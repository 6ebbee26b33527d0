package sync

import (
	"context"
	"errors"
	"fmt"

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
type Syncer struct {
	Client *ghl.Client
	State  State
	Merge  MergeOptions
	// Key is how a new app record is matched or created (Ensure's options).
	Key EnsureOptions
	// Fields limits the sync to these fields (and "tags" when listed); nil
	// syncs every field of the app's records.
	Fields []string
}

// ContactResult is what SyncContact did to one contact.
type ContactResult struct {
	RemoteID string
	// Local is the app's record after the sync: the merged state.
	Local Record
	// LocalChanged says the app must save Local (fields or tags changed).
	LocalChanged bool
	// Created says the HighLevel contact was created (or found by its key)
	// in this run; Pushed that an update was sent to HighLevel.
	Created, Pushed bool
	Conflicts       []Conflict
	// Cleared lists fields the merge emptied that HighLevel's update cannot
	// clear; they stay set there.
	Cleared []string
}

// ErrRemoteDeleted: the contact linked to the app record no longer exists in
// HighLevel. The app decides (mark inactive, unlink, recreate).
var ErrRemoteDeleted = errors.New("sync: the linked HighLevel contact was deleted")

// SyncContact syncs one app record, identified by the app's ID. remote, when
// non-nil, is HighLevel's current state of the linked contact (from the
// change feed or a webhook's read); otherwise it is read.
func (s *Syncer) SyncContact(ctx context.Context, localID string, local Record, remote *ghl.Contact) (*ContactResult, error) {
	local = s.only(local)
	rid, linked, err := s.State.RemoteID(ctx, "contact", localID)
	if err != nil {
		return nil, err
	}
	if !linked {
		return s.create(ctx, localID, local)
	}
	if remote == nil || remote.ID != rid {
		got, err := s.Client.Contacts.Get(ctx, rid)
		if errors.Is(err, ghl.ErrNotFound) {
			return nil, fmt.Errorf("%w: %s (app record %s)", ErrRemoteDeleted, rid, localID)
		}
		if err != nil {
			return nil, err
		}
		remote = got
	}
	base, _, err := s.State.Base(ctx, "contact:"+rid)
	if err != nil {
		return nil, err
	}
	remoteRec := s.only(FromContact(*remote))
	m := Merge(base, local, remoteRec, s.Merge)
	res := &ContactResult{RemoteID: rid, Local: m.Merged, LocalChanged: len(m.ToLocal) > 0, Conflicts: m.Conflicts}
	if len(m.ToRemote) > 0 {
		req, ok, cleared := UpdateRequest(remoteRec, m.Merged)
		res.Cleared = cleared
		if ok {
			got, err := s.Client.Contacts.Update(ctx, rid, req)
			if err != nil {
				return nil, err
			}
			res.Pushed = true
			// The base is what HighLevel now holds, so its echo is no change.
			m.Merged.UpdatedAt = got.DateUpdated.Time
		}
	}
	if !base.Equal(m.Merged) || res.Pushed {
		if err := s.State.SaveBase(ctx, "contact:"+rid, m.Merged); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// create links a new app record: Ensure finds or creates its contact.
func (s *Syncer) create(ctx context.Context, localID string, local Record) (*ContactResult, error) {
	req := createRequest(local)
	res, err := Ensure(ctx, s.Client, req, s.Key)
	if err != nil {
		return nil, err
	}
	remote := s.only(FromContact(res.Contact))
	// A contact found by its key may hold more than the app: merge as if
	// both started empty, the app's values winning where they differ.
	opts := s.Merge
	opts.Policy, opts.Fields = LocalWins, nil
	m := Merge(Record{}, local, remote, opts)
	out := &ContactResult{RemoteID: res.Contact.ID, Local: m.Merged, LocalChanged: len(m.ToLocal) > 0, Created: true}
	if err := s.State.Link(ctx, "contact", localID, res.Contact.ID); err != nil {
		return nil, err
	}
	if err := s.State.SaveBase(ctx, "contact:"+res.Contact.ID, m.Merged); err != nil {
		return nil, err
	}
	return out, nil
}

// PullNew links a HighLevel contact that no app record matches yet, under a
// new app ID, and returns the record for the app to save.
func (s *Syncer) PullNew(ctx context.Context, localID string, c ghl.Contact) (Record, error) {
	rec := s.only(FromContact(c))
	if err := s.State.Link(ctx, "contact", localID, c.ID); err != nil {
		return Record{}, err
	}
	return rec, s.State.SaveBase(ctx, "contact:"+c.ID, rec)
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
