package ghltest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/ghlkit/ghl/webhook"
)

// WebhookDelivery is one webhook the server sent (or tried to).
type WebhookDelivery struct {
	Type      string
	WebhookID string
	Status    int // the receiver's last answer; 0 if it could not be reached
	Attempts  int
}

// webhooks sends signed deliveries in order from one goroutine.
type webhooks struct {
	url    string
	signer *webhook.TestSigner
	client *http.Client

	queue   chan []byte
	stop    chan struct{}
	stopped chan struct{}
	// pending counts the deliveries queued and not yet sent; idle is
	// closed whenever it is zero (a WaitGroup may not be waited on while
	// deliveries are still being added, as they are mid-test).
	pmu     sync.Mutex
	pending int
	idle    chan struct{}

	mu   sync.Mutex
	done []WebhookDelivery
}

// DeliverWebhooks makes the server send a signed webhook to url whenever its
// data changes: contacts created, updated, deleted or re-tagged, notes and
// tasks created, updated, completed or deleted. Deliveries go in order,
// each tried up to 3 times. A nil signer means the server's own key pair;
// verify its deliveries with WebhookVerifier (or signer.TestVerifier()).
func (s *Server) DeliverWebhooks(url string, signer *webhook.TestSigner) {
	if signer == nil {
		signer = s.WebhookSigner()
	}
	w := &webhooks{url: url, signer: signer, client: &http.Client{Timeout: 10 * time.Second},
		queue: make(chan []byte, 10_000), stop: make(chan struct{}), stopped: make(chan struct{}), idle: closedChan()}
	go w.run()
	s.mu.Lock()
	old := s.hooks
	s.hooks = w
	s.mu.Unlock()
	if old != nil {
		old.close()
	}
}

// WebhookSigner returns the server's own test key pair, made on first use.
func (s *Server) WebhookSigner() *webhook.TestSigner {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.signer == nil {
		signer, err := webhook.NewTestSigner()
		if err != nil {
			panic("ghltest: cannot make a webhook key pair: " + err.Error())
		}
		s.signer = signer
	}
	return s.signer
}

// WebhookVerifier returns a verifier that trusts the server's own key pair
// (and nothing else), for receivers under test.
func (s *Server) WebhookVerifier(opts ...webhook.Option) (*webhook.Verifier, error) {
	return s.WebhookSigner().TestVerifier(opts...)
}

// WaitWebhooks blocks until every delivery queued so far was sent (or gave
// up), sending first the ones a Reorder fault still holds.
func (s *Server) WaitWebhooks(ctx context.Context) error {
	s.mu.Lock()
	w := s.hooks
	if w != nil {
		for _, held := range s.hookHeld { // nothing came after them: send them now
			w.send(held)
		}
	}
	s.hookHeld = nil
	s.mu.Unlock()
	if w == nil {
		return nil
	}
	select {
	case <-w.idleNow():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// WebhookDeliveries returns the deliveries made so far, oldest first.
func (s *Server) WebhookDeliveries() []WebhookDelivery {
	s.mu.Lock()
	w := s.hooks
	s.mu.Unlock()
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]WebhookDelivery(nil), w.done...)
}

func (w *webhooks) run() {
	defer close(w.stopped)
	for {
		select {
		case body := <-w.queue:
			w.deliver(body)
			w.sent()
		case <-w.stop:
			return
		}
	}
}

func (w *webhooks) deliver(body []byte) {
	var head struct {
		Type      string `json:"type"`
		WebhookID string `json:"webhookId"`
	}
	_ = json.Unmarshal(body, &head)
	d := WebhookDelivery{Type: head.Type, WebhookID: head.WebhookID}
	for d.Attempts < 3 {
		d.Attempts++
		req, err := http.NewRequest(http.MethodPost, w.url, bytes.NewReader(body))
		if err != nil {
			break
		}
		req.Header = w.signer.Sign(body)
		req.Header.Set("Content-Type", "application/json")
		resp, err := w.client.Do(req)
		if err == nil {
			resp.Body.Close()
			d.Status = resp.StatusCode
			if resp.StatusCode < 300 {
				break
			}
		}
		select {
		case <-time.After(time.Duration(d.Attempts) * 20 * time.Millisecond):
		case <-w.stop:
			d.Attempts = 3
		}
	}
	w.mu.Lock()
	w.done = append(w.done, d)
	w.mu.Unlock()
}

func (w *webhooks) close() {
	close(w.stop)
	<-w.stopped
	// Whatever is still queued will not be sent.
	for {
		select {
		case <-w.queue:
			w.sent()
		default:
			return
		}
	}
}

// WebhookFault changes the next webhook deliveries of matching events, as
// a real deployment sees them.
type WebhookFault struct {
	Type  string // event type, e.g. "ContactUpdate"; "" matches any
	Times int    // how many matching events; 0 means 1

	// Drop loses the event: it is never delivered (HighLevel gave up, or
	// never sent it).
	Drop bool
	// Duplicate delivers the event twice, the second copy with its own
	// webhookId and timestamp (as when HighLevel emits one change twice),
	// so deduplication by webhookId alone does not catch it.
	Duplicate bool
	// Reorder holds the event back and delivers it after the next event
	// (or at WaitWebhooks when no other comes): an older state arrives
	// after a newer one.
	Reorder bool
}

// InjectWebhook arms f for the next f.Times matching events. Deliveries must
// be on (DeliverWebhooks).
func (s *Server) InjectWebhook(f WebhookFault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	s.hookFaults = append(s.hookFaults, &f)
	s.mu.Unlock()
}

// StopWebhooks stops deliveries: every change from now on is lost to the
// receiver, as when HighLevel disables an endpoint or its delivery system
// stalls. ResumeWebhooks starts them again (what was lost stays lost).
func (s *Server) StopWebhooks() {
	s.mu.Lock()
	s.hooksStopped = true
	s.mu.Unlock()
}

// ResumeWebhooks undoes StopWebhooks for the changes that follow.
func (s *Server) ResumeWebhooks() {
	s.mu.Lock()
	s.hooksStopped = false
	s.mu.Unlock()
}

// hookFault takes the first armed webhook fault matching eventType. Callers
// hold s.mu.
func (s *Server) hookFault(eventType string) *WebhookFault {
	for i, f := range s.hookFaults {
		if f.Type != "" && f.Type != eventType {
			continue
		}
		f.Times--
		if f.Times <= 0 {
			s.hookFaults = append(s.hookFaults[:i:i], s.hookFaults[i+1:]...)
		}
		return f
	}
	return nil
}

// emit queues a delivery of v (a contact, note or task) as eventType.
// Callers hold s.mu.
func (c *call) emit(eventType string, v any) {
	s := c.s
	w := s.hooks
	if w == nil || s.hooksStopped {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return
	}
	delete(m, "searchAfter")
	m["type"] = eventType // replaces a contact's own "type" (lead, customer), as HighLevel's payloads do
	m["locationId"] = c.tok.location
	body := func() []byte {
		m["webhookId"] = newSecret("wh-")
		m["timestamp"] = s.now().UTC().Format("2006-01-02T15:04:05.000Z")
		b, _ := json.Marshal(m)
		return b
	}
	f := s.hookFault(eventType)
	switch {
	case f != nil && f.Drop:
		return
	case f != nil && f.Reorder:
		s.hookHeld = append(s.hookHeld, body())
		return
	}
	w.send(body())
	if f != nil && f.Duplicate {
		w.send(body())
	}
	for _, held := range s.hookHeld {
		w.send(held)
	}
	s.hookHeld = nil
}

func closedChan() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

// queued counts one more delivery pending.
func (w *webhooks) queued() {
	w.pmu.Lock()
	if w.pending == 0 {
		w.idle = make(chan struct{})
	}
	w.pending++
	w.pmu.Unlock()
}

// sent counts one pending delivery sent, or given up.
func (w *webhooks) sent() {
	w.pmu.Lock()
	if w.pending--; w.pending == 0 {
		close(w.idle)
	}
	w.pmu.Unlock()
}

// idleNow is closed once no delivery queued so far is pending.
func (w *webhooks) idleNow() <-chan struct{} {
	w.pmu.Lock()
	defer w.pmu.Unlock()
	return w.idle
}

// send queues one delivery.
func (w *webhooks) send(body []byte) {
	w.queued()
	select {
	case w.queue <- body:
	default:
		w.sent() // the queue is full: this delivery is dropped
	}
}
