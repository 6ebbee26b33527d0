package webhook

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"
)

// Handler receives deliveries: it caps the body, verifies the signature on
// the raw bytes, refuses stale and repeated deliveries, parses the event and
// calls your function.
//
// It answers 200 when the function succeeded, and 200 without calling it for
// a delivery already processed (a retry or a replay). When the function
// fails or panics, and while the same delivery is being processed by another
// request, it answers the failure status, 429 by default: the one answer
// HighLevel documents that it retries (a staff member reported in 2026 that
// every non-2xx is now retried; 429 is retried under either rule, 500 only
// under the newer one). It answers 401 for a bad or missing signature or a
// stale timestamp, 400 for a malformed body and 413 for an oversized one.
//
// Deliveries are de-duplicated on their webhookId, or on a SHA-256 of the
// raw body when they carry none, for the de-duplication window (3 hours by
// default, longer than HighLevel's ~70 minutes of retries).
type Handler struct {
	v       *Verifier
	fn      func(context.Context, Event) error
	maxBody int64
	seen    SeenStore
	log     *slog.Logger
	failure int
	dedup   time.Duration
}

// HandlerOption configures a Handler.
type HandlerOption func(*Handler)

// WithMaxBody caps the body (default 1 MiB).
func WithMaxBody(n int64) HandlerOption { return func(h *Handler) { h.maxBody = n } }

// WithSeenStore de-duplicates through s (default: an in-memory LRU of 100,000 IDs).
func WithSeenStore(s SeenStore) HandlerOption { return func(h *Handler) { h.seen = s } }

// WithDedupWindow keeps each delivery's key this long (default 3 hours).
// Keep it longer than HighLevel keeps retrying. Values below a minute are
// raised to a minute.
func WithDedupWindow(d time.Duration) HandlerOption {
	return func(h *Handler) { h.dedup = max(d, time.Minute) }
}

// WithFailureStatus sets the answer when your function fails or panics, and
// while the same delivery is being processed elsewhere (default 429, which
// HighLevel retries under its documented and its reported rules). A status
// outside 400–599 is ignored.
func WithFailureStatus(status int) HandlerOption {
	return func(h *Handler) {
		if status >= 400 && status <= 599 {
			h.failure = status
		}
	}
}

// DefaultDedupWindow is how long a delivery's key is kept by default.
const DefaultDedupWindow = 3 * time.Hour

// WithLogger logs refused deliveries and failed handlers at warn level.
func WithLogger(l *slog.Logger) HandlerOption { return func(h *Handler) { h.log = l } }

// NewHandler returns a Handler calling fn for every genuine, new delivery.
func NewHandler(v *Verifier, fn func(context.Context, Event) error, opts ...HandlerOption) *Handler {
	h := &Handler{v: v, fn: fn, maxBody: 1 << 20, failure: http.StatusTooManyRequests, dedup: DefaultDedupWindow}
	for _, o := range opts {
		o(h)
	}
	if h.seen == nil {
		lru := NewLRU(0)
		lru.now = v.now // the verifier's clock, so tests can move both
		h.seen = lru
	}
	return h
}

// ServeHTTP handles one delivery; see Handler for the answers it gives.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.refuse(w, r, http.StatusMethodNotAllowed, errors.New("method not allowed"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.refuse(w, r, http.StatusRequestEntityTooLarge, err)
			return
		}
		h.refuse(w, r, http.StatusBadRequest, err)
		return
	}
	id, err := h.v.Verify(r.Header, body)
	switch {
	case errors.Is(err, ErrMalformed):
		h.refuse(w, r, http.StatusBadRequest, err)
		return
	case err != nil:
		h.refuse(w, r, http.StatusUnauthorized, err)
		return
	}
	ev, err := Parse(body)
	if err != nil {
		h.refuse(w, r, http.StatusBadRequest, err)
		return
	}
	key := dedupKey(id, body)
	switch h.seen.Claim(key, h.v.now().Add(h.dedup)) {
	case ClaimDone:
		w.WriteHeader(http.StatusOK) // processed before: acknowledge, do nothing
		return
	case ClaimInProgress:
		h.refuse(w, r, h.failure, errors.New("this delivery is being processed"))
		return
	}
	if err := h.call(r.Context(), ev); err != nil {
		h.seen.Release(key)
		h.refuse(w, r, h.failure, err)
		return
	}
	h.seen.Done(key)
	w.WriteHeader(http.StatusOK)
}

// dedupKey names a delivery: its webhookId, or a hash of its exact bytes
// when it has none (HighLevel resends the same bytes).
func dedupKey(webhookID string, body []byte) string {
	if webhookID != "" {
		return "id:" + webhookID
	}
	sum := sha256.Sum256(body)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// call runs the function, turning a panic into an error so that the claim
// is released and HighLevel's retry is processed.
func (h *Handler) call(ctx context.Context, ev Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("webhook: the handler panicked: %v", p)
		}
	}()
	return h.fn(ctx, ev)
}

func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, status int, err error) {
	if h.log != nil {
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "webhook refused", slog.Int("status", status), slog.String("error", err.Error()))
	}
	http.Error(w, http.StatusText(status), status)
}

// Mux dispatches events by type to typed functions; use its Handle as the
// function of NewHandler. Types without a function are acknowledged.
type Mux struct {
	byType  map[string]func(context.Context, Event) error
	unknown func(context.Context, Event) error
}

// NewMux returns an empty Mux.
func NewMux() *Mux { return &Mux{byType: map[string]func(context.Context, Event) error{}} }

// Handle calls the function registered for the event's type.
func (m *Mux) Handle(ctx context.Context, ev Event) error {
	if f := m.byType[ev.EventType()]; f != nil {
		return f(ctx, ev)
	}
	if m.unknown != nil {
		return m.unknown(ctx, ev)
	}
	return nil
}

func on[T Event](m *Mux, types []string, fn func(context.Context, T) error) *Mux {
	for _, t := range types {
		m.byType[t] = func(ctx context.Context, ev Event) error {
			typed, ok := ev.(T)
			if !ok {
				return nil
			}
			return fn(ctx, typed)
		}
	}
	return m
}

// OnContactCreate registers fn for ContactCreate.
func (m *Mux) OnContactCreate(fn func(context.Context, *ContactEvent) error) *Mux {
	return on(m, []string{ContactCreate}, fn)
}

// OnContactUpdate registers fn for ContactUpdate.
func (m *Mux) OnContactUpdate(fn func(context.Context, *ContactEvent) error) *Mux {
	return on(m, []string{ContactUpdate}, fn)
}

// OnContactDelete registers fn for ContactDelete.
func (m *Mux) OnContactDelete(fn func(context.Context, *ContactEvent) error) *Mux {
	return on(m, []string{ContactDelete}, fn)
}

// OnContactTagUpdate registers fn for ContactTagUpdate.
func (m *Mux) OnContactTagUpdate(fn func(context.Context, *ContactEvent) error) *Mux {
	return on(m, []string{ContactTagUpdate}, fn)
}

// OnContactDndUpdate registers fn for ContactDndUpdate.
func (m *Mux) OnContactDndUpdate(fn func(context.Context, *ContactEvent) error) *Mux {
	return on(m, []string{ContactDndUpdate}, fn)
}

// OnContactChange registers fn for every contact event: the usual hook of a sync.
func (m *Mux) OnContactChange(fn func(context.Context, *ContactEvent) error) *Mux {
	return on(m, []string{ContactCreate, ContactUpdate, ContactDelete, ContactTagUpdate, ContactDndUpdate}, fn)
}

// OnNote registers fn for NoteCreate, NoteUpdate and NoteDelete.
func (m *Mux) OnNote(fn func(context.Context, *NoteEvent) error) *Mux {
	return on(m, []string{NoteCreate, NoteUpdate, NoteDelete}, fn)
}

// OnTask registers fn for TaskCreate, TaskComplete and TaskDelete.
func (m *Mux) OnTask(fn func(context.Context, *TaskEvent) error) *Mux {
	return on(m, []string{TaskCreate, TaskComplete, TaskDelete}, fn)
}

// OnAppointment registers fn for AppointmentCreate, AppointmentUpdate and AppointmentDelete.
func (m *Mux) OnAppointment(fn func(context.Context, *AppointmentEvent) error) *Mux {
	return on(m, []string{AppointmentCreate, AppointmentUpdate, AppointmentDelete}, fn)
}

// OnInstall registers fn for INSTALL.
func (m *Mux) OnInstall(fn func(context.Context, *InstallEvent) error) *Mux {
	return on(m, []string{Install}, fn)
}

// OnUninstall registers fn for UNINSTALL.
func (m *Mux) OnUninstall(fn func(context.Context, *UninstallEvent) error) *Mux {
	return on(m, []string{Uninstall}, fn)
}

// OnUnknown registers fn for every type without its own function.
func (m *Mux) OnUnknown(fn func(context.Context, Event) error) *Mux {
	m.unknown = fn
	return m
}
