package ghltest

import (
	"net/http"
	"slices"
)

// Tags on contacts: one contact's (/contacts/{contactId}/tags) and in bulk
// (/contacts/bulk/tags/update/{type}). Location tags are in locationtags.go.

func bulkTags(c *call) reply {
	kind := c.params["type"]
	if kind != "add" && kind != "remove" {
		return unprocessable("type must be one of the following values: add, remove")
	}
	var r struct {
		Contacts      []string `json:"contacts"`
		Tags          []string `json:"tags"`
		LocationID    string   `json:"locationId"`
		RemoveAllTags bool     `json:"removeAllTags"`
	}
	if rep, ok := c.decode(&r, "contacts", "tags", "locationId", "removeAllTags"); !ok {
		return rep
	}
	if r.Contacts == nil || r.Tags == nil {
		return unprocessable("contacts must be an array", "tags must be an array")
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	l, rep, ok := c.location(r.LocationID)
	if !ok {
		return rep
	}
	responses := []map[string]any{}
	errs := 0
	for _, id := range r.Contacts {
		ct := l.byID[id]
		if ct == nil {
			errs++
			responses = append(responses, map[string]any{"contactId": id, "message": "contact id is not a valid firebase id or does not exist", "type": "error"})
			continue
		}
		old := slices.Clone(ct.Tags)
		var added, removed []string
		switch {
		case kind == "add":
			ct.Tags, added = union(ct.Tags, r.Tags)
		case r.RemoveAllTags:
			ct.Tags, removed = []string{}, old
		default:
			ct.Tags, removed = minus(ct.Tags, r.Tags)
		}
		ct.DateUpdated = c.s.stamp()
		c.s.written(ct)
		c.emit("ContactTagUpdate", ct.Contact)
		responses = append(responses, map[string]any{"contactId": id, "message": "Tags updated", "type": "success",
			"oldTags": old, "tagsAdded": nonNil(added), "tagsRemoved": nonNil(removed)})
	}
	return jsonReply(http.StatusCreated, map[string]any{"succeded": errs == 0, "errorCount": errs, "responses": responses})
}

// union returns tags plus add, and what was new.
func union(tags, add []string) (all, added []string) {
	all = slices.Clone(tags)
	for _, t := range dedupe(add) {
		if !slices.Contains(all, t) {
			all = append(all, t)
			added = append(added, t)
		}
	}
	return all, added
}

// minus returns tags without remove, and what was removed.
func minus(tags, remove []string) (rest, removed []string) {
	rest = []string{}
	for _, t := range tags {
		if slices.Contains(remove, t) {
			removed = append(removed, t)
		} else {
			rest = append(rest, t)
		}
	}
	return rest, removed
}

func addTags(c *call) reply { return changeTags(c, true) }

func removeTags(c *call) reply { return changeTags(c, false) }

func changeTags(c *call, add bool) reply {
	var r struct {
		Tags []string `json:"tags"`
	}
	if rep, ok := c.decode(&r, "tags"); !ok {
		return rep
	}
	if len(r.Tags) == 0 {
		return unprocessable("tags should not be empty")
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	_, ct, rep, ok := c.contact()
	if !ok {
		return rep
	}
	status := http.StatusOK
	if add {
		ct.Tags, _ = union(ct.Tags, r.Tags)
		status = http.StatusCreated
	} else {
		ct.Tags, _ = minus(ct.Tags, r.Tags)
	}
	ct.DateUpdated = c.s.stamp()
	c.s.written(ct)
	c.emit("ContactTagUpdate", ct.Contact)
	return jsonReply(status, map[string]any{"tags": ct.Tags})
}
