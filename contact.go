package ghl

import (
	"encoding/json"
	"slices"
	"strings"
)

// Contact is a HighLevel contact. It holds the union of the fields the API
// returns from get, create, update, upsert, search and list, so one type
// serves every answer; fields an answer did not carry stay zero.
type Contact struct {
	ID                    string          `json:"id"`
	LocationID            string          `json:"locationId,omitempty"`
	Name                  string          `json:"name,omitempty"`
	FirstName             string          `json:"firstName,omitempty"`
	LastName              string          `json:"lastName,omitempty"`
	FirstNameLowerCase    string          `json:"firstNameLowerCase,omitempty"`
	LastNameLowerCase     string          `json:"lastNameLowerCase,omitempty"`
	FullNameLowerCase     string          `json:"fullNameLowerCase,omitempty"`
	Email                 string          `json:"email,omitempty"`
	EmailLowerCase        string          `json:"emailLowerCase,omitempty"`
	Phone                 string          `json:"phone,omitempty"` // E.164
	CompanyName           string          `json:"companyName,omitempty"`
	Timezone              string          `json:"timezone,omitempty"` // IANA name
	DND                   bool            `json:"dnd"`
	DNDSettings           *DNDSettings    `json:"dndSettings,omitempty"`
	Type                  string          `json:"type,omitempty"` // e.g. "lead", "customer"
	Source                string          `json:"source,omitempty"`
	AssignedTo            string          `json:"assignedTo,omitempty"` // user ID
	Address1              string          `json:"address1,omitempty"`
	City                  string          `json:"city,omitempty"`
	State                 string          `json:"state,omitempty"`
	Country               string          `json:"country,omitempty"` // ISO 3166-1 alpha-2
	PostalCode            string          `json:"postalCode,omitempty"`
	Website               string          `json:"website,omitempty"`
	Gender                string          `json:"gender,omitempty"`
	Tags                  []string        `json:"tags,omitempty"`
	DateOfBirth           Time            `json:"dateOfBirth,omitzero"`
	BirthMonth            int             `json:"birthMonth,omitempty"`
	BirthDay              int             `json:"birthDay,omitempty"`
	DateAdded             Time            `json:"dateAdded,omitzero"`
	DateUpdated           Time            `json:"dateUpdated,omitzero"`
	LastActivity          Time            `json:"lastActivity,omitzero"`
	LastSessionActivityAt Time            `json:"lastSessionActivityAt,omitzero"`
	Attachments           json.RawMessage `json:"attachments,omitempty"` // a string or an array, depending on the endpoint
	SSN                   string          `json:"ssn,omitempty"`
	Keyword               string          `json:"keyword,omitempty"`
	CustomFields          []CustomField   `json:"customFields,omitempty"`
	BusinessID            string          `json:"businessId,omitempty"`
	AttributionSource     *Attribution    `json:"attributionSource,omitempty"`
	LastAttributionSource *Attribution    `json:"lastAttributionSource,omitempty"`
	Attributions          []Attribution   `json:"attributions,omitempty"`
	VisitorID             string          `json:"visitorId,omitempty"`
	Followers             StringList      `json:"followers,omitempty"`
	Deleted               bool            `json:"deleted,omitempty"`
	BounceEmail           bool            `json:"bounceEmail,omitempty"`
	UnsubscribeEmail      bool            `json:"unsubscribeEmail,omitempty"`
	Offers                []string        `json:"offers,omitempty"`
	Products              []string        `json:"products,omitempty"`
	// SearchAfter is the cursor a search hit carries; send it back in
	// SearchRequest.SearchAfter to continue after this contact.
	SearchAfter json.RawMessage `json:"searchAfter,omitempty"`
}

// CustomField returns the contact's value for the custom field with this ID.
func (c *Contact) CustomField(id string) (CustomField, bool) {
	for _, f := range c.CustomFields {
		if f.ID == id {
			return f, true
		}
	}
	return CustomField{}, false
}

// CreateContactRequest is the body of Contacts.Create (CreateContactDto).
// Optional fields are pointers: leave them nil to not send them.
type CreateContactRequest struct {
	// LocationID defaults to the client's location.
	LocationID         string              `json:"locationId"`
	FirstName          *string             `json:"firstName,omitempty"`
	LastName           *string             `json:"lastName,omitempty"`
	Name               *string             `json:"name,omitempty"`
	Email              *string             `json:"email,omitempty"`
	Phone              *string             `json:"phone,omitempty"`
	Gender             *string             `json:"gender,omitempty"`
	Address1           *string             `json:"address1,omitempty"`
	City               *string             `json:"city,omitempty"`
	State              *string             `json:"state,omitempty"`
	PostalCode         *string             `json:"postalCode,omitempty"`
	Country            *string             `json:"country,omitempty"`
	Website            *string             `json:"website,omitempty"`
	Timezone           *string             `json:"timezone,omitempty"`
	CompanyName        *string             `json:"companyName,omitempty"`
	Source             *string             `json:"source,omitempty"`
	AssignedTo         *string             `json:"assignedTo,omitempty"`
	DateOfBirth        *string             `json:"dateOfBirth,omitempty"` // e.g. "1990-05-17"
	DND                *bool               `json:"dnd,omitempty"`
	DNDSettings        *DNDSettings        `json:"dndSettings,omitempty"`
	InboundDNDSettings *InboundDNDSettings `json:"inboundDndSettings,omitempty"`
	Tags               []string            `json:"tags,omitempty"`
	CustomFields       []CustomFieldInput  `json:"customFields,omitempty"`
}

// Validate checks the request as Create does before sending it (an email
// that is not one, a bad DND status, tags or custom fields), and names
// what is wrong.
func (r *CreateContactRequest) Validate() error { return r.check() }

func (r *CreateContactRequest) check() error {
	if err := checkEmail(r.Email); err != nil {
		return err
	}
	if err := checkDND(r.DNDSettings, r.InboundDNDSettings); err != nil {
		return err
	}
	if err := checkTags("tags", r.Tags); err != nil {
		return err
	}
	return checkCustomFields(r.CustomFields)
}

// UpsertContactRequest is the body of Contacts.Upsert (UpsertContactDto).
type UpsertContactRequest struct {
	CreateContactRequest
	// CreateNewIfDuplicateAllowed, when true on a location that allows
	// duplicates, always creates a new contact instead of matching.
	CreateNewIfDuplicateAllowed *bool `json:"createNewIfDuplicateAllowed,omitempty"`
}

// UpdateContactRequest is the body of Contacts.Update (UpdateContactDto).
// Nil fields are left as they are.
type UpdateContactRequest struct {
	FirstName          *string             `json:"firstName,omitempty"`
	LastName           *string             `json:"lastName,omitempty"`
	Name               *string             `json:"name,omitempty"`
	Email              *string             `json:"email,omitempty"`
	Phone              *string             `json:"phone,omitempty"`
	Address1           *string             `json:"address1,omitempty"`
	City               *string             `json:"city,omitempty"`
	State              *string             `json:"state,omitempty"`
	PostalCode         *string             `json:"postalCode,omitempty"`
	Country            *string             `json:"country,omitempty"`
	Website            *string             `json:"website,omitempty"`
	Timezone           *string             `json:"timezone,omitempty"`
	Source             *string             `json:"source,omitempty"`
	AssignedTo         *string             `json:"assignedTo,omitempty"`
	DateOfBirth        *string             `json:"dateOfBirth,omitempty"`
	DND                *bool               `json:"dnd,omitempty"`
	DNDSettings        *DNDSettings        `json:"dndSettings,omitempty"`
	InboundDNDSettings *InboundDNDSettings `json:"inboundDndSettings,omitempty"`
	// Tags, when non-nil, REPLACES all of the contact's tags ([]string{}
	// removes them all). To add or remove some, use the Tags service.
	Tags         []string           `json:"tags,omitzero"`
	CustomFields []CustomFieldInput `json:"customFields,omitempty"`
	// Clear names fields to empty: they are sent as null, which a pointer
	// left nil cannot say. Only the fields HighLevel accepts null for:
	// see ClearableFields.
	Clear []string `json:"-"`
}

// ClearableFields are the contact fields an update can empty
// (UpdateContactRequest.Clear): those the API declares nullable.
var ClearableFields = []string{"firstName", "lastName", "name", "email", "phone", "address1", "city", "state",
	"website", "timezone", "source", "dateOfBirth", "assignedTo"}

// MarshalJSON writes the request, with each Clear field as null.
func (r UpdateContactRequest) MarshalJSON() ([]byte, error) {
	type plain UpdateContactRequest
	b, err := json.Marshal(plain(r))
	if err != nil || len(r.Clear) == 0 {
		return b, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for _, f := range r.Clear {
		m[f] = json.RawMessage("null")
	}
	return json.Marshal(m)
}

// checkClear refuses a Clear list HighLevel would not accept, or one that
// also sets the field.
func (r *UpdateContactRequest) checkClear() error {
	if len(r.Clear) == 0 {
		return nil
	}
	b, err := json.Marshal(plainUpdate(*r))
	if err != nil {
		return err
	}
	var set map[string]json.RawMessage
	_ = json.Unmarshal(b, &set)
	for _, f := range r.Clear {
		if !slices.Contains(ClearableFields, f) {
			return invalid("clear", "%q cannot be cleared: HighLevel accepts null only for %s", f, strings.Join(ClearableFields, ", "))
		}
		if _, ok := set[f]; ok {
			return invalid(f, "is both set and cleared")
		}
	}
	return nil
}

// plainUpdate is UpdateContactRequest without its MarshalJSON.
type plainUpdate UpdateContactRequest

// UpsertResult is the answer of Contacts.Upsert.
type UpsertResult struct {
	Contact Contact
	Created bool   // the API's "new": true when no existing contact matched
	TraceID string // HighLevel's trace ID for the call
	// AfterUnknownOutcome says an earlier attempt may have reached HighLevel
	// without an answer, and the upsert was sent again after the settle wait.
	AfterUnknownOutcome bool
}

// checkEmail refuses what HighLevel answers "email must be an email" for:
// no single @, an empty part, a space, or a domain without a dot.
func checkEmail(email *string) error {
	if email == nil || *email == "" {
		return nil
	}
	local, domain, ok := strings.Cut(*email, "@")
	switch {
	case !ok || local == "" || domain == "" || strings.Contains(domain, "@"):
		return invalid("email", "%q is not an email address (one @ between a name and a domain)", *email)
	case strings.ContainsAny(*email, " \t\r\n"):
		return invalid("email", "%q is not an email address (it holds a space)", *email)
	case !strings.Contains(strings.Trim(domain, "."), "."):
		return invalid("email", "%q is not an email address (the domain has no dot)", *email)
	}
	return nil
}
