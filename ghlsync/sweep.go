package ghlsync

import (
	"context"
	"errors"
	"fmt"

	"github.com/ghlkit/ghl"
)

// SweepOptions configures Sweep.
type SweepOptions struct {
	LocationID string // default: the client's location
	PageLimit  int    // search page size; default 500
	// MaxMissing is the largest share of the known contacts that may be
	// missing before Sweep refuses to report any (default 0.05): a mass
	// disappearance is more likely a wrong location or token than deletes.
	MaxMissing float64
}

// ErrTooManyMissing: more known contacts are missing than
// SweepOptions.MaxMissing allows; Sweep reports none of them deleted.
var ErrTooManyMissing = errors.New("ghlsync: too many known contacts are missing; no deletion reported")

// Sweep finds which of the known HighLevel contact IDs were deleted: those a
// complete read of the location does not return and that a direct read then
// answers 404 for (the search index lags, so a contact created or changed
// during the sweep is never taken for deleted). A read that fails or is cut
// short, a confirmation that fails, or more missing than MaxMissing
// reports nothing deleted, with an error: a failed sweep never marks a
// contact deleted. Memory grows with the known IDs, not the location.
func Sweep(ctx context.Context, c *ghl.Client, known []string, opts SweepOptions) ([]string, error) {
	maxMissing := opts.MaxMissing
	if maxMissing <= 0 {
		maxMissing = 0.05
	}
	seen := make(map[string]bool, len(known))
	for _, id := range known {
		seen[id] = false
	}
	for ct, err := range c.Contacts.SearchAll(ctx, ghl.SearchRequest{LocationID: opts.LocationID, PageLimit: opts.PageLimit}) {
		if err != nil {
			return nil, fmt.Errorf("ghlsync: sweep read failed, nothing reported deleted: %w", err)
		}
		if _, ok := seen[ct.ID]; ok {
			seen[ct.ID] = true
		}
	}
	var candidates []string
	for _, id := range known {
		if !seen[id] {
			candidates = append(candidates, id)
			seen[id] = true // a known ID listed twice is one candidate
		}
	}
	if len(candidates) > 0 && float64(len(candidates)) > maxMissing*float64(len(known)) {
		return nil, fmt.Errorf("%w: %d of %d (limit %.0f%%)", ErrTooManyMissing, len(candidates), len(known), maxMissing*100)
	}
	var deleted []string
	for _, id := range candidates {
		_, err := c.Contacts.Get(ctx, id)
		switch {
		case errors.Is(err, ghl.ErrNotFound):
			deleted = append(deleted, id)
		case err != nil:
			return nil, fmt.Errorf("ghlsync: confirming %s failed, nothing reported deleted: %w", id, err)
		}
	}
	return deleted, nil
}
