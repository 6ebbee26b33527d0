package ghlsync

import (
	"fmt"
	"slices"
	"time"
)

// Side names one side of a two-way sync.
type Side int

const (
	// Remote is HighLevel.
	Remote Side = iota
	// Local is the app.
	Local
)

// String returns "remote" or "local".
func (s Side) String() string {
	if s == Local {
		return "local"
	}
	return "remote"
}

// MarshalText writes the side as String does.
func (s Side) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads "local" or "remote".
func (s *Side) UnmarshalText(b []byte) error {
	switch string(b) {
	case "local":
		*s = Local
	case "remote":
		*s = Remote
	default:
		return fmt.Errorf("ghlsync: side %q is neither local nor remote", b)
	}
	return nil
}

// Policy decides a field that both sides changed to different values.
type Policy int

const (
	// LastWriteWins takes the value of the side whose Record.UpdatedAt is
	// later; equal times go to MergeOptions.Tie.
	LastWriteWins Policy = iota
	// RemoteWins always takes HighLevel's value.
	RemoteWins
	// LocalWins always takes the app's value.
	LocalWins
)

// A Resolver decides one conflicting field: it returns the value to keep
// and the side it came from (or the side whose value it resembles most,
// when it computes a new one).
type Resolver func(c Conflict) (value string, from Side)

// MergeOptions sets how conflicts are decided.
type MergeOptions struct {
	Policy Policy
	// Tie is the side that wins under LastWriteWins when both sides changed
	// at the same instant (default Remote).
	Tie Side
	// Fields overrides the policy for some fields, by name (FieldEmail,
	// "customFields.<id>", "dndSettings.SMS", …).
	Fields map[string]Resolver
}

// Conflict is a field both sides changed, to different values, since the
// last sync.
type Conflict struct {
	Field  string
	Base   string // the value both sides agreed on at the last sync
	Local  string
	Remote string
	// LocalAt and RemoteAt are the sides' UpdatedAt.
	LocalAt, RemoteAt time.Time
	// Value and Winner are the decision; Rule says which rule made it
	// ("last write wins", "remote wins", "local wins", "tie: remote",
	// "resolver").
	Value  string
	Winner Side
	Rule   string
}

// MergeResult is the outcome of a three-way merge.
type MergeResult struct {
	Merged Record // the state both sides should hold
	// Conflicts lists the fields both sides changed differently, with how
	// each was decided, sorted by field.
	Conflicts []Conflict
	// ToLocal and ToRemote name the fields (and "tags") each side must
	// change to reach Merged: empty lists mean nothing to write there.
	ToLocal, ToRemote []string
}

// Merge is a field-level three-way merge of two versions of a record
// against the version both held at the last sync (base; a zero Record when
// they never synced). Per field: a value only one side changed is taken from
// that side; the same change on both sides is no conflict; different changes
// on both sides are a Conflict, decided by opts. Tags merge as a set against
// the base: a tag added on either side is kept, a tag removed on either side
// is dropped. Custom fields and DND channels are fields of their own.
//
// Merge is a pure function. Merge(base, x, x) returns x; Merge(base, base,
// r) returns r and Merge(base, l, base) returns l; merging a result again
// changes nothing.
func Merge(base, local, remote Record, opts MergeOptions) MergeResult {
	merged := Record{Fields: map[string]string{}, UpdatedAt: later(local.UpdatedAt, remote.UpdatedAt)}
	var res MergeResult
	for _, f := range fieldNames(base, local, remote) {
		b, l, r := base.Fields[f], local.Fields[f], remote.Fields[f]
		var v string
		switch {
		case l == r:
			v = l
		case l == b:
			v = r
		case r == b:
			v = l
		default:
			c := Conflict{Field: f, Base: b, Local: l, Remote: r, LocalAt: local.UpdatedAt, RemoteAt: remote.UpdatedAt}
			c.Value, c.Winner, c.Rule = decide(c, opts)
			res.Conflicts = append(res.Conflicts, c)
			v = c.Value
		}
		merged.set(f, v)
	}
	merged.Tags = mergeTags(NormalizeTags(base.Tags), NormalizeTags(local.Tags), NormalizeTags(remote.Tags))
	res.Merged = merged
	res.ToLocal = local.Diff(merged)
	res.ToRemote = remote.Diff(merged)
	return res
}

// decide applies the options to one conflict.
func decide(c Conflict, opts MergeOptions) (string, Side, string) {
	if r := opts.Fields[c.Field]; r != nil {
		v, from := r(c)
		return v, from, "resolver"
	}
	switch opts.Policy {
	case RemoteWins:
		return c.Remote, Remote, "remote wins"
	case LocalWins:
		return c.Local, Local, "local wins"
	}
	switch {
	case c.LocalAt.After(c.RemoteAt):
		return c.Local, Local, "last write wins"
	case c.RemoteAt.After(c.LocalAt):
		return c.Remote, Remote, "last write wins"
	case opts.Tie == Local:
		return c.Local, Local, "tie: local"
	}
	return c.Remote, Remote, "tie: remote"
}

// mergeTags merges sorted tag sets against their base.
func mergeTags(base, local, remote []string) []string {
	all := slices.Concat(base, local, remote)
	slices.Sort(all)
	all = slices.Compact(all)
	out := []string{}
	for _, t := range all {
		_, b := slices.BinarySearch(base, t)
		_, l := slices.BinarySearch(local, t)
		_, r := slices.BinarySearch(remote, t)
		// Both agree, or the side that changed it from the base decides.
		keep := l
		if l != r && l == b {
			keep = r
		}
		if keep {
			out = append(out, t)
		}
	}
	return out
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
