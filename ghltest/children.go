package ghltest

import (
	"net/http"
	"slices"

	"github.com/ghlkit/ghl"
)

// children is one kind of resource kept as a list on its parent: a
// contact's tasks and notes, a location's tags and custom fields, an
// appointment's notes. Its get, list and delete handlers, and the lookup
// the others use, are built from this one description; a new kind of child
// is one more value. Handlers run under s.mu (Server.serve takes it).
type children[P, T any] struct {
	parent   func(c *call) (P, reply, bool) // the path's parent, or the answer why not
	of       func(P) *[]*T                  // the parent's list
	param    string                         // the path parameter naming a child
	id       func(*T) string
	one, all string // the answer's keys, e.g. "task" and "tasks"
	notFound string // the 404's message
	// deleted, when set, runs before a child is removed (a webhook); gone
	// is the answer to a delete (default: {"succeded":true}).
	deleted func(c *call, t *T)
	gone    map[string]any
}

// find returns the path's child: its parent, its list and its index.
func (k *children[P, T]) find(c *call) (p P, list *[]*T, i int, rep reply, ok bool) {
	if p, rep, ok = k.parent(c); !ok {
		return p, nil, 0, rep, false
	}
	list = k.of(p)
	i = slices.IndexFunc(*list, func(t *T) bool { return k.id(t) == c.params[k.param] })
	if i < 0 {
		return p, nil, 0, errReply(http.StatusNotFound, k.notFound), false
	}
	return p, list, i, reply{}, true
}

// answer is the reply carrying one child.
func (k *children[P, T]) answer(status int, t *T) reply {
	return jsonReply(status, map[string]any{k.one: *t})
}

// add appends t to the parent's list and answers it.
func (k *children[P, T]) add(p P, t *T) reply {
	list := k.of(p)
	*list = append(*list, t)
	return k.answer(http.StatusCreated, t)
}

// replace puts t in place of the child at i, a new value so that answers
// already encoded keep the old one, and answers it.
func (k *children[P, T]) replace(list *[]*T, i int, t T) reply {
	(*list)[i] = &t
	return k.answer(http.StatusOK, &t)
}

func (k *children[P, T]) list(c *call) reply {
	p, rep, ok := k.parent(c)
	if !ok {
		return rep
	}
	all := *k.of(p)
	out := make([]T, 0, len(all))
	for _, t := range all {
		out = append(out, *t)
	}
	return jsonReply(http.StatusOK, map[string]any{k.all: out})
}

func (k *children[P, T]) get(c *call) reply {
	_, list, i, rep, ok := k.find(c)
	if !ok {
		return rep
	}
	return k.answer(http.StatusOK, (*list)[i])
}

func (k *children[P, T]) delete(c *call) reply {
	_, list, i, rep, ok := k.find(c)
	if !ok {
		return rep
	}
	if k.deleted != nil {
		k.deleted(c, (*list)[i])
	}
	*list = slices.Delete(slices.Clone(*list), i, i+1)
	if k.gone != nil {
		return jsonReply(http.StatusOK, k.gone)
	}
	return succeeded(http.StatusOK)
}

// The kinds of children ghltest serves.
var (
	contactTasks = &children[*contact, ghl.Task]{
		parent: pathContact, of: func(ct *contact) *[]*ghl.Task { return &ct.tasks },
		param: "taskId", id: func(t *ghl.Task) string { return t.ID },
		one: "task", all: "tasks", notFound: "Task not found",
		deleted: func(c *call, t *ghl.Task) { c.emit("TaskDelete", t) },
	}
	contactNotes = &children[*contact, ghl.Note]{
		parent: pathContact, of: func(ct *contact) *[]*ghl.Note { return &ct.notes },
		param: "id", id: func(n *ghl.Note) string { return n.ID },
		one: "note", all: "notes", notFound: "Note not found",
		deleted: func(c *call, n *ghl.Note) { c.emit("NoteDelete", n) },
	}
	locationTags = &children[*location, ghl.LocationTag]{
		parent: pathLocation, of: func(l *location) *[]*ghl.LocationTag { return &l.tags },
		param: "tagId", id: func(t *ghl.LocationTag) string { return t.ID },
		one: "tag", all: "tags", notFound: "Tag not found",
	}
	customFields = &children[*location, ghl.CustomFieldDefinition]{
		parent: pathLocation, of: func(l *location) *[]*ghl.CustomFieldDefinition { return &l.fields },
		param: "id", id: func(f *ghl.CustomFieldDefinition) string { return f.ID },
		one: "customField", all: "customFields", notFound: "Custom field not found",
	}
	appointmentNotes = &children[*appointment, ghl.AppointmentNote]{
		parent: func(c *call) (*appointment, reply, bool) {
			a, _, rep, ok := c.appointmentOf(c.params["appointmentId"])
			return a, rep, ok
		},
		of:    func(a *appointment) *[]*ghl.AppointmentNote { return &a.notes },
		param: "noteId", id: func(n *ghl.AppointmentNote) string { return n.ID },
		one: "note", all: "notes", notFound: "Note not found", gone: map[string]any{"success": true},
	}
)

// pathContact is the path's contact, in the token's location.
func pathContact(c *call) (*contact, reply, bool) {
	_, ct, rep, ok := c.contact()
	return ct, rep, ok
}

// pathLocation is the path's location, if the token may use it.
func pathLocation(c *call) (*location, reply, bool) { return c.location(c.params["locationId"]) }
