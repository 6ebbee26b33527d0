package ghl_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
)

// TestClearFieldsOnTheWire: Clear sends null for a field, which empties it;
// a field HighLevel will not take null for, or one both set and cleared, is
// refused before sending.
func TestClearFieldsOnTheWire(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rec := newRecorder(t, answer{status: 200, body: `{"succeded":true,"contact":{"id":"` + contactID + `"}}`})
	c := rec.client()
	_, err := c.Contacts.Update(ctx, contactID, ghl.UpdateContactRequest{FirstName: ghl.Ptr("Ada"), Clear: []string{"email", "city"}})
	require.NoError(t, err)
	assert.JSONEq(t, `{"firstName":"Ada","email":null,"city":null}`, string(rec.requests()[0].Body))

	_, err = c.Contacts.Update(ctx, contactID, ghl.UpdateContactRequest{Clear: []string{"companyName"}})
	assert.ErrorIs(t, err, ghl.ErrInvalidInput)
	_, err = c.Contacts.Update(ctx, contactID, ghl.UpdateContactRequest{City: ghl.Ptr("x"), Clear: []string{"city"}})
	assert.ErrorIs(t, err, ghl.ErrInvalidInput)
	assert.Len(t, rec.requests(), 1, "refused calls send nothing")

	srv := ghltest.NewServer()
	defer srv.Close()
	gc, _ := srv.Client()
	ct, err := gc.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("clear@example.com"), Phone: ghl.Ptr("+14155550100"), City: ghl.Ptr("Paris")})
	require.NoError(t, err)
	_, err = gc.Contacts.Update(ctx, ct.ID, ghl.UpdateContactRequest{Clear: []string{"city", "email"}})
	require.NoError(t, err)
	got, err := gc.Contacts.Get(ctx, ct.ID)
	require.NoError(t, err)
	assert.Empty(t, got.City)
	assert.Empty(t, got.Email)
	assert.Equal(t, "+14155550100", got.Phone)
}

// contactOperations are the requests of every ContactsService method, as contacts.json
// specifies them, with answers shaped like its examples.
func contactOperations() []opCase {
	start := time.Date(2021, 6, 23, 3, 30, 0, 0, time.FixedZone("", 3600))
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
	}
}

// TestContactsOperations sends every Contacts operation and checks the
// exact request and the decoded answer.
func TestContactsOperations(t *testing.T) { runOperations(t, contactOperations()) }

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

func TestFindDuplicateEncodesPlus(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, answer{status: 200, body: `{"contact":null}`})
	c, err := rec.client().Contacts.FindDuplicate(context.Background(), ghl.DuplicateQuery{Phone: "+15550100"})
	require.NoError(t, err)
	assert.Nil(t, c)
	assert.Contains(t, rec.requests()[0].RawQuery, "number=%2B15550100")
}

// TestEveryContactsSpecOperationIsCovered: the operation tables cover
// every operation of contacts.json (contacts, tasks, notes, tags, and the
// appointments of a contact).
func TestEveryContactsSpecOperationIsCovered(t *testing.T) {
	ops := map[string]bool{}
	for _, cases := range [][]opCase{contactOperations(), taskOperations(), noteOperations(), tagOperations(), appointmentOperations()} {
		for _, tc := range cases {
			ops[tc.operation] = true
		}
	}
	assert.Len(t, ops, 32, "every operation of contacts.json is covered")
}
