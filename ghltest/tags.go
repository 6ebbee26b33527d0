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
	ct, _, rep, ok := changeSet(c, "tags", func(ct *contact) *[]string { return &ct.Tags }, add)
	if !ok {
		return rep
	}
	ct.DateUpdated = c.s.stamp()
	c.s.written(ct)
	c.emit("ContactTagUpdate", ct.Contact)
	return jsonReply(status(add), map[string]any{"tags": ct.Tags})
}

// changeSet adds to or removes from one of the path contact's string sets
// (its tags, its followers) the body's list under key, and returns what
// changed.
func changeSet(c *call, key string, set func(*contact) *[]string, add bool) (*contact, []string, reply, bool) {
	var r map[string][]string
	if rep, ok := c.decode(&r, key); !ok {
		return nil, nil, rep, false
	}
	if len(r[key]) == 0 {
		return nil, nil, unprocessable(key + " should not be empty"), false
	}
	_, ct, rep, ok := c.contact()
	if !ok {
		return nil, nil, rep, false
	}
	var changed []string
	if add {
		*set(ct), changed = union(*set(ct), r[key])
	} else {
		*set(ct), changed = minus(*set(ct), r[key])
	}
	return ct, changed, reply{}, true
}

// status is the answer's status to an add (201) or a removal (200).
func status(add bool) int {
	if add {
		return http.StatusCreated
	}
	return http.StatusOK
}
