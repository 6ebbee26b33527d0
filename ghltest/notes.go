package ghltest

import (
	"net/http"
	"slices"

	"github.com/ghlkit/ghl"
)

// A contact's notes: /contacts/{contactId}/notes.

var noteKeys = []string{"userId", "body", "title", "color", "pinned"}

type noteInput struct {
	UserID *string `json:"userId"`
	Body   *string `json:"body"`
	Title  *string `json:"title"`
	Color  *string `json:"color"`
	Pinned *bool   `json:"pinned"`
}

func (in *noteInput) apply(n *ghl.Note) {
	for _, f := range []struct {
		dst *string
		v   *string
	}{{&n.UserID, in.UserID}, {&n.Body, in.Body}, {&n.Title, in.Title}, {&n.Color, in.Color}} {
		if f.v != nil {
			*f.dst = *f.v
		}
	}
	if in.Pinned != nil {
		n.Pinned = *in.Pinned
	}
}

// note finds the path's note. Callers hold s.mu.
func (c *call) note() (*contact, int, reply, bool) {
	_, ct, rep, ok := c.contact()
	if !ok {
		return nil, 0, rep, false
	}
	i := slices.IndexFunc(ct.notes, func(n *ghl.Note) bool { return n.ID == c.params["id"] })
	if i < 0 {
		return nil, 0, errReply(http.StatusNotFound, "Note not found"), false
	}
	return ct, i, reply{}, true
}

func noteReply(status int, n *ghl.Note) reply {
	return jsonReply(status, map[string]any{"note": *n})
}

func listNotes(c *call) reply {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	_, ct, rep, ok := c.contact()
	if !ok {
		return rep
	}
	out := make([]ghl.Note, 0, len(ct.notes))
	for _, n := range ct.notes {
		out = append(out, *n)
	}
	return jsonReply(http.StatusOK, map[string]any{"notes": out})
}

func getNote(c *call) reply {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	ct, i, rep, ok := c.note()
	if !ok {
		return rep
	}
	return noteReply(http.StatusOK, ct.notes[i])
}

func createNote(c *call) reply {
	var in noteInput
	if rep, ok := c.decode(&in, noteKeys...); !ok {
		return rep
	}
	if in.Body == nil || *in.Body == "" {
		return unprocessable("body should not be empty")
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	_, ct, rep, ok := c.contact()
	if !ok {
		return rep
	}
	n := &ghl.Note{ID: c.s.newID(), ContactID: ct.ID, DateAdded: c.s.stamp()}
	in.apply(n)
	ct.notes = append(ct.notes, n)
	c.emit("NoteCreate", n)
	return noteReply(http.StatusCreated, n)
}

func updateNote(c *call) reply {
	var in noteInput
	if rep, ok := c.decode(&in, noteKeys...); !ok {
		return rep
	}
	if in.Body != nil && *in.Body == "" {
		return unprocessable("body should not be empty")
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	ct, i, rep, ok := c.note()
	if !ok {
		return rep
	}
	n := *ct.notes[i]
	in.apply(&n)
	ct.notes[i] = &n
	c.emit("NoteUpdate", &n)
	return noteReply(http.StatusOK, &n)
}

func deleteNote(c *call) reply {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	ct, i, rep, ok := c.note()
	if !ok {
		return rep
	}
	c.emit("NoteDelete", ct.notes[i])
	ct.notes = slices.Delete(slices.Clone(ct.notes), i, i+1)
	return succeeded(http.StatusOK)
}
