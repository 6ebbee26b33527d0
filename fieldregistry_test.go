package ghl_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
)

const defsPath = "/locations/*/customFields"

// TestFieldRegistryOneRequestPerTTL: however many goroutines ask, one
// definitions request per location per TTL; a key not found refreshes once.
func TestFieldRegistryOneRequestPerTTL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := ghltest.NewServer(ghltest.WithRateLimit(1_000_000, time.Second))
	defer srv.Close()
	c, err := srv.Client()
	require.NoError(t, err)
	clk := ghltest.NewClock(time.Now())
	reg, err := c.CustomFields.NewFieldRegistry("", 5*time.Minute, ghl.WithRegistryClock(clk.Now))
	require.NoError(t, err)

	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := reg.Field(ctx, "plan")
			assert.NoError(t, err)
			assert.Equal(t, "cfPlan0000000000000b", d.ID)
		}()
	}
	wg.Wait()
	assert.Equal(t, 1, srv.RequestCount("GET", defsPath), "64 goroutines, one request")

	for _, key := range []string{"contact.score", "score", "Score", "cfScore000000000000a"} {
		d, err := reg.Field(ctx, key)
		require.NoError(t, err, key)
		assert.Equal(t, ghl.FieldNumerical, d.DataType)
	}
	assert.Equal(t, 1, srv.RequestCount("GET", defsPath))

	// A field defined since: found after one refresh.
	srv.AddCustomField(ghltest.DefaultLocationID, ghl.CustomFieldDefinition{Name: "Joined", DataType: ghl.FieldDate})
	d, err := reg.Field(ctx, "joined")
	require.NoError(t, err)
	assert.Equal(t, ghl.FieldDate, d.DataType)
	assert.Equal(t, 2, srv.RequestCount("GET", defsPath))
	_, err = reg.Field(ctx, "nope")
	assert.ErrorIs(t, err, ghl.ErrInvalidInput)
	assert.Equal(t, 3, srv.RequestCount("GET", defsPath), "a miss refreshes once")

	clk.Advance(5*time.Minute - time.Nanosecond) // not yet stale
	_, err = reg.Field(ctx, "plan")
	require.NoError(t, err)
	assert.Equal(t, 3, srv.RequestCount("GET", defsPath), "fresh until the TTL")
	clk.Advance(time.Nanosecond) // stale from the TTL on
	_, err = reg.Field(ctx, "plan")
	require.NoError(t, err)
	assert.Equal(t, 4, srv.RequestCount("GET", defsPath), "stale after the TTL")
}

// TestFieldRegistryTypedValues: contacts written and read by key, with
// typed values; a wrong type or unknown option is refused with no request.
func TestFieldRegistryTypedValues(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := ghltest.NewServer(ghltest.WithRateLimit(1_000_000, time.Second))
	defer srv.Close()
	c, err := srv.Client()
	require.NoError(t, err)
	srv.AddCustomField(ghltest.DefaultLocationID, ghl.CustomFieldDefinition{Name: "Interests", DataType: ghl.FieldCheckbox,
		PicklistOptions: []string{"golf", "chess", "tennis"}})
	srv.AddCustomField(ghltest.DefaultLocationID, ghl.CustomFieldDefinition{Name: "Joined", DataType: ghl.FieldDate})
	reg, err := c.CustomFields.NewFieldRegistry("", time.Minute)
	require.NoError(t, err)

	joined := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	in, err := reg.Inputs(ctx, map[string]any{"plan": "pro", "score": 42, "interests": []string{"golf", "chess"}, "joined": joined})
	require.NoError(t, err)
	ct, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("fields@example.com"), CustomFields: in})
	require.NoError(t, err)
	got, err := c.Contacts.Get(ctx, ct.ID)
	require.NoError(t, err)
	for key, want := range map[string]any{"plan": "pro", "score": 42.0, "interests": []string{"golf", "chess"}, "joined": joined} {
		v, err := reg.Value(ctx, got, key)
		require.NoError(t, err, key)
		assert.Equal(t, want, v, key)
	}

	f, err := reg.Filter(ctx, "plan", ghl.OpEq, "pro")
	require.NoError(t, err)
	res, err := c.Contacts.Search(ctx, ghl.SearchRequest{Filters: []ghl.Filter{f}})
	require.NoError(t, err)
	require.Equal(t, 1, res.Total)
	assert.Equal(t, ct.ID, res.Contacts[0].ID)

	before := len(srv.Requests())
	for key, bad := range map[string]any{"plan": "gold", "score": "forty-two", "interests": []string{"golf", "polo"},
		"joined": "March 1st", "nope": "x"} {
		_, err := reg.Input(ctx, key, bad)
		assert.ErrorIs(t, err, ghl.ErrInvalidInput, "%s = %v", key, bad)
	}
	assert.Equal(t, before+1, len(srv.Requests()), "refused values send nothing (one refresh for the unknown key)")
}

// TestClearingACustomFieldOnTheWire: Input(key, nil) sends field_value ""
// for every type (the documented behaviour; a standard field's Clear sends
// null), and ghltest empties the field on it.
func TestClearingACustomFieldOnTheWire(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := ghltest.NewServer(ghltest.WithRateLimit(1_000_000, time.Second))
	defer srv.Close()
	c, err := srv.Client()
	require.NoError(t, err)
	reg, err := c.CustomFields.NewFieldRegistry("", time.Minute)
	require.NoError(t, err)
	set, err := reg.Inputs(ctx, map[string]any{"plan": "pro", "score": 7})
	require.NoError(t, err)
	ct, err := c.Contacts.Create(ctx, ghl.CreateContactRequest{Email: ghl.Ptr("cf@example.com"), CustomFields: set})
	require.NoError(t, err)

	clearPlan, err := reg.Input(ctx, "plan", nil)
	require.NoError(t, err)
	clearScore, err := reg.Input(ctx, "score", nil)
	require.NoError(t, err)
	_, err = c.Contacts.Update(ctx, ct.ID, ghl.UpdateContactRequest{CustomFields: []ghl.CustomFieldInput{clearPlan, clearScore}, Clear: []string{"city"}})
	require.NoError(t, err)
	reqs := srv.Requests()
	body := string(reqs[len(reqs)-1].Body)
	assert.Contains(t, body, `"field_value":""`, "a text field cleared with \"\"")
	assert.NotContains(t, body, `"field_value":null`, "never null for a custom field")
	assert.Contains(t, body, `"city":null`, "a standard field is cleared with null")

	got, ok := srv.Contact(ghltest.DefaultLocationID, ct.ID)
	require.True(t, ok)
	plan, err := reg.Value(ctx, &got, "plan")
	require.NoError(t, err)
	assert.Nil(t, plan, "emptied")
	score, err := reg.Value(ctx, &got, "score")
	require.NoError(t, err)
	assert.Nil(t, score, "emptied")
}

// TestCustomFieldModelAndOptionsOnTheWire: model is held to the spec's
// enum before sending; options go out as textBoxListOptions (one place
// decides it).
func TestCustomFieldModelAndOptionsOnTheWire(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rec := newRecorder(t, answer{status: 201, body: `{"customField":{"id":"cf00000000000000001"}}`})
	c := rec.client()
	_, err := c.CustomFields.Create(ctx, "", ghl.CreateCustomFieldRequest{Name: "Tier", DataType: ghl.FieldSingleOptions, Model: "deal"})
	require.ErrorIs(t, err, ghl.ErrInvalidInput)
	_, err = c.CustomFields.Update(ctx, "", "cf00000000000000001", ghl.UpdateCustomFieldRequest{Name: "Tier", Model: "Contact"})
	require.ErrorIs(t, err, ghl.ErrInvalidInput)
	assert.Empty(t, rec.requests())

	_, err = c.CustomFields.Create(ctx, "", ghl.CreateCustomFieldRequest{Name: "Tier", DataType: ghl.FieldSingleOptions,
		Options: []ghl.CustomFieldOption{{Label: "gold"}, {Label: "silver"}}})
	require.NoError(t, err)
	assert.JSONEq(t, `{"name":"Tier","dataType":"SINGLE_OPTIONS","model":"contact","textBoxListOptions":[{"label":"gold"},{"label":"silver"}]}`,
		string(rec.requests()[0].Body))
	_, err = c.CustomFields.Update(ctx, "", "cf00000000000000001", ghl.UpdateCustomFieldRequest{Name: "Tier", Model: "opportunity",
		Options: []ghl.CustomFieldOption{{Label: "gold"}}})
	require.NoError(t, err)
	assert.JSONEq(t, `{"name":"Tier","model":"opportunity","textBoxListOptions":[{"label":"gold"}]}`, string(rec.requests()[1].Body))
}
