package ghl

import (
	"net/http"
	"testing"
)

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
