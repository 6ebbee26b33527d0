package ghl_test

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
)

// Payloads shaped like the spec's examples.
const (
	contactJSON = `{"id":"ocQHyuzHvysMo5N5VsXc","name":"rosan Deo","locationId":"ve9EPM428h8vShlRW1KT",
		"firstName":"rosan","lastName":"Deo","email":"rosan@deos.com","emailLowerCase":"rosan@deos.com",
		"timezone":"Asia/Calcutta","companyName":"DGS VolMAX","phone":"+1 888-888-8888","dnd":true,
		"dndSettings":{"Call":{"status":"active","message":"string","code":"string"}},"type":"read",
		"source":"public api","assignedTo":"182goXVW3lIExEQPOnd3","address1":"3535 1st St N","city":"Dolomite",
		"state":"AL","country":"US","postalCode":"35061","website":"https://www.tesla.com","tags":["nisi sint commodo amet","consequat"],
		"dateOfBirth":"1990-09-25","dateAdded":"2021-07-02T05:18:26.704Z","dateUpdated":"2021-07-02T05:18:26.704Z",
		"attachments":"string","ssn":"string","keyword":"test","firstNameLowerCase":"rosan","fullNameLowerCase":"rosan deo",
		"lastNameLowerCase":"deo","lastActivity":"2021-07-16T11:39:30.564Z",
		"customFields":[{"id":"MgobCB14YMVKuE4Ka8p1","value":"name"},{"id":"num","value":42},{"id":"multi","value":["a","b"]}],
		"businessId":"641c094001436dbc2081e642",
		"attributionSource":{"url":"https://example.com","campaign":"","utmSource":"","sessionSource":"CRM UI","medium":"manual"},
		"lastAttributionSource":{"url":"https://example.com/last"},"visitorId":"string","unknownField":{"x":1}}`
	taskJSON        = `{"id":"ve9EPM428h8vShlRW1KT","title":"Task 1","body":"Task description","assignedTo":"ve9EPM428h8vShlRW1KT","dueDate":"2020-10-25T11:00:00.000Z","completed":false,"contactId":"ocQHyuzHvysMo5N5VsXc"}`
	noteJSON        = `{"id":"ve9EPM428h8vShlRW1KT","body":"Note body","userId":"ve9EPM428h8vShlRW1KT","dateAdded":"2024-06-05T11:00:00.000Z","contactId":"ocQHyuzHvysMo5N5VsXc","title":"Call recap","color":"#FFAA00","pinned":true}`
	appointmentJSON = `{"id":"ocQHyuzHvysMo5N5VsXc","calendarId":"BqTwX8QFwXzpegMve9EV","status":"booked","title":"Appointment with GHL Dev team","assignedUserId":"YlWd2wuCAZQzh2cH1fVZ","notes":"Some dummy note","startTime":"2021-07-16 11:00:00","endTime":"2021-07-16 12:00:00","address":"https://meet.google.com/yqp-gogr-wve","locationId":"ve9EPM428h8vShlRW1KT","contactId":"ocQHyuzHvysMo5N5VsXc","groupId":"ocQHyuzHvysMo5N5VsXc","appointmentStatus":"confirmed","users":["YlWd2wuCAZQzh2cH1fVZ"],"dateAdded":"2021-07-16 11:00:00","dateUpdated":"2021-07-16 11:00:00","assignedResources":["ocQHyuzHvysMo5N5VsXc"]}`
)

type opCase struct {
	name      string
	call      func(context.Context, *ghl.Client) (any, error)
	method    string
	path      string // below the base path
	query     url.Values
	body      string // expected JSON body; "" means no body
	status    int
	answer    string
	check     func(t *testing.T, got any)
	operation string // the spec's operationId, to count coverage
}

func contactCheck(t *testing.T, got any) {
	c := got.(*ghl.Contact)
	assert.Equal(t, contactID, c.ID)
	assert.Equal(t, "rosan@deos.com", c.Email)
	assert.Equal(t, "active", c.DNDSettings.Call.Status)
	assert.Equal(t, []string{"nisi sint commodo amet", "consequat"}, c.Tags)
	assert.Equal(t, time.Date(2021, 7, 2, 5, 18, 26, 704e6, time.UTC), c.DateAdded.Time)
	assert.Equal(t, time.Date(1990, 9, 25, 0, 0, 0, 0, time.UTC), c.DateOfBirth.Time)
	n, ok := c.CustomFields[1].Number()
	assert.True(t, ok)
	assert.Equal(t, 42.0, n)
	l, _ := c.CustomFields[2].Strings()
	assert.Equal(t, []string{"a", "b"}, l)
	assert.Equal(t, "https://example.com", c.AttributionSource.URL)
}

func operationCases() []opCase {
	start := time.Date(2021, 6, 23, 3, 30, 0, 0, time.FixedZone("", 3600))
	due := time.Date(2020, 10, 25, 11, 0, 0, 0, time.UTC)
	return []opCase{
		{name: "Contacts.Get", operation: "get-contact", method: "GET", path: "/contacts/" + contactID,
			call:   func(ctx context.Context, c *ghl.Client) (any, error) { return c.Contacts.Get(ctx, contactID) },
			answer: `{"contact":` + contactJSON + `}`, check: contactCheck},
		{name: "Contacts.Create", operation: "create-contact", method: "POST", path: "/contacts/",
			call: func(ctx context.Context, c *ghl.Client) (any, error) {
				return c.Contacts.Create(ctx, ghl.CreateContactRequest{FirstName: ghl.Ptr("Rosan"), Email: ghl.Ptr("rosan@deos.com"),
					Phone: ghl.Ptr("+18888888888"), Tags: []string{"vip"}, DNDSettings: &ghl.DNDSettings{SMS: &ghl.DNDSetting{Status: "inactive"}},
					CustomFields: []ghl.CustomFieldInput{{ID: "6dvNaf7VhkQ9snc5vnjJ", Value: "My Text"}, {Key: "contact.score", Value: 7}}})
			},
			body: `{"locationId":"ve9EPM428h8vShlRW1KT","firstName":"Rosan","email":"rosan@deos.com","phone":"+18888888888",
				"dndSettings":{"SMS":{"status":"inactive"}},"tags":["vip"],
				"customFields":[{"id":"6dvNaf7VhkQ9snc5vnjJ","field_value":"My Text"},{"key":"contact.score","field_value":7}]}`,
			status: 201, answer: `{"contact":{"id":"seD4PfOuKoVMLkEZqohJ","dateAdded":"2021-07-16T11:39:30.564Z","deleted":false,"tags":["vip"],"type":"lead","locationId":"ve9EPM428h8vShlRW1KT","firstName":"Rosan","email":"rosan@deos.com","bounceEmail":false,"unsubscribeEmail":false,"dnd":false,"dateOfBirth":"1990-09-25T00:00:00.000Z","birthMonth":8,"birthDay":25,"offers":[],"products":[]}}`,
			check: func(t *testing.T, got any) {
				c := got.(*ghl.Contact)
				assert.Equal(t, "seD4PfOuKoVMLkEZqohJ", c.ID)
				assert.Equal(t, 8, c.BirthMonth)
				assert.Equal(t, 1990, c.DateOfBirth.Year())
			}},
		{name: "Contacts.Update", operation: "update-contact", method: "PUT", path: "/contacts/" + contactID,
			call: func(ctx context.Context, c *ghl.Client) (any, error) {
				return c.Contacts.Update(ctx, contactID, ghl.UpdateContactRequest{LastName: ghl.Ptr(""), Tags: []string{}, DND: ghl.Ptr(false)})
			},
			body: `{"lastName":"","dnd":false,"tags":[]}`, answer: `{"succeded":true,"contact":` + contactJSON + `}`, check: contactCheck},
		{name: "Contacts.Delete", operation: "delete-contact", method: "DELETE", path: "/contacts/" + contactID,
			call:   func(ctx context.Context, c *ghl.Client) (any, error) { return nil, c.Contacts.Delete(ctx, contactID) },
			answer: `{"succeded":true}`},
		{name: "Contacts.Upsert", operation: "upsert-contact", method: "POST", path: "/contacts/upsert",
			call: func(ctx context.Context, c *ghl.Client) (any, error) {
				return c.Contacts.Upsert(ctx, ghl.UpsertContactRequest{CreateContactRequest: ghl.CreateContactRequest{Email: ghl.Ptr("rosan@deos.com")},
					CreateNewIfDuplicateAllowed: ghl.Ptr(false)})
			},
			body:   `{"locationId":"ve9EPM428h8vShlRW1KT","email":"rosan@deos.com","createNewIfDuplicateAllowed":false}`,
			answer: `{"new":true,"contact":` + contactJSON + `,"traceId":"string"}`,
			check: func(t *testing.T, got any) {
				r := got.(*ghl.UpsertResult)
				assert.True(t, r.Created)
				assert.Equal(t, "string", r.TraceID)
				contactCheck(t, &r.Contact)
			}},
		{name: "Contacts.Search", operation: "search-contacts-advanced", method: "POST", path: "/contacts/search",
			call: func(ctx context.Context, c *ghl.Client) (any, error) {
				return c.Contacts.Search(ctx, ghl.SearchRequest{PageLimit: 20, Page: 1,
					Filters: []ghl.Filter{ghl.Eq("dnd", true), ghl.Or(ghl.Contains("firstNameLowerCase", "ros"), ghl.NotExists("email")),
						ghl.InRange("dateAdded", ghl.Range{GTE: "2021-01-01", LT: "2022-01-01"})},
					Sort: []ghl.Sort{{Field: "dateAdded", Direction: "desc"}}})
			},
			body: `{"locationId":"ve9EPM428h8vShlRW1KT","pageLimit":20,"page":1,
				"filters":[{"field":"dnd","operator":"eq","value":true},
					{"group":"OR","filters":[{"field":"firstNameLowerCase","operator":"contains","value":"ros"},{"field":"email","operator":"not_exists"}]},
					{"field":"dateAdded","operator":"range","value":{"gte":"2021-01-01","lt":"2022-01-01"}}],
				"sort":[{"field":"dateAdded","direction":"desc"}]}`,
			answer: `{"contacts":[` + contactJSON[:len(contactJSON)-1] + `,"searchAfter":[1625203106704,"ocQHyuzHvysMo5N5VsXc"]}],"total":1}`,
			check: func(t *testing.T, got any) {
				r := got.(*ghl.SearchResult)
				assert.Equal(t, 1, r.Total)
				require.Len(t, r.Contacts, 1)
				assert.JSONEq(t, `[1625203106704,"ocQHyuzHvysMo5N5VsXc"]`, string(r.SearchAfter))
			}},
		{name: "Contacts.List", operation: "get-contacts", method: "GET", path: "/contacts/",
			query: url.Values{"locationId": {testLocation}, "limit": {"50"}, "query": {"ros"}, "startAfterId": {"UIaE1WjAwWKdlyD7osQI"}, "startAfter": {"1603870249758"}},
			call: func(ctx context.Context, c *ghl.Client) (any, error) {
				return c.Contacts.List(ctx, ghl.ListOptions{Limit: 50, Query: "ros", StartAfterID: "UIaE1WjAwWKdlyD7osQI", StartAfter: 1603870249758})
			},
			answer: `{"contacts":[` + contactJSON + `],"meta":{"total":1,"nextPageUrl":"http://x/contacts?startAfterId=a","startAfterId":"a","startAfter":1,"currentPage":1,"nextPage":2,"prevPage":null}}`,
			check: func(t *testing.T, got any) {
				r := got.(*ghl.ListResult)
				assert.Equal(t, 1, r.Total)
				assert.Equal(t, "a", r.Meta.StartAfterID)
				assert.Equal(t, 2, r.Meta.NextPage)
			}},
		{name: "Contacts.ListByBusiness", operation: "get-contacts-by-businessId", method: "GET", path: "/contacts/business/641c094001436dbc2081e642",
			query: url.Values{"locationId": {testLocation}, "limit": {"10"}, "skip": {"20"}, "query": {"x"}},
			call: func(ctx context.Context, c *ghl.Client) (any, error) {
				return c.Contacts.ListByBusiness(ctx, "641c094001436dbc2081e642", ghl.BusinessListOptions{Limit: 10, Skip: 20, Query: "x"})
			},
			answer: `{"contacts":[` + contactJSON + `],"count":21}`,
			check:  func(t *testing.T, got any) { assert.Equal(t, 21, got.(*ghl.BusinessListResult).Count) }},
		{name: "Contacts.FindDuplicate", operation: "get-duplicate-contact", method: "GET", path: "/contacts/search/duplicate",
			query: url.Values{"locationId": {testLocation}, "email": {"a+b@x.com"}, "number": {"+18888888888"}},
			call: func(ctx context.Context, c *ghl.Client) (any, error) {
				return c.Contacts.FindDuplicate(ctx, ghl.DuplicateQuery{Email: "a+b@x.com", Phone: "+18888888888"})
			},
			answer: `{"contact":` + contactJSON + `}`, check: contactCheck},
		{name: "Contacts.AddFollowers", operation: "add-followers-contact", method: "POST", path: "/contacts/" + contactID + "/followers",
			call: func(ctx context.Context, c *ghl.Client) (any, error) {
				return c.Contacts.AddFollowers(ctx, contactID, []string{"sx6wyHhbFdRXh302LLNR"})
			},
			body: `{"followers":["sx6wyHhbFdRXh302LLNR"]}`, status: 201,
			answer: `{"followers":["sx6wyHhbFdRXh302LLNR","u2"],"followersAdded":["sx6wyHhbFdRXh302LLNR"]}`,
			check: func(t *testing.T, got any) {
				assert.Equal(t, []string{"sx6wyHhbFdRXh302LLNR"}, got.(*ghl.Followers).Added)
			}},
		{name: "Contacts.RemoveFollowers", operation: "remove-followers-contact", method: "DELETE", path: "/contacts/" + contactID + "/followers",
			call: func(ctx context.Context, c *ghl.Client) (any, error) {
				return c.Contacts.RemoveFollowers(ctx, contactID, []string{"sx6wyHhbFdRXh302LLNR"})
			},
			body: `{"followers":["sx6wyHhbFdRXh302LLNR"]}`, answer: `{"followers":["u2"],"followersRemoved":["sx6wyHhbFdRXh302LLNR"]}`,
			check: func(t *testing.T, got any) { assert.Equal(t, []string{"u2"}, got.(*ghl.Followers).Followers) }},
		{name: "Contacts.AddToCampaign", operation: "add-contact-to-campaign", method: "POST", path: "/contacts/" + contactID + "/campaigns/CAMPAIGN0000000000001",
			call: func(ctx context.Context, c *ghl.Client) (any, error) {
				return nil, c.Contacts.AddToCampaign(ctx, contactID, "CAMPAIGN0000000000001")
			},
			body: `{}`, status: 201, answer: `{"succeded":true}`},
		{name: "Contacts.RemoveFromCampaign", operation: "remove-contact-from-campaign", method: "DELETE", path: "/contacts/" + contactID + "/campaigns/CAMPAIGN0000000000001",
			call: func(ctx context.Context, c *ghl.Client) (any, error) {
				return nil, c.Contacts.RemoveFromCampaign(ctx, contactID, "CAMPAIGN0000000000001")
			},
			answer: `{"succeded":true}`},
		{name: "Contacts.RemoveFromAllCampaigns", operation: "remove-contact-from-every-campaign", method: "DELETE", path: "/contacts/" + contactID + "/campaigns/removeAll",
			call: func(ctx context.Context, c *ghl.Client) (any, error) {
				return nil, c.Contacts.RemoveFromAllCampaigns(ctx, contactID)
			},
			answer: `{"succeded":true}`},
		{name: "Contacts.AddToWorkflow", operation: "add-contact-to-workflow", method: "POST", path: "/contacts/" + contactID + "/workflow/78559bb3-b920-461e-b010-7b2a2816d2a9",
			call: func(ctx context.Context, c *ghl.Client) (any, error) {
				return nil, c.Contacts.AddToWorkflow(ctx, contactID, "78559bb3-b920-461e-b010-7b2a2816d2a9", start)
			},
			body: `{"eventStartTime":"2021-06-23T03:30:00+01:00"}`, answer: `{"succeded":true}`},
		{name: "Contacts.RemoveFromWorkflow", operation: "delete-contact-from-workflow", method: "DELETE", path: "/contacts/" + contactID + "/workflow/78559bb3-b920-461e-b010-7b2a2816d2a9",
			call: func(ctx context.Context, c *ghl.Client) (any, error) {
				return nil, c.Contacts.RemoveFromWorkflow(ctx, contactID, "78559bb3-b920-461e-b010-7b2a2816d2a9", start)
			},
			body: `{"eventStartTime":"2021-06-23T03:30:00+01:00"}`, answer: `{"succeded":true}`},
		{name: "Contacts.BulkAddTags", operation: "create-association", method: "POST", path: "/contacts/bulk/tags/update/add",
			call: func(ctx context.Context, c *ghl.Client) (any, error) {
				return c.Contacts.BulkAddTags(ctx, ghl.BulkTagsRequest{ContactIDs: []string{contactID}, Tags: []string{"tag1"}})
			},
			body: `{"locationId":"ve9EPM428h8vShlRW1KT","contacts":["ocQHyuzHvysMo5N5VsXc"],"tags":["tag1"]}`, status: 201,
			answer: `{"succeded":true,"errorCount":0,"responses":[{"contactId":"ocQHyuzHvysMo5N5VsXc","message":"Tags updated","type":"success","oldTags":[],"tagsAdded":["tag1"],"tagsRemoved":[]},"plain text"]}`,
			check: func(t *testing.T, got any) {
				r := got.(*ghl.BulkTagsResult)
				assert.True(t, r.Succeeded)
				require.Len(t, r.Responses, 2)
				assert.Equal(t, []string{"tag1"}, r.Responses[0].TagsAdded)
				assert.Equal(t, "plain text", r.Responses[1].Message)
			}},
		{name: "Contacts.BulkRemoveTags", operation: "create-association", method: "POST", path: "/contacts/bulk/tags/update/remove",
			call: func(ctx context.Context, c *ghl.Client) (any, error) {
				return c.Contacts.BulkRemoveTags(ctx, ghl.BulkTagsRequest{ContactIDs: []string{contactID}, RemoveAllTags: true})
			},
			body: `{"locationId":"ve9EPM428h8vShlRW1KT","contacts":["ocQHyuzHvysMo5N5VsXc"],"tags":[],"removeAllTags":true}`, status: 201,
			answer: `{"succeded":true,"errorCount":0,"responses":[]}`},
		{name: "Contacts.BulkAddToBusiness", operation: "add-remove-contact-from-business", method: "POST", path: "/contacts/bulk/business",
			call: func(ctx context.Context, c *ghl.Client) (any, error) {
				return c.Contacts.BulkAddToBusiness(ctx, "641c094001436dbc2081e642", ghl.BulkBusinessRequest{ContactIDs: []string{contactID}})
			},
			body:   `{"locationId":"ve9EPM428h8vShlRW1KT","ids":["ocQHyuzHvysMo5N5VsXc"],"businessId":"641c094001436dbc2081e642"}`,
			answer: `{"success":true,"ids":["ocQHyuzHvysMo5N5VsXc"]}`},
		{name: "Contacts.BulkRemoveFromBusiness", operation: "add-remove-contact-from-business", method: "POST", path: "/contacts/bulk/business",
			call: func(ctx context.Context, c *ghl.Client) (any, error) {
				return c.Contacts.BulkRemoveFromBusiness(ctx, ghl.BulkBusinessRequest{ContactIDs: []string{contactID}})
			},
			body:   `{"locationId":"ve9EPM428h8vShlRW1KT","ids":["ocQHyuzHvysMo5N5VsXc"],"businessId":null}`,
			answer: `{"success":true,"ids":["ocQHyuzHvysMo5N5VsXc"]}`},
		{name: "Tasks.List", operation: "get-all-tasks", method: "GET", path: "/contacts/" + contactID + "/tasks",
			call:   func(ctx context.Context, c *ghl.Client) (any, error) { return c.Tasks.List(ctx, contactID) },
			answer: `{"tasks":[` + taskJSON + `]}`,
			check:  func(t *testing.T, got any) { assert.Equal(t, due, got.([]ghl.Task)[0].DueDate.Time) }},
		{name: "Tasks.Get", operation: "get-task", method: "GET", path: "/contacts/" + contactID + "/tasks/ve9EPM428h8vShlRW1KT",
			call: func(ctx context.Context, c *ghl.Client) (any, error) {
				return c.Tasks.Get(ctx, contactID, "ve9EPM428h8vShlRW1KT")
			},
			answer: `{"task":` + taskJSON + `}`,
			check:  func(t *testing.T, got any) { assert.Equal(t, "Task 1", got.(*ghl.Task).Title) }},
		{name: "Tasks.Create", operation: "create-task", method: "POST", path: "/contacts/" + contactID + "/tasks",
			call: func(ctx context.Context, c *ghl.Client) (any, error) {
				return c.Tasks.Create(ctx, contactID, ghl.CreateTaskRequest{Title: "Task 1", Body: "Task description", DueDate: due, AssignedTo: "ve9EPM428h8vShlRW1KT"})
			},
			body:   `{"title":"Task 1","body":"Task description","dueDate":"2020-10-25T11:00:00Z","completed":false,"assignedTo":"ve9EPM428h8vShlRW1KT"}`,
			status: 201, answer: `{"task":` + taskJSON + `}`,
			check: func(t *testing.T, got any) { assert.Equal(t, "ve9EPM428h8vShlRW1KT", got.(*ghl.Task).ID) }},
		{name: "Tasks.Update", operation: "update-task", method: "PUT", path: "/contacts/" + contactID + "/tasks/ve9EPM428h8vShlRW1KT",
			call: func(ctx context.Context, c *ghl.Client) (any, error) {
				return c.Tasks.Update(ctx, contactID, "ve9EPM428h8vShlRW1KT", ghl.UpdateTaskRequest{Title: ghl.Ptr("Renamed"), DueDate: &due})
			},
			body: `{"title":"Renamed","dueDate":"2020-10-25T11:00:00Z"}`, answer: `{"task":` + taskJSON + `}`},
		{name: "Tasks.Complete", operation: "update-task-completed", method: "PUT", path: "/contacts/" + contactID + "/tasks/ve9EPM428h8vShlRW1KT/completed",
			call: func(ctx context.Context, c *ghl.Client) (any, error) {
				return c.Tasks.Complete(ctx, contactID, "ve9EPM428h8vShlRW1KT", true)
			},
			body: `{"completed":true}`, answer: `{"task":{"id":"ve9EPM428h8vShlRW1KT","completed":true}}`,
			check: func(t *testing.T, got any) { assert.True(t, got.(*ghl.Task).Completed) }},
		{name: "Tasks.Delete", operation: "delete-task", method: "DELETE", path: "/contacts/" + contactID + "/tasks/ve9EPM428h8vShlRW1KT",
			call: func(ctx context.Context, c *ghl.Client) (any, error) {
				return nil, c.Tasks.Delete(ctx, contactID, "ve9EPM428h8vShlRW1KT")
			},
			answer: `{"succeded":true}`},
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
		{name: "Tags.Add", operation: "add-tags", method: "POST", path: "/contacts/" + contactID + "/tags",
			call: func(ctx context.Context, c *ghl.Client) (any, error) {
				return c.Tags.Add(ctx, contactID, []string{"minim"})
			},
			body: `{"tags":["minim"]}`, status: 201, answer: `{"tags":["minim","old"]}`,
			check: func(t *testing.T, got any) { assert.Equal(t, []string{"minim", "old"}, got) }},
		{name: "Tags.Remove", operation: "remove-tags", method: "DELETE", path: "/contacts/" + contactID + "/tags",
			call: func(ctx context.Context, c *ghl.Client) (any, error) {
				return c.Tags.Remove(ctx, contactID, []string{"minim"})
			},
			body: `{"tags":["minim"]}`, answer: `{"tags":["old"]}`},
		{name: "Appointments.List", operation: "get-appointments-for-contact", method: "GET", path: "/contacts/" + contactID + "/appointments",
			call:   func(ctx context.Context, c *ghl.Client) (any, error) { return c.Appointments.List(ctx, contactID) },
			answer: `{"events":[` + appointmentJSON + `]}`,
			check: func(t *testing.T, got any) {
				a := got.([]ghl.Appointment)[0]
				assert.Equal(t, time.Date(2021, 7, 16, 11, 0, 0, 0, time.UTC), a.StartTime.Time)
				assert.Equal(t, "confirmed", a.AppointmentStatus)
			}},
	}
}

// TestOperations sends every operation and checks the exact request and the
// decoded answer.
func TestOperations(t *testing.T) {
	ops := map[string]bool{}
	for _, tc := range operationCases() {
		t.Run(tc.name, func(t *testing.T) {
			status := tc.status
			if status == 0 {
				status = 200
			}
			rec := newRecorder(t, answer{status: status, body: tc.answer})
			got, err := tc.call(context.Background(), rec.client())
			require.NoError(t, err)
			reqs := rec.requests()
			require.Len(t, reqs, 1)
			r := reqs[0]
			assert.Equal(t, tc.method, r.Method)
			assert.Equal(t, basePath+tc.path, r.Path)
			gotQuery, _ := url.ParseQuery(r.RawQuery)
			if tc.query == nil {
				assert.Empty(t, r.RawQuery)
			} else {
				assert.Equal(t, tc.query, gotQuery)
			}
			assert.Equal(t, "2021-07-28", r.Header.Get("Version"))
			assert.Equal(t, "Bearer "+testToken, r.Header.Get("Authorization"))
			assert.Equal(t, "application/json", r.Header.Get("Accept"))
			if tc.body == "" {
				assert.Empty(t, r.Body)
				assert.Empty(t, r.Header.Get("Content-Type"))
			} else {
				assert.JSONEq(t, tc.body, string(r.Body))
				assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
			}
			if tc.check != nil {
				tc.check(t, got)
			}
		})
		ops[tc.operation] = true
	}
	assert.Len(t, ops, 32, "every operation of contacts.json is covered")
}

func TestFindDuplicateEncodesPlus(t *testing.T) {
	rec := newRecorder(t, answer{status: 200, body: `{"contact":null}`})
	c, err := rec.client().Contacts.FindDuplicate(context.Background(), ghl.DuplicateQuery{Phone: "+15550100"})
	require.NoError(t, err)
	assert.Nil(t, c)
	assert.Contains(t, rec.requests()[0].RawQuery, "number=%2B15550100")
}

func TestUnknownAndOddFieldsDecode(t *testing.T) {
	var c ghl.Contact
	require.NoError(t, json.Unmarshal([]byte(`{"id":"x","dateOfBirth":"Date format YYYY-MM-DD","dateAdded":1625203106704,
		"followers":"u1","attachments":[{"url":"a"}],"newThing":[1,2]}`), &c))
	assert.Equal(t, "Date format YYYY-MM-DD", c.DateOfBirth.Raw)
	assert.True(t, c.DateOfBirth.IsZero())
	assert.Equal(t, int64(1625203106704), c.DateAdded.UnixMilli())
	assert.Equal(t, ghl.StringList{"u1"}, c.Followers)
}
