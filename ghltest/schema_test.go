package ghltest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/webhook"
)

// schemaNode is the part of an OpenAPI schema that names fields.
type schemaNode struct {
	Ref                  string                     `json:"$ref"`
	Type                 string                     `json:"type"`
	Properties           map[string]json.RawMessage `json:"properties"`
	Items                json.RawMessage            `json:"items"`
	AnyOf                []json.RawMessage          `json:"anyOf"`
	OneOf                []json.RawMessage          `json:"oneOf"`
	AllOf                []json.RawMessage          `json:"allOf"`
	AdditionalProperties json.RawMessage            `json:"additionalProperties"`
}

// specDoc is one OpenAPI file with the schemas its $refs reach.
type specDoc struct {
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas map[string]json.RawMessage `json:"schemas"`
	} `json:"components"`
}

func loadSpec(t *testing.T, name string) *specDoc {
	t.Helper()
	dir := os.Getenv("GHL_OPENAPI_DIR")
	if dir == "" {
		t.Skip("skipped: set GHL_OPENAPI_DIR to a directory holding apps/" + name + " to check against the OpenAPI spec")
	}
	raw, err := os.ReadFile(filepath.Join(dir, "apps", name))
	require.NoError(t, err)
	var d specDoc
	require.NoError(t, json.Unmarshal(raw, &d))
	return &d
}

// fieldNames walks value against schema and reports every object key the
// schema does not declare, with its JSON path. Objects declared without
// properties, and external $refs, accept any key.
func (d *specDoc) fieldNames(path string, schema json.RawMessage, value any) []string {
	var n schemaNode
	if len(schema) == 0 || json.Unmarshal(schema, &n) != nil {
		return nil
	}
	if n.Ref != "" {
		if !strings.HasPrefix(n.Ref, "#/components/schemas/") {
			return nil
		}
		return d.fieldNames(path, d.Components.Schemas[strings.TrimPrefix(n.Ref, "#/components/schemas/")], value)
	}
	if alts := append(n.AnyOf, n.OneOf...); len(alts) > 0 {
		var best []string
		for i, a := range alts {
			p := d.fieldNames(path, a, value)
			if len(p) == 0 {
				return nil
			}
			if i == 0 || len(p) < len(best) {
				best = p
			}
		}
		return best
	}
	props := map[string]json.RawMessage{}
	for k, v := range n.Properties {
		props[k] = v
	}
	for _, part := range n.AllOf {
		var pn schemaNode
		_ = json.Unmarshal(part, &pn)
		if pn.Ref != "" {
			_ = json.Unmarshal(d.Components.Schemas[strings.TrimPrefix(pn.Ref, "#/components/schemas/")], &pn)
		}
		for k, v := range pn.Properties {
			props[k] = v
		}
	}
	var problems []string
	switch v := value.(type) {
	case map[string]any:
		if len(props) == 0 {
			return nil // a free-form object
		}
		open := len(n.AdditionalProperties) > 0 && string(n.AdditionalProperties) != "false"
		for k, sub := range v {
			ps, ok := props[k]
			if !ok {
				if !open {
					problems = append(problems, path+"."+k)
				}
				continue
			}
			problems = append(problems, d.fieldNames(path+"."+k, ps, sub)...)
		}
	case []any:
		for _, el := range v {
			problems = append(problems, d.fieldNames(path+"[]", n.Items, el)...)
		}
	}
	return problems
}

// operationSchemas returns the request body schema and the 2xx answer
// schema of one operation.
func operationSchemas(t *testing.T, opRaw json.RawMessage) (req, resp json.RawMessage) {
	var op struct {
		RequestBody struct {
			Content map[string]struct {
				Schema json.RawMessage `json:"schema"`
			} `json:"content"`
		} `json:"requestBody"`
		Responses map[string]struct {
			Content map[string]struct {
				Schema json.RawMessage `json:"schema"`
			} `json:"content"`
		} `json:"responses"`
	}
	require.NoError(t, json.Unmarshal(opRaw, &op))
	req = op.RequestBody.Content["application/json"].Schema
	for code, r := range op.Responses {
		if strings.HasPrefix(code, "2") {
			resp = r.Content["application/json"].Schema
		}
	}
	return req, resp
}

// recordedBeyondSpec reports whether HighLevel is recorded sending a field
// its spec does not declare (ghl-api.md gives the sources). Anything else
// ghltest sends, or the SDK sends, outside the spec is a defect.
func (d *specDoc) recordedBeyondSpec(method, path, side, field string) bool {
	if side != "answer" || method != "get" {
		return false
	}
	switch path {
	case "/contacts/", "/contacts/business/{businessId}":
		// "Real responses are {contacts, meta}" and list items "carry more
		// fields" than SearchContact: those of the contact GET returns.
		if field == ".meta" || strings.HasPrefix(field, ".meta.") {
			return true
		}
		if name, ok := strings.CutPrefix(field, ".contacts[]."); ok {
			var full schemaNode
			_ = json.Unmarshal(d.Components.Schemas["GetContectByIdSchema"], &full)
			_, declared := full.Properties[strings.SplitN(name, ".", 2)[0]]
			return declared
		}
	}
	return false
}

// TestSpecFieldNames checks every field name, at every depth, of every body
// the SDK sends and every answer ghltest gives against the schemas of
// HighLevel's OpenAPI file: a wrong JSON tag in the SDK round-trips through
// ghltest unnoticed, but not through this.
func TestSpecFieldNames(t *testing.T) {
	spec := loadSpec(t, "contacts.json")
	_, seen := runAllOperations(t)
	covered := checkExchanges(t, spec, seen, "/contacts")
	assert.Len(t, covered, 32, "every contacts.json operation: %v", covered)
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// TestLocationTagsAgainstSpec drives the location tag operations through
// the SDK and checks statuses and every field name, both ways, against
// locations.json.
func TestLocationTagsAgainstSpec(t *testing.T) {
	spec := loadSpec(t, "locations.json")
	srv := ghltest.NewServer()
	t.Cleanup(srv.Close)
	tp := &tape{}
	c, err := srv.Client(ghl.WithHTTPClient(&http.Client{Transport: tp}))
	require.NoError(t, err)
	ctx := context.Background()

	vip, err := c.Tags.CreateLocation(ctx, "", "VIP")
	require.NoError(t, err)
	assert.Equal(t, "VIP", vip.Name)
	assert.Equal(t, ghltest.DefaultLocationID, vip.LocationID)
	_, err = c.Tags.CreateLocation(ctx, "", "vip")
	assert.Error(t, err, "a second tag of the same name is refused")
	_, err = c.Tags.CreateLocation(ctx, "", "Newsletter")
	require.NoError(t, err)
	tags, err := c.Tags.ListLocation(ctx, "")
	require.NoError(t, err)
	assert.Len(t, tags, 2)
	got, err := c.Tags.GetLocation(ctx, "", vip.ID)
	require.NoError(t, err)
	assert.Equal(t, *vip, *got)
	upd, err := c.Tags.UpdateLocation(ctx, "", vip.ID, "Gold")
	require.NoError(t, err)
	assert.Equal(t, "Gold", upd.Name)
	require.NoError(t, c.Tags.DeleteLocation(ctx, "", vip.ID))
	_, err = c.Tags.GetLocation(ctx, "", vip.ID)
	assert.ErrorIs(t, err, ghl.ErrNotFound)
	_, err = c.Tags.ListLocation(ctx, "OtherLocation0000001")
	assert.ErrorIs(t, err, ghl.ErrForbidden)

	covered := checkExchanges(t, spec, tp.seen, "/tags")
	assert.Len(t, covered, 5, "all five tag operations: %v", covered)
}

// checkExchanges checks the exchanges on spec paths containing part: each
// 2xx status is one the operation declares, and every field name, both
// ways, is in its schemas. It returns the operations exercised.
func checkExchanges(t *testing.T, spec *specDoc, seen []exchange, part string) map[string]bool {
	t.Helper()
	var problems []string
	covered := map[string]bool{}
	for p, methods := range spec.Paths {
		if !strings.Contains(p, part) {
			continue
		}
		for m, opRaw := range methods {
			reqSchema, respSchema := operationSchemas(t, opRaw)
			var op struct {
				Responses map[string]json.RawMessage `json:"responses"`
			}
			require.NoError(t, json.Unmarshal(opRaw, &op))
			for _, ex := range seen {
				if !strings.EqualFold(ex.Method, m) || bestTemplate(spec, m, ex.Path) != p || ex.Status >= 300 {
					continue
				}
				covered[strings.ToUpper(m)+" "+p] = true
				_, declared := op.Responses[strconv.Itoa(ex.Status)]
				assert.True(t, declared, "%s %s answered %d", m, p, ex.Status)
				for _, side := range []struct {
					name   string
					schema json.RawMessage
					body   []byte
				}{{"request", reqSchema, ex.ReqBody}, {"answer", respSchema, ex.Body}} {
					if len(side.body) == 0 || len(side.schema) == 0 {
						continue
					}
					var v any
					require.NoError(t, json.Unmarshal(side.body, &v))
					for _, f := range spec.fieldNames("", side.schema, v) {
						if !spec.recordedBeyondSpec(m, p, side.name, f) {
							problems = append(problems, strings.ToUpper(m)+" "+p+" "+side.name+": "+f)
						}
					}
				}
			}
		}
	}
	sort.Strings(problems)
	assert.Empty(t, dedupe(problems), "field names the spec does not declare")
	return covered
}

// bestTemplate is the spec path of method that matches p with the most
// literal segments ("/calendars/events" is not "/calendars/{calendarId}").
func bestTemplate(spec *specDoc, method, p string) string {
	best, score := "", -1
	for tmpl, methods := range spec.Paths {
		if _, ok := methods[method]; !ok || !pathMatches(tmpl, p) {
			continue
		}
		n := 0
		for _, seg := range strings.Split(tmpl, "/") {
			if !strings.HasPrefix(seg, "{") {
				n++
			}
		}
		if n > score {
			best, score = tmpl, n
		}
	}
	return best
}

// TestCustomFieldsAgainstSpec drives the custom-field definition operations
// through the SDK and checks them against locations.json.
func TestCustomFieldsAgainstSpec(t *testing.T) {
	spec := loadSpec(t, "locations.json")
	srv := ghltest.NewServer()
	t.Cleanup(srv.Close)
	tp := &tape{}
	c, err := srv.Client(ghl.WithHTTPClient(&http.Client{Transport: tp}))
	require.NoError(t, err)
	ctx := context.Background()

	defs, err := c.CustomFields.List(ctx, "", "")
	require.NoError(t, err)
	assert.Len(t, defs, 2, "the seeded score and plan fields")
	tier, err := c.CustomFields.Create(ctx, "", ghl.CreateCustomFieldRequest{Name: "Member tier", DataType: ghl.FieldMultipleOptions,
		Options: []ghl.CustomFieldOption{{Label: "gold"}, {Label: "silver"}}})
	require.NoError(t, err)
	assert.Equal(t, "contact.member_tier", tier.FieldKey)
	assert.Equal(t, []string{"gold", "silver"}, tier.PicklistOptions)
	got, err := c.CustomFields.Get(ctx, "", tier.ID)
	require.NoError(t, err)
	assert.Equal(t, *tier, *got)
	upd, err := c.CustomFields.Update(ctx, "", tier.ID, ghl.UpdateCustomFieldRequest{Name: "Tier", Placeholder: "Pick one"})
	require.NoError(t, err)
	assert.Equal(t, "Tier", upd.Name)
	require.NoError(t, c.CustomFields.Delete(ctx, "", tier.ID))
	_, err = c.CustomFields.Get(ctx, "", tier.ID)
	assert.ErrorIs(t, err, ghl.ErrNotFound)
	_, err = c.CustomFields.Create(ctx, "", ghl.CreateCustomFieldRequest{Name: "x", DataType: "COLOR"})
	assert.ErrorIs(t, err, ghl.ErrInvalidInput)

	covered := checkExchanges(t, spec, tp.seen, "/customFields")
	assert.Len(t, covered, 5, "the five definition operations: %v", covered)
}

// TestCalendarsAgainstSpec drives the calendars operations ghltest serves
// through the SDK, checks them against calendars.json, and receives the
// appointment webhooks.
func TestCalendarsAgainstSpec(t *testing.T) {
	spec := loadSpec(t, "calendars.json")
	now := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	srv := ghltest.NewServer(ghltest.WithClock(func() time.Time { return now }))
	t.Cleanup(srv.Close)
	v, err := srv.WebhookVerifier(webhook.WithClock(func() time.Time { return now }))
	require.NoError(t, err)
	var mu sync.Mutex
	var hooks []string
	recv := httptest.NewServer(webhook.NewHandler(v, webhook.NewMux().OnAppointment(func(_ context.Context, e *webhook.AppointmentEvent) error {
		mu.Lock()
		hooks = append(hooks, e.Type+" "+e.Appointment.ID)
		mu.Unlock()
		return nil
	}).Handle))
	defer recv.Close()
	srv.DeliverWebhooks(recv.URL, nil)
	tp := &tape{}
	c, err := srv.Client(ghl.WithHTTPClient(&http.Client{Transport: tp}))
	require.NoError(t, err)
	ctx := context.Background()
	ct, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("cal@example.com")})
	require.NoError(t, err)

	slots, err := c.Appointments.FreeSlots(ctx, ghltest.DefaultCalendarID, ghl.FreeSlotsQuery{Start: now, End: now.Add(24 * time.Hour)})
	require.NoError(t, err)
	day := slots["2026-11-30"]
	require.NotEmpty(t, day)
	a, err := c.Appointments.Create(ctx, ghl.CreateAppointmentRequest{CalendarID: ghltest.DefaultCalendarID, ContactID: ct.ID, StartTime: day[0]})
	require.NoError(t, err)
	_, err = c.Appointments.Get(ctx, a.ID)
	require.NoError(t, err)
	_, err = c.Appointments.Update(ctx, a.ID, ghl.UpdateAppointmentRequest{StartTime: day[2]})
	require.NoError(t, err)
	_, err = c.Appointments.Events(ctx, ghl.EventsQuery{CalendarID: ghltest.DefaultCalendarID, Start: now, End: now.Add(24 * time.Hour)})
	require.NoError(t, err)
	n, err := c.Appointments.CreateNote(ctx, a.ID, ghl.AppointmentNoteRequest{Body: "first"})
	require.NoError(t, err)
	_, _, err = c.Appointments.ListNotes(ctx, a.ID, 5, 0)
	require.NoError(t, err)
	_, err = c.Appointments.UpdateNote(ctx, a.ID, n.ID, ghl.AppointmentNoteRequest{Body: "second"})
	require.NoError(t, err)
	require.NoError(t, c.Appointments.DeleteNote(ctx, a.ID, n.ID))
	require.NoError(t, c.Appointments.Delete(ctx, a.ID))

	covered := checkExchanges(t, spec, tp.seen, "/calendars/")
	assert.Len(t, covered, 10, "the ten calendars operations ghltest serves: %v", covered)

	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	require.NoError(t, srv.WaitWebhooks(wctx))
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"AppointmentCreate " + a.ID, "AppointmentUpdate " + a.ID, "AppointmentDelete " + a.ID}, hooks)
}
