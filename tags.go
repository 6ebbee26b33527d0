package ghl

import (
	"context"
	"net/http"
	"strings"
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

// LocationTag is a tag defined in a location, whether or not a contact
// carries it.
type LocationTag struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	LocationID string `json:"locationId,omitempty"`
}

// locationTagBody is the answer holding one location tag.
type locationTagBody struct {
	Tag LocationTag `json:"tag"`
}

// ListLocation returns every tag of a location (locationID "" means the
// client's). GET /locations/{locationId}/tags (locations/tags.readonly).
func (s *TagsService) ListLocation(ctx context.Context, locationID string, opts ...CallOption) ([]LocationTag, error) {
	loc, err := s.c.locationOr(locationID)
	if err != nil {
		return nil, err
	}
	var out struct {
		Tags []LocationTag `json:"tags"`
	}
	if err := s.c.do(ctx, op{method: http.MethodGet, path: "/locations/" + loc + "/tags", retryable: true}, &out, opts); err != nil {
		return nil, err
	}
	return out.Tags, nil
}

// GetLocation returns one tag of a location. GET
// /locations/{locationId}/tags/{tagId}.
func (s *TagsService) GetLocation(ctx context.Context, locationID, tagID string, opts ...CallOption) (*LocationTag, error) {
	path, err := s.tagPath(locationID, tagID)
	if err != nil {
		return nil, err
	}
	var out locationTagBody
	o := op{method: http.MethodGet, path: path, retryable: true, valid: func() string { return needID(out.Tag.ID, "tag") }}
	if err := s.c.do(ctx, o, &out, opts); err != nil {
		return nil, err
	}
	return &out.Tag, nil
}

// CreateLocation defines a tag in a location. POST
// /locations/{locationId}/tags (locations/tags.write). It is a create: not
// sent again after an attempt whose outcome is unknown (ErrMaybeProcessed;
// ListLocation shows whether it was made).
func (s *TagsService) CreateLocation(ctx context.Context, locationID, name string, opts ...CallOption) (*LocationTag, error) {
	loc, err := s.c.locationOr(locationID)
	if err != nil {
		return nil, err
	}
	if err := checkTagName(name); err != nil {
		return nil, err
	}
	var out locationTagBody
	o := op{method: http.MethodPost, path: "/locations/" + loc + "/tags", body: map[string]string{"name": name},
		valid: func() string { return needID(out.Tag.ID, "tag") }}
	if err := s.c.do(ctx, o, &out, opts); err != nil {
		return nil, err
	}
	return &out.Tag, nil
}

// UpdateLocation renames a location's tag. PUT
// /locations/{locationId}/tags/{tagId} (locations/tags.write).
func (s *TagsService) UpdateLocation(ctx context.Context, locationID, tagID, name string, opts ...CallOption) (*LocationTag, error) {
	path, err := s.tagPath(locationID, tagID)
	if err != nil {
		return nil, err
	}
	if err := checkTagName(name); err != nil {
		return nil, err
	}
	var out locationTagBody
	o := op{method: http.MethodPut, path: path, body: map[string]string{"name": name}, retryable: true,
		valid: func() string { return needID(out.Tag.ID, "tag") }}
	if err := s.c.do(ctx, o, &out, opts); err != nil {
		return nil, err
	}
	return &out.Tag, nil
}

// DeleteLocation deletes a location's tag. DELETE
// /locations/{locationId}/tags/{tagId} (locations/tags.write).
func (s *TagsService) DeleteLocation(ctx context.Context, locationID, tagID string, opts ...CallOption) error {
	path, err := s.tagPath(locationID, tagID)
	if err != nil {
		return err
	}
	return s.c.doSucceeded(ctx, op{method: http.MethodDelete, path: path, retryable: true}, opts)
}

func (s *TagsService) tagPath(locationID, tagID string) (string, error) {
	loc, err := s.c.locationOr(locationID)
	if err != nil {
		return "", err
	}
	if err := checkID("tagId", tagID); err != nil {
		return "", err
	}
	return "/locations/" + loc + "/tags/" + tagID, nil
}

func checkTagName(name string) error {
	if strings.TrimSpace(name) == "" {
		return invalid("name", "a tag needs a name")
	}
	return nil
}
