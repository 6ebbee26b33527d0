package ghl

import (
	"context"
	"net/http"
)

// Note is a note on a contact.
type Note struct {
	ID        string `json:"id"`
	ContactID string `json:"contactId,omitempty"`
	Body      string `json:"body,omitempty"`
	Title     string `json:"title,omitempty"`
	UserID    string `json:"userId,omitempty"`
	Color     string `json:"color,omitempty"` // e.g. "#FFAA00"
	Pinned    bool   `json:"pinned,omitempty"`
	DateAdded Time   `json:"dateAdded,omitzero"`
}

// CreateNoteRequest is the body of Notes.Create (NotesDTO). Body is required.
type CreateNoteRequest struct {
	Body   string `json:"body"`
	Title  string `json:"title,omitempty"`
	UserID string `json:"userId,omitempty"`
	Color  string `json:"color,omitempty"`
	Pinned bool   `json:"pinned,omitempty"`
}

// UpdateNoteRequest is the body of Notes.Update; nil fields are left as they are.
type UpdateNoteRequest struct {
	Body   *string `json:"body,omitempty"`
	Title  *string `json:"title,omitempty"`
	UserID *string `json:"userId,omitempty"`
	Color  *string `json:"color,omitempty"`
	Pinned *bool   `json:"pinned,omitempty"`
}

// NotesService covers a contact's notes under /contacts/{contactId}/notes.
type NotesService struct{ c *Client }

type noteResult struct {
	Note Note `json:"note"`
}

// List returns every note of a contact. GET /contacts/{contactId}/notes
// (contacts.readonly).
func (s *NotesService) List(ctx context.Context, contactID string, opts ...CallOption) ([]Note, error) {
	if err := checkID("contactId", contactID); err != nil {
		return nil, err
	}
	var out struct {
		Notes []Note `json:"notes"`
	}
	if err := s.c.do(ctx, op{method: http.MethodGet, path: "/contacts/" + contactID + "/notes", retryable: true}, &out, opts); err != nil {
		return nil, err
	}
	return out.Notes, nil
}

// Get returns one note. GET /contacts/{contactId}/notes/{id} (contacts.readonly).
func (s *NotesService) Get(ctx context.Context, contactID, noteID string, opts ...CallOption) (*Note, error) {
	p, err := notePath(contactID, noteID)
	if err != nil {
		return nil, err
	}
	var out noteResult
	if err := s.c.do(ctx, op{method: http.MethodGet, path: p, retryable: true}, &out, opts); err != nil {
		return nil, err
	}
	return &out.Note, nil
}

// Create adds a note to a contact. POST /contacts/{contactId}/notes
// (contacts.write). Never sent twice once it may have reached HighLevel.
func (s *NotesService) Create(ctx context.Context, contactID string, req CreateNoteRequest, opts ...CallOption) (*Note, error) {
	if err := checkID("contactId", contactID); err != nil {
		return nil, err
	}
	if req.Body == "" {
		return nil, invalid("body", "is required")
	}
	var out noteResult
	if err := s.c.do(ctx, op{method: http.MethodPost, path: "/contacts/" + contactID + "/notes", body: &req}, &out, opts); err != nil {
		return nil, err
	}
	return &out.Note, nil
}

// Update changes the fields set in req. PUT /contacts/{contactId}/notes/{id}
// (contacts.write).
func (s *NotesService) Update(ctx context.Context, contactID, noteID string, req UpdateNoteRequest, opts ...CallOption) (*Note, error) {
	p, err := notePath(contactID, noteID)
	if err != nil {
		return nil, err
	}
	if req.Body != nil && *req.Body == "" {
		return nil, invalid("body", "must not be set to empty")
	}
	var out noteResult
	if err := s.c.do(ctx, op{method: http.MethodPut, path: p, body: &req, retryable: true}, &out, opts); err != nil {
		return nil, err
	}
	return &out.Note, nil
}

// Delete deletes a note. DELETE /contacts/{contactId}/notes/{id} (contacts.write).
func (s *NotesService) Delete(ctx context.Context, contactID, noteID string, opts ...CallOption) error {
	p, err := notePath(contactID, noteID)
	if err != nil {
		return err
	}
	return s.c.doSucceeded(ctx, op{method: http.MethodDelete, path: p, retryable: true}, opts)
}

func notePath(contactID, noteID string) (string, error) {
	if err := checkID("contactId", contactID); err != nil {
		return "", err
	}
	if err := checkID("noteId", noteID); err != nil {
		return "", err
	}
	return "/contacts/" + contactID + "/notes/" + noteID, nil
}
