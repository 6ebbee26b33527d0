package ghl_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// newSlowServer answers every request after 300ms, calling hit first.
func newSlowServer(t *testing.T, hit func()) string {
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hit()
		mu.Unlock()
		select {
		case <-time.After(300 * time.Millisecond):
		case <-r.Context().Done():
		}
		w.WriteHeader(201)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
