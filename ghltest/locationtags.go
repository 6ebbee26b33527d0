package ghltest

import (
	"net/http"
	"slices"
	"strings"

	"github.com/ghlkit/ghl"
)

// Location tags: GET/POST /locations/{locationId}/tags and GET/PUT/DELETE
// /locations/{locationId}/tags/{tagId}. Tags are defined explicitly here;
// whether HighLevel also defines a tag when a contact first carries it is
// not documented, so ghltest does not. A second tag with the same name
// (ignoring case) is refused with 400; HighLevel documents no answer for it.

// tagLocation checks the path's location against the token. Callers hold s.mu.
func (c *call) tagLocation() (*location, reply, bool) {
	return c.location(c.params["locationId"])
}

// tagName reads and checks a tag body ({name*}).
func (c *call) tagName() (string, reply, bool) {
	var r struct {
		Name *string `json:"name"`
	}
	if rep, ok := c.decode(&r, "name"); !ok {
		return "", rep, false
	}
	if r.Name == nil || strings.TrimSpace(*r.Name) == "" {
		return "", unprocessable("name should not be empty", "name must be a string"), false
	}
	return strings.TrimSpace(*r.Name), reply{}, true
}

func createLocationTag(c *call) reply {
	name, rep, ok := c.tagName()
	if !ok {
		return rep
	}
	l, rep, ok := c.tagLocation()
	if !ok {
		return rep
	}
	if slices.ContainsFunc(l.tags, func(t *ghl.LocationTag) bool { return strings.EqualFold(t.Name, name) }) {
		return errReply(http.StatusBadRequest, "A tag with this name already exists")
	}
	t := &ghl.LocationTag{ID: c.s.newID(), Name: name, LocationID: l.id}
	l.tags = append(l.tags, t)
	return jsonReply(http.StatusOK, map[string]any{"tag": *t})
}

func updateLocationTag(c *call) reply {
	name, rep, ok := c.tagName()
	if !ok {
		return rep
	}
	_, list, i, rep, ok := locationTags.find(c)
	if !ok {
		return rep
	}
	t := *(*list)[i]
	t.Name = name
	return locationTags.replace(list, i, t)
}
