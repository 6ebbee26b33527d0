package ghl

import (
	"context"
	"net/http"
)

// TagsService adds and removes tags on one contact without touching the
// others (Contacts.Update's Tags replaces them all).
type TagsService struct{ c *Client }

// Add adds tags to a contact and returns its tags after the change. POST
// /contacts/{contactId}/tags (contacts.write).
func (s *TagsService) Add(ctx context.Context, contactID string, tags []string, opts ...CallOption) ([]string, error) {
	return s.change(ctx, http.MethodPost, contactID, tags, opts)
}

// Remove removes tags from a contact and returns its tags after the change.
// DELETE /contacts/{contactId}/tags (contacts.write).
func (s *TagsService) Remove(ctx context.Context, contactID string, tags []string, opts ...CallOption) ([]string, error) {
	return s.change(ctx, http.MethodDelete, contactID, tags, opts)
}

func (s *TagsService) change(ctx context.Context, method, contactID string, tags []string, opts []CallOption) ([]string, error) {
	if err := checkID("contactId", contactID); err != nil {
		return nil, err
	}
	if len(tags) == 0 {
		return nil, invalid("tags", "must list at least one tag")
	}
	if err := checkTags("tags", tags); err != nil {
		return nil, err
	}
	body := struct {
		Tags []string `json:"tags"`
	}{tags}
	var out struct {
		Tags []string `json:"tags"`
	}
	if err := s.c.do(ctx, op{method: method, path: "/contacts/" + contactID + "/tags", body: &body, retryable: true}, &out, opts); err != nil {
		return nil, err
	}
	return out.Tags, nil
}
