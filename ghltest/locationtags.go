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

func listLocationTags(c *call) reply {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	l, rep, ok := c.tagLocation()
	if !ok {
		return rep
	}
	tags := make([]ghl.LocationTag, len(l.tags))
	for i, t := range l.tags {
		tags[i] = *t
	}
	return jsonReply(http.StatusOK, map[string]any{"tags": tags})
}

func createLocationTag(c *call) reply {
	name, rep, ok := c.tagName()
	if !ok {
		return rep
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
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

// locationTag finds the path's tag. Callers hold s.mu.
func (c *call) locationTag() (*location, int, reply, bool) {
	l, rep, ok := c.tagLocation()
	if !ok {
		return nil, 0, rep, false
	}
	i := slices.IndexFunc(l.tags, func(t *ghl.LocationTag) bool { return t.ID == c.params["tagId"] })
	if i < 0 {
		return nil, 0, errReply(http.StatusNotFound, "Tag not found"), false
	}
	return l, i, reply{}, true
}

func getLocationTag(c *call) reply {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	l, i, rep, ok := c.locationTag()
	if !ok {
		return rep
	}
	return jsonReply(http.StatusOK, map[string]any{"tag": *l.tags[i]})
}

func updateLocationTag(c *call) reply {
	name, rep, ok := c.tagName()
	if !ok {
		return rep
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	l, i, rep, ok := c.locationTag()
	if !ok {
		return rep
	}
	l.tags[i].Name = name
	return jsonReply(http.StatusOK, map[string]any{"tag": *l.tags[i]})
}

func deleteLocationTag(c *call) reply {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	l, i, rep, ok := c.locationTag()
	if !ok {
		return rep
	}
	l.tags = slices.Delete(l.tags, i, i+1)
	return jsonReply(http.StatusOK, map[string]any{"succeded": true})
}
