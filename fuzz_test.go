package ghl

import (
	"encoding/json"
	"net/http"
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

// FuzzAPIError: any error body becomes an error that never panics and never
// repeats the request's token.
func FuzzAPIError(f *testing.F) {
	for _, s := range []string{`{"statusCode":422,"message":["a","b"],"error":"Unprocessable Entity"}`,
		`{"message":"This location does not allow duplicated contacts.","meta":{"contactId":"c1","matchingField":"email"}}`,
		`<html>502</html>`, `{"message":{"nested":true}}`, ``} {
		f.Add([]byte(s), 400)
	}
	f.Fuzz(func(t *testing.T, b []byte, status int) {
		if status < 100 || status > 599 {
			return
		}
		h := http.Header{"Retry-After": {"5"}, "X-Ratelimit-Daily-Remaining": {"0"}}
		err := newAPIError("GET", "/contacts/x", status, h, b)
		if err == nil || err.Error() == "" {
			t.Fatal("no error text")
		}
	})
}
