package ghl

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeContact: any answer body decodes without panicking, and a Time
// never fails the decode.
func FuzzDecodeContact(f *testing.F) {
	for _, s := range []string{`{"contact":{"id":"x","dateAdded":"2021-07-02T05:18:26.704Z","customFields":[{"id":"a","value":[1,"b"]}]}}`,
		`{"contact":{"dateOfBirth":"Date format YYYY-MM-DD","followers":"u1","lastActivity":1625203106704}}`, `{"contact":null}`, `[]`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var out contactBody
		_ = decode(b, &out)
		for _, cf := range out.Contact.CustomFields {
			_, _ = cf.String()
			_, _ = cf.Number()
			_, _ = cf.Strings()
		}
		var tm Time
		if err := tm.UnmarshalJSON(b); err != nil {
			t.Fatalf("Time.UnmarshalJSON failed on %q: %v", b, err)
		}
		if _, err := json.Marshal(tm); err != nil {
			t.Fatalf("Time.MarshalJSON failed after reading %q: %v", b, err)
		}
	})
}
