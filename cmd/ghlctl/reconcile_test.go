package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/ghltest"
)

func TestReconcileReportsEveryDifference(t *testing.T) {
	t.Parallel()
	srv := fake(t)
	c, _ := srv.Client()
	for _, p := range []struct{ first, email, city string }{{"Ada", "ada@example.com", "London"}, {"Bob", "bob@example.com", "Paris"},
		{"Hal", "hal@example.com", "Oslo"}} {
		if _, err := c.Contacts.Create(t.Context(), ghl.CreateContactRequest{FirstName: &p.first, Email: &p.email, City: &p.city}); err != nil {
			t.Fatal(err)
		}
	}
	file := writeFile(t, "mine.csv", "id,firstName,email,city\n"+
		"1,Ada,ada@example.com,London\n"+ // the same
		"2,Bob,bob@example.com,Lyon\n"+ // differs: city
		"3,Cy,cy@example.com,Rome\n"+ // missing in HighLevel
		"4,Bo,BOB@example.com,Paris\n") // shares bob's email
	r := ghlctl(t, srv, "", nil, "reconcile", file, "-o", "json")
	var rows []map[string]string
	if err := json.Unmarshal([]byte(r.stdout), &rows); r.code != 0 || err != nil {
		t.Fatalf("exit %d, %v: %s %s", r.code, err, r.stdout, r.stderr)
	}
	kinds := map[string]int{}
	for _, row := range rows {
		kinds[row["kind"]]++
	}
	for _, want := range []string{"differs", "missing in HighLevel", "missing locally", "duplicate locally"} {
		if kinds[want] == 0 {
			t.Errorf("no %q row in %v", want, rows)
		}
	}
	if !strings.Contains(r.stderr, "4 local, 3 in HighLevel") {
		t.Errorf("summary: %q", r.stderr)
	}
	r = ghlctl(t, srv, "", nil, "reconcile", writeFile(t, "x.csv", "id,favouriteColour\n1,red\n"))
	if r.code != exitUsage || !strings.Contains(r.stderr, "favouriteColour") {
		t.Errorf("an unknown column: exit %d, %q", r.code, r.stderr)
	}
	_ = ghltest.DefaultLocationID
}
