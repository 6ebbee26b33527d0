package ghl_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ghlkit/ghl"
)

// noteOperations are the requests of every NotesService method, as contacts.json
// specifies them, with answers shaped like its examples.
func noteOperations() []opCase {
	return []opCase{
		{name: "Notes.List", operation: "get-all-notes", method: "GET", path: "/contacts/" + contactID + "/notes",
			call:   func(ctx context.Context, c *ghl.Client) (any, error) { return c.Notes.List(ctx, contactID) },
			answer: `{"notes":[` + noteJSON + `]}`,
			check:  func(t *testing.T, got any) { assert.True(t, got.([]ghl.Note)[0].Pinned) }},
		{name: "Notes.Get", operation: "get-note", method: "GET", path: "/contacts/" + contactID + "/notes/ve9EPM428h8vShlRW1KT",
			call: func(ctx context.Context, c *ghl.Client) (any, error) {
				return c.Notes.Get(ctx, contactID, "ve9EPM428h8vShlRW1KT")
			},
			answer: `{"note":` + noteJSON + `}`,
			check:  func(t *testing.T, got any) { assert.Equal(t, "#FFAA00", got.(*ghl.Note).Color) }},
		{name: "Notes.Create", operation: "create-note", method: "POST", path: "/contacts/" + contactID + "/notes",
			call: func(ctx context.Context, c *ghl.Client) (any, error) {
				return c.Notes.Create(ctx, contactID, ghl.CreateNoteRequest{Body: "Note body", Title: "Call recap", Pinned: true})
			},
			body: `{"body":"Note body","title":"Call recap","pinned":true}`, status: 201, answer: `{"note":` + noteJSON + `}`},
		{name: "Notes.Update", operation: "update-note", method: "PUT", path: "/contacts/" + contactID + "/notes/ve9EPM428h8vShlRW1KT",
			call: func(ctx context.Context, c *ghl.Client) (any, error) {
				return c.Notes.Update(ctx, contactID, "ve9EPM428h8vShlRW1KT", ghl.UpdateNoteRequest{Pinned: ghl.Ptr(false)})
			},
			body: `{"pinned":false}`, answer: `{"note":` + noteJSON + `}`},
		{name: "Notes.Delete", operation: "delete-note", method: "DELETE", path: "/contacts/" + contactID + "/notes/ve9EPM428h8vShlRW1KT",
			call: func(ctx context.Context, c *ghl.Client) (any, error) {
				return nil, c.Notes.Delete(ctx, contactID, "ve9EPM428h8vShlRW1KT")
			},
			answer: `{"succeded":true}`},
	}
}

// TestNotesOperations sends every Notes operation and checks the
// exact request and the decoded answer.
func TestNotesOperations(t *testing.T) { runOperations(t, noteOperations()) }
