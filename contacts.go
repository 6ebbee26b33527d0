package ghl

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// ContactsService covers the operations under /contacts. Scopes:
// contacts.readonly for reads, contacts.write for writes.
type ContactsService struct{ c *Client }

// result wrappers, as the API wraps each answer.
type (
	contactBody struct {
		Contact Contact `json:"contact"`
	}
	succeededBody struct {
		Succeeded *bool `json:"succeded"` // sic: the API's spelling
	}
)

// check turns an explicit {"succeded": false} into an error.
func (b *succeededBody) check(method, path string) error {
	if b.Succeeded != nil && !*b.Succeeded {
		return &APIError{StatusCode: http.StatusOK, Method: method, Path: path,
			Messages: []string{"the API answered succeded=false"}}
	}
	return nil
}

// Get returns one contact. GET /contacts/{contactId} (contacts.readonly).
func (s *ContactsService) Get(ctx context.Context, contactID string, opts ...CallOption) (*Contact, error) {
	if err := checkID("contactId", contactID); err != nil {
		return nil, err
	}
	var out contactBody
	if err := s.c.do(ctx, op{method: http.MethodGet, path: "/contacts/" + contactID, retryable: true}, &out, opts); err != nil {
		return nil, err
	}
	return &out.Contact, nil
}

// Create creates a contact. POST /contacts/ (contacts.write).
//
// A create is never sent twice unless the first attempt provably did not
// reach HighLevel. On a location that refuses duplicates, an existing match
// gives a *DuplicateContactError with the existing contact's ID; Upsert
// avoids the error altogether.
func (s *ContactsService) Create(ctx context.Context, req CreateContactRequest, opts ...CallOption) (*Contact, error) {
	loc, err := s.c.locationOr(req.LocationID)
	if err != nil {
		return nil, err
	}
	req.LocationID = loc
	if err := req.check(); err != nil {
		return nil, err
	}
	var out contactBody
	o := op{method: http.MethodPost, path: "/contacts/", body: &req, location: loc, valid: func() string { return needID(out.Contact.ID, "contact") }}
	if err := s.c.do(ctx, o, &out, opts); err != nil {
		return nil, err
	}
	return &out.Contact, nil
}

// needID is an op.valid check: a create's answer must name what it created.
func needID(id, what string) string {
	if id == "" {
		return "has no " + what + " ID"
	}
	return ""
}

// Update changes the fields set in req. PUT /contacts/{contactId} (contacts.write).
func (s *ContactsService) Update(ctx context.Context, contactID string, req UpdateContactRequest, opts ...CallOption) (*Contact, error) {
	if err := checkID("contactId", contactID); err != nil {
		return nil, err
	}
	if err := checkEmail(req.Email); err != nil {
		return nil, err
	}
	if err := checkDND(req.DNDSettings, req.InboundDNDSettings); err != nil {
		return nil, err
	}
	if err := checkTags("tags", req.Tags); err != nil {
		return nil, err
	}
	if err := checkCustomFields(req.CustomFields); err != nil {
		return nil, err
	}
	if err := req.checkClear(); err != nil {
		return nil, err
	}
	var out struct {
		succeededBody
		Contact Contact `json:"contact"`
	}
	o := op{method: http.MethodPut, path: "/contacts/" + contactID, body: &req, retryable: true}
	if err := s.c.do(ctx, o, &out, opts); err != nil {
		return nil, err
	}
	if err := out.check(o.method, o.path); err != nil {
		return nil, err
	}
	return &out.Contact, nil
}

// Delete deletes a contact. DELETE /contacts/{contactId} (contacts.write).
func (s *ContactsService) Delete(ctx context.Context, contactID string, opts ...CallOption) error {
	if err := checkID("contactId", contactID); err != nil {
		return err
	}
	return s.c.doSucceeded(ctx, op{method: http.MethodDelete, path: "/contacts/" + contactID, retryable: true}, opts)
}

// doSucceeded runs an operation whose answer is {"succeded": bool}.
func (c *Client) doSucceeded(ctx context.Context, o op, opts []CallOption) error {
	var out succeededBody
	if err := c.do(ctx, o, &out, opts); err != nil {
		return err
	}
	return out.check(o.method, o.path)
}

// Upsert creates a contact, or updates the one that matches it by the
// location's duplicate rules (email, then phone). POST /contacts/upsert
// (contacts.write). The result says whether a contact was created.
//
// Upsert is retried like any idempotent call, except with
// CreateNewIfDuplicateAllowed set, where a second attempt could create a
// second contact. After an attempt whose outcome is unknown (a timeout, a
// 502), the resend waits RetryPolicy.SettleWait first, so that it does not
// race the first attempt on HighLevel's side, and the result's
// AfterUnknownOutcome says so. A failure after such an attempt matches
// ErrMaybeProcessed.
func (s *ContactsService) Upsert(ctx context.Context, req UpsertContactRequest, opts ...CallOption) (*UpsertResult, error) {
	loc, err := s.c.locationOr(req.LocationID)
	if err != nil {
		return nil, err
	}
	req.LocationID = loc
	if err := req.check(); err != nil {
		return nil, err
	}
	if (req.Email == nil || *req.Email == "") && (req.Phone == nil || *req.Phone == "") {
		return nil, invalid("email", "upsert needs an email or a phone to match on")
	}
	var out struct {
		New     bool    `json:"new"`
		Contact Contact `json:"contact"`
		TraceID string  `json:"traceId"`
	}
	alwaysNew := req.CreateNewIfDuplicateAllowed != nil && *req.CreateNewIfDuplicateAllowed
	var unknown bool
	o := op{method: http.MethodPost, path: "/contacts/upsert", body: &req, location: loc, retryable: !alwaysNew, settle: !alwaysNew,
		valid: func() string { return needID(out.Contact.ID, "contact") }}
	if err := s.c.do(ctx, o, &out, append(opts[:len(opts):len(opts)], reportUnknown(&unknown))); err != nil {
		return nil, err
	}
	return &UpsertResult{Contact: out.Contact, Created: out.New, TraceID: out.TraceID, AfterUnknownOutcome: unknown}, nil
}

// DuplicateQuery names what Contacts.FindDuplicate matches on.
type DuplicateQuery struct {
	LocationID string // defaults to the client's location
	Email      string
	Phone      string // E.164; the "+" is encoded for you
}

// FindDuplicate returns the contact the location's duplicate rules match to
// the email or phone, or nil when none does. GET /contacts/search/duplicate
// (contacts.readonly).
func (s *ContactsService) FindDuplicate(ctx context.Context, q DuplicateQuery, opts ...CallOption) (*Contact, error) {
	loc, err := s.c.locationOr(q.LocationID)
	if err != nil {
		return nil, err
	}
	if q.Email == "" && q.Phone == "" {
		return nil, invalid("email", "give an email or a phone to match")
	}
	v := url.Values{"locationId": {loc}}
	if q.Email != "" {
		v.Set("email", q.Email)
	}
	if q.Phone != "" {
		v.Set("number", q.Phone)
	}
	var out struct {
		Contact *Contact `json:"contact"`
	}
	if err := s.c.do(ctx, op{method: http.MethodGet, path: "/contacts/search/duplicate", query: v, retryable: true}, &out, opts); err != nil {
		return nil, err
	}
	return out.Contact, nil
}

// Followers is the answer of the follower operations.
type Followers struct {
	Followers []string `json:"followers"`        // all followers after the change
	Added     []string `json:"followersAdded"`   // set by AddFollowers
	Removed   []string `json:"followersRemoved"` // set by RemoveFollowers
}

// AddFollowers adds users as followers of a contact. POST
// /contacts/{contactId}/followers (contacts.write).
func (s *ContactsService) AddFollowers(ctx context.Context, contactID string, userIDs []string, opts ...CallOption) (*Followers, error) {
	return s.followers(ctx, http.MethodPost, contactID, userIDs, opts)
}

// RemoveFollowers removes users from a contact's followers. DELETE
// /contacts/{contactId}/followers (contacts.write).
func (s *ContactsService) RemoveFollowers(ctx context.Context, contactID string, userIDs []string, opts ...CallOption) (*Followers, error) {
	return s.followers(ctx, http.MethodDelete, contactID, userIDs, opts)
}

func (s *ContactsService) followers(ctx context.Context, method, contactID string, userIDs []string, opts []CallOption) (*Followers, error) {
	if err := checkID("contactId", contactID); err != nil {
		return nil, err
	}
	if err := checkIDs("followers", userIDs); err != nil {
		return nil, err
	}
	body := struct {
		Followers []string `json:"followers"`
	}{userIDs}
	var out Followers
	if err := s.c.do(ctx, op{method: method, path: "/contacts/" + contactID + "/followers", body: &body, retryable: true}, &out, opts); err != nil {
		return nil, err
	}
	return &out, nil
}

// AddToCampaign adds a contact to a campaign. POST
// /contacts/{contactId}/campaigns/{campaignId} (contacts.write). Not retried
// once it may have reached HighLevel.
func (s *ContactsService) AddToCampaign(ctx context.Context, contactID, campaignID string, opts ...CallOption) error {
	if err := checkID("contactId", contactID); err != nil {
		return err
	}
	if err := checkID("campaignId", campaignID); err != nil {
		return err
	}
	return s.c.doSucceeded(ctx, op{method: http.MethodPost, path: "/contacts/" + contactID + "/campaigns/" + campaignID, body: struct{}{}}, opts)
}

// RemoveFromCampaign removes a contact from one campaign. DELETE
// /contacts/{contactId}/campaigns/{campaignId} (contacts.write).
func (s *ContactsService) RemoveFromCampaign(ctx context.Context, contactID, campaignID string, opts ...CallOption) error {
	if err := checkID("contactId", contactID); err != nil {
		return err
	}
	if err := checkID("campaignId", campaignID); err != nil {
		return err
	}
	return s.c.doSucceeded(ctx, op{method: http.MethodDelete, path: "/contacts/" + contactID + "/campaigns/" + campaignID, retryable: true}, opts)
}

// RemoveFromAllCampaigns removes a contact from every campaign. DELETE
// /contacts/{contactId}/campaigns/removeAll (contacts.write).
func (s *ContactsService) RemoveFromAllCampaigns(ctx context.Context, contactID string, opts ...CallOption) error {
	if err := checkID("contactId", contactID); err != nil {
		return err
	}
	return s.c.doSucceeded(ctx, op{method: http.MethodDelete, path: "/contacts/" + contactID + "/campaigns/removeAll", retryable: true}, opts)
}

type workflowBody struct {
	EventStartTime string `json:"eventStartTime,omitempty"`
}

func newWorkflowBody(start time.Time) *workflowBody {
	if start.IsZero() {
		return &workflowBody{}
	}
	return &workflowBody{EventStartTime: start.Format(time.RFC3339)}
}

// AddToWorkflow enrolls a contact in a workflow, starting at eventStart (zero
// for now). POST /contacts/{contactId}/workflow/{workflowId} (contacts.write).
// Not retried once it may have reached HighLevel: a second enrollment could
// run the workflow twice.
func (s *ContactsService) AddToWorkflow(ctx context.Context, contactID, workflowID string, eventStart time.Time, opts ...CallOption) error {
	if err := checkID("contactId", contactID); err != nil {
		return err
	}
	if err := checkID("workflowId", workflowID); err != nil {
		return err
	}
	return s.c.doSucceeded(ctx, op{method: http.MethodPost, path: "/contacts/" + contactID + "/workflow/" + workflowID, body: newWorkflowBody(eventStart)}, opts)
}

// RemoveFromWorkflow removes a contact from a workflow. DELETE
// /contacts/{contactId}/workflow/{workflowId} (contacts.write).
func (s *ContactsService) RemoveFromWorkflow(ctx context.Context, contactID, workflowID string, eventStart time.Time, opts ...CallOption) error {
	if err := checkID("contactId", contactID); err != nil {
		return err
	}
	if err := checkID("workflowId", workflowID); err != nil {
		return err
	}
	return s.c.doSucceeded(ctx, op{method: http.MethodDelete, path: "/contacts/" + contactID + "/workflow/" + workflowID, body: newWorkflowBody(eventStart), retryable: true}, opts)
}

// BulkTagsRequest is the body of Contacts.BulkAddTags and BulkRemoveTags.
type BulkTagsRequest struct {
	LocationID string   `json:"locationId"` // defaults to the client's location
	ContactIDs []string `json:"contacts"`
	Tags       []string `json:"tags"`
	// RemoveAllTags, for BulkRemoveTags only, removes every tag.
	RemoveAllTags bool `json:"removeAllTags,omitempty"`
}

// BulkTagsResult is the answer of the bulk tag operations.
type BulkTagsResult struct {
	Succeeded  bool                 `json:"succeded"` // sic
	ErrorCount int                  `json:"errorCount"`
	Responses  []BulkTagItemOutcome `json:"responses"`
}

// BulkTagItemOutcome is what happened to one contact of a bulk tag call.
type BulkTagItemOutcome struct {
	ContactID   string   `json:"contactId"`
	Message     string   `json:"message"`
	Type        string   `json:"type"` // "success" or "error"
	OldTags     []string `json:"oldTags"`
	TagsAdded   []string `json:"tagsAdded"`
	TagsRemoved []string `json:"tagsRemoved"`
}

// UnmarshalJSON accepts the object the API sends, or a bare string (the
// spec's declared type), kept as Message.
func (o *BulkTagItemOutcome) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		*o = BulkTagItemOutcome{}
		return json.Unmarshal(b, &o.Message)
	}
	type plain BulkTagItemOutcome
	return json.Unmarshal(b, (*plain)(o))
}

// BulkAddTags adds tags to many contacts. POST /contacts/bulk/tags/update/add
// (contacts.write).
func (s *ContactsService) BulkAddTags(ctx context.Context, req BulkTagsRequest, opts ...CallOption) (*BulkTagsResult, error) {
	if req.RemoveAllTags {
		return nil, invalid("removeAllTags", "applies only to BulkRemoveTags")
	}
	return s.bulkTags(ctx, "add", req, opts)
}

// BulkRemoveTags removes tags (or, with RemoveAllTags, every tag) from many
// contacts. POST /contacts/bulk/tags/update/remove (contacts.write).
func (s *ContactsService) BulkRemoveTags(ctx context.Context, req BulkTagsRequest, opts ...CallOption) (*BulkTagsResult, error) {
	return s.bulkTags(ctx, "remove", req, opts)
}

func (s *ContactsService) bulkTags(ctx context.Context, kind string, req BulkTagsRequest, opts []CallOption) (*BulkTagsResult, error) {
	loc, err := s.c.locationOr(req.LocationID)
	if err != nil {
		return nil, err
	}
	req.LocationID = loc
	if err := checkIDs("contacts", req.ContactIDs); err != nil {
		return nil, err
	}
	if len(req.Tags) == 0 && !req.RemoveAllTags {
		return nil, invalid("tags", "must list at least one tag")
	}
	if req.Tags == nil {
		req.Tags = []string{}
	}
	if err := checkTags("tags", req.Tags); err != nil {
		return nil, err
	}
	var out BulkTagsResult
	if err := s.c.do(ctx, op{method: http.MethodPost, path: "/contacts/bulk/tags/update/" + kind, body: &req, location: loc, retryable: true}, &out, opts); err != nil {
		return nil, err
	}
	return &out, nil
}

// BulkBusinessRequest names the contacts of a bulk business change.
type BulkBusinessRequest struct {
	LocationID string   // defaults to the client's location
	ContactIDs []string // the contacts to change
}

// BulkBusinessResult is the answer of the bulk business operations.
type BulkBusinessResult struct {
	Success bool     `json:"success"`
	IDs     []string `json:"ids"`
}

// BulkAddToBusiness associates contacts with a business. POST
// /contacts/bulk/business (contacts.write).
func (s *ContactsService) BulkAddToBusiness(ctx context.Context, businessID string, req BulkBusinessRequest, opts ...CallOption) (*BulkBusinessResult, error) {
	if err := checkID("businessId", businessID); err != nil {
		return nil, err
	}
	return s.bulkBusiness(ctx, &businessID, req, opts)
}

// BulkRemoveFromBusiness removes contacts from their business (the API's
// businessId: null). POST /contacts/bulk/business (contacts.write).
func (s *ContactsService) BulkRemoveFromBusiness(ctx context.Context, req BulkBusinessRequest, opts ...CallOption) (*BulkBusinessResult, error) {
	return s.bulkBusiness(ctx, nil, req, opts)
}

func (s *ContactsService) bulkBusiness(ctx context.Context, businessID *string, req BulkBusinessRequest, opts []CallOption) (*BulkBusinessResult, error) {
	loc, err := s.c.locationOr(req.LocationID)
	if err != nil {
		return nil, err
	}
	if err := checkIDs("ids", req.ContactIDs); err != nil {
		return nil, err
	}
	body := struct {
		LocationID string   `json:"locationId"`
		IDs        []string `json:"ids"`
		BusinessID *string  `json:"businessId"` // null removes
	}{loc, req.ContactIDs, businessID}
	var out BulkBusinessResult
	if err := s.c.do(ctx, op{method: http.MethodPost, path: "/contacts/bulk/business", body: &body, location: loc, retryable: true}, &out, opts); err != nil {
		return nil, err
	}
	if !out.Success {
		return &out, &APIError{StatusCode: http.StatusOK, Method: http.MethodPost, Path: "/contacts/bulk/business",
			Messages: []string{"the API answered success=false"}}
	}
	return &out, nil
}
