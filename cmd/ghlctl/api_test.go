package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ghlkit/ghl/ghltest"
)

func TestAPICallsAnyEndpoint(t *testing.T) {
	t.Parallel()
	srv := fake(t)
	ids := srv.Seed(ghltest.DefaultLocationID, 3)
	r := ghlctl(t, srv, "", nil, "api", "GET", "/contacts/"+ids[0])
	var got struct{ Contact struct{ ID string } }
	if err := json.Unmarshal([]byte(r.stdout), &got); r.code != 0 || err != nil || got.Contact.ID != ids[0] {
		t.Fatalf("GET: exit %d, %v, %s %s", r.code, err, r.stdout, r.stderr)
	}
	body := writeFile(t, "city.json", `{"city":"Reykjavik"}`)
	if r := ghlctl(t, srv, "", nil, "api", "put", "/contacts/"+ids[1], "--data", "@"+body); r.code != 0 {
		t.Fatalf("PUT --data @file: exit %d, %s", r.code, r.stderr)
	}
	if ct, _ := srv.Contact(ghltest.DefaultLocationID, ids[1]); ct.City != "Reykjavik" {
		t.Fatalf("the PUT did not land: %q", ct.City)
	}
	r = ghlctl(t, srv, `{"city":"Nuuk"}`, nil, "api", "PUT", "/contacts/"+ids[2], "--data", "@-")
	if ct, _ := srv.Contact(ghltest.DefaultLocationID, ids[2]); r.code != 0 || ct.City != "Nuuk" {
		t.Fatalf("PUT --data @-: exit %d, %q", r.code, ct.City)
	}
	// Calendars need their own Version header: sent without being asked.
	if r := ghlctl(t, srv, "", nil, "api", "GET", "/calendars/"+ghltest.DefaultCalendarID+"/free-slots?startDate=1735000000000&endDate=1735086400000"); r.code != 0 {
		t.Fatalf("a calendars call: exit %d, %s", r.code, r.stderr)
	}
	// --paginate follows the list's pages: every contact once.
	r = ghlctl(t, srv, "", nil, "api", "GET", "/contacts/?locationId="+ghltest.DefaultLocationID+"&limit=2", "--paginate")
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	seen := map[string]int{}
	for dec.More() {
		var page struct{ Contacts []struct{ ID string } }
		if err := dec.Decode(&page); err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Contacts {
			seen[c.ID]++
		}
	}
	if r.code != 0 || len(seen) != 3 || seen[ids[0]] != 1 {
		t.Fatalf("--paginate: exit %d, %v, %s", r.code, seen, r.stderr)
	}
	r = ghlctl(t, srv, "", nil, "api", "GET", "/contacts/NoSuchContact0000001")
	if r.code != exitNotFound || !strings.Contains(r.stderr, "404") {
		t.Fatalf("a 404: exit %d, %q", r.code, r.stderr)
	}
}

func TestLimits(t *testing.T) {
	t.Parallel()
	srv := fake(t)
	r := ghlctl(t, srv, "", nil, "limits", "-o", "json")
	var rows []map[string]string
	if err := json.Unmarshal([]byte(r.stdout), &rows); r.code != 0 || err != nil || len(rows) != 1 {
		t.Fatalf("exit %d, %v: %s %s", r.code, err, r.stdout, r.stderr)
	}
	if rows[0]["burst"] != "1000000" || rows[0]["window"] != "1s" || rows[0]["daily_limit"] == "" || rows[0]["location"] != ghltest.DefaultLocationID {
		t.Fatalf("limits: %v", rows[0])
	}
}

func TestAuthStatus(t *testing.T) {
	t.Parallel()
	srv := fake(t)
	r := ghlctl(t, srv, "", nil, "auth", "status", "-o", "json")
	var rows []map[string]string
	if err := json.Unmarshal([]byte(r.stdout), &rows); r.code != 0 || err != nil || rows[0]["accepted"] != "yes" || rows[0]["token"] != "GHL_TOKEN" {
		t.Fatalf("exit %d, %v: %s %s", r.code, err, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout, ghltest.DefaultToken) {
		t.Fatal("auth status printed the token")
	}
}
