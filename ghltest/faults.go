package ghltest

import (
	"strings"
	"time"
)

// Fault changes the server's answer to the next matching requests.
type Fault struct {
	Method string // "" matches any method
	Path   string // path.Match pattern, e.g. "/contacts/*"; "" matches any path
	Times  int    // how many matching requests; 0 means 1
	// UserAgent limits the fault to requests whose User-Agent starts with
	// it (one app among several sharing the server); "" matches any.
	UserAgent string

	Latency time.Duration // wait this long before processing and answering
	// LatencyAfter processes the request, then waits this long before
	// answering: a slow answer whose effect has already happened (a refresh
	// token spent while its new pair is still on the way).
	LatencyAfter time.Duration
	Status       int    // answer this status without processing the request
	Body         string // the body of a Status answer
	RetryAfter   string // Retry-After header of a Status answer
	DropBefore   bool   // close the connection before processing, sending no byte (the request has no effect)
	DropAfter    bool   // process the request, then close the connection without sending a byte
	Truncate     bool   // process the request, send the status, headers and half of the body, then close
}

// Inject arms f for the next f.Times matching requests.
func (s *Server) Inject(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	s.faults = append(s.faults, &f)
	s.mu.Unlock()
}

// takeFault returns and counts down the first fault matching the request.
func (s *Server) takeFault(method, path, userAgent string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if matches(f.Method, f.Path, method, path) && strings.HasPrefix(userAgent, f.UserAgent) {
			f.Times--
			if f.Times == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
			c := *f
			return &c
		}
	}
	return nil
}

// ClearFaults disarms every request fault (Inject) and webhook fault
// (InjectWebhook) still armed; held (reordered) deliveries are sent at the
// next WaitWebhooks.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	s.faults, s.hookFaults = nil, nil
	s.mu.Unlock()
}
