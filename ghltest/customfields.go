package ghltest

import (
	"net/http"
	"slices"
	"strings"

	"github.com/ghlkit/ghl"
)

// Custom-field definitions: GET/POST /locations/{locationId}/customFields
// and GET/PUT/DELETE /locations/{locationId}/customFields/{id}. Every
// location starts with the two fields its seeded contacts use: "score"
// (NUMERICAL, cfScore000000000000a) and "plan" (SINGLE_OPTIONS basic, plus,
// pro; cfPlan0000000000000b). Values on contacts are stored as sent, by ID;
// whether HighLevel refuses unknown IDs or options is not documented, so
// ghltest does not.

// seedFields are the definitions every location starts with.
func seedFields(locationID string) []*ghl.CustomFieldDefinition {
	return []*ghl.CustomFieldDefinition{
		{ID: "cfScore000000000000a", Name: "Score", FieldKey: "contact.score", DataType: ghl.FieldNumerical, LocationID: locationID, Model: "contact"},
		{ID: "cfPlan0000000000000b", Name: "Plan", FieldKey: "contact.plan", DataType: ghl.FieldSingleOptions, Position: 1,
			PicklistOptions: []string{"basic", "plus", "pro"}, LocationID: locationID, Model: "contact"},
	}
}

// AddCustomField defines a custom field in a location, as an app's admin
// would in HighLevel's settings, and returns its ID.
func (s *Server) AddCustomField(locationID string, d ghl.CustomFieldDefinition) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.locations[locationID]
	if l == nil {
		l = s.addLocation(locationID, DefaultCompanyID)
	}
	if d.ID == "" {
		d.ID = s.newID()
	}
	if d.Model == "" {
		d.Model = "contact"
	}
	if d.FieldKey == "" {
		d.FieldKey = d.Model + "." + fieldKey(d.Name)
	}
	d.LocationID = locationID
	l.fields = append(l.fields, &d)
	return d.ID
}

// fieldKey makes a key from a field's name, as HighLevel does.
func fieldKey(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(name)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '_' || r == '-':
			b.WriteByte('_')
		}
	}
	return b.String()
}

var dataTypes = []string{ghl.FieldText, ghl.FieldLargeText, ghl.FieldNumerical, ghl.FieldPhone, ghl.FieldMonetary, ghl.FieldCheckbox,
	ghl.FieldSingleOptions, ghl.FieldMultipleOptions, ghl.FieldDate, ghl.FieldTextboxList, ghl.FieldFileUpload, ghl.FieldRadio}

// fieldBody is the create and update body (CreateCustomFieldsDTO,
// UpdateCustomFieldsDTO).
type fieldBody struct {
	Name               *string  `json:"name"`
	DataType           string   `json:"dataType"`
	Placeholder        *string  `json:"placeholder"`
	Position           *float64 `json:"position"`
	Model              string   `json:"model"`
	TextBoxListOptions []struct {
		Label string `json:"label"`
	} `json:"textBoxListOptions"`
}

var fieldKeys = []string{"name", "dataType", "placeholder", "acceptedFormat", "isMultipleFile", "maxNumberOfFiles",
	"textBoxListOptions", "position", "model"}

func listCustomFields(c *call) reply {
	model := c.query.Get("model")
	if model == "" {
		model = "contact"
	}
	if model != "contact" && model != "opportunity" && model != "all" {
		return unprocessable("model must be one of the following values: contact, opportunity, all")
	}
	l, rep, ok := c.location(c.params["locationId"])
	if !ok {
		return rep
	}
	out := []ghl.CustomFieldDefinition{}
	for _, f := range l.fields {
		if model == "all" || f.Model == model {
			out = append(out, *f)
		}
	}
	return jsonReply(http.StatusOK, map[string]any{"customFields": out})
}

func createCustomField(c *call) reply {
	var r fieldBody
	if rep, ok := c.decode(&r, fieldKeys...); !ok {
		return rep
	}
	var msgs []string
	if r.Name == nil || strings.TrimSpace(*r.Name) == "" {
		msgs = append(msgs, "name should not be empty")
	}
	if !slices.Contains(dataTypes, r.DataType) {
		msgs = append(msgs, "dataType must be a valid data type")
	}
	if r.Model != "" && r.Model != "contact" && r.Model != "opportunity" {
		msgs = append(msgs, "model must be one of the following values: contact, opportunity")
	}
	if len(msgs) > 0 {
		return unprocessable(msgs...)
	}
	l, rep, ok := c.location(c.params["locationId"])
	if !ok {
		return rep
	}
	d := &ghl.CustomFieldDefinition{ID: c.s.newID(), Name: strings.TrimSpace(*r.Name), DataType: r.DataType, LocationID: l.id, Model: r.Model}
	if d.Model == "" {
		d.Model = "contact"
	}
	d.FieldKey = d.Model + "." + fieldKey(d.Name)
	if slices.ContainsFunc(l.fields, func(f *ghl.CustomFieldDefinition) bool { return f.FieldKey == d.FieldKey }) {
		return errReply(http.StatusBadRequest, "A custom field with this name already exists")
	}
	r.applyTo(d)
	return customFields.add(l, d)
}

func (r *fieldBody) applyTo(d *ghl.CustomFieldDefinition) {
	if r.Name != nil && strings.TrimSpace(*r.Name) != "" {
		d.Name = strings.TrimSpace(*r.Name)
	}
	if r.Placeholder != nil {
		d.Placeholder = *r.Placeholder
	}
	if r.Position != nil {
		d.Position = *r.Position
	}
	if r.TextBoxListOptions != nil {
		d.PicklistOptions = nil
		for _, o := range r.TextBoxListOptions {
			d.PicklistOptions = append(d.PicklistOptions, o.Label)
		}
	}
}

func updateCustomField(c *call) reply {
	var r fieldBody
	keys := slices.DeleteFunc(slices.Clone(fieldKeys), func(k string) bool { return k == "dataType" })
	if rep, ok := c.decode(&r, keys...); !ok {
		return rep
	}
	if r.Name == nil || strings.TrimSpace(*r.Name) == "" {
		return unprocessable("name should not be empty")
	}
	if r.Model != "" && r.Model != "contact" && r.Model != "opportunity" {
		return unprocessable("model must be one of the following values: contact, opportunity")
	}
	_, list, i, rep, ok := customFields.find(c)
	if !ok {
		return rep
	}
	d := *(*list)[i]
	r.applyTo(&d)
	return customFields.replace(list, i, d)
}
