package ghltest

import "github.com/ghlkit/ghl"

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

func createNote(c *call) reply {
	var in noteInput
	if rep, ok := c.decode(&in, noteKeys...); !ok {
		return rep
	}
	if in.Body == nil || *in.Body == "" {
		return unprocessable("body should not be empty")
	}
	ct, rep, ok := pathContact(c)
	if !ok {
		return rep
	}
	n := &ghl.Note{ID: c.s.newID(), ContactID: ct.ID, DateAdded: c.s.stamp()}
	in.apply(n)
	c.emit("NoteCreate", n)
	return contactNotes.add(ct, n)
}

func updateNote(c *call) reply {
	var in noteInput
	if rep, ok := c.decode(&in, noteKeys...); !ok {
		return rep
	}
	if in.Body != nil && *in.Body == "" {
		return unprocessable("body should not be empty")
	}
	_, list, i, rep, ok := contactNotes.find(c)
	if !ok {
		return rep
	}
	n := *(*list)[i]
	in.apply(&n)
	c.emit("NoteUpdate", &n)
	return contactNotes.replace(list, i, n)
}
