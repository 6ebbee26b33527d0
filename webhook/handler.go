package webhook

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"
)

// Handler receives deliveries: it caps the body, verifies the signature on
// the raw bytes, refuses stale and repeated deliveries, parses the event and
// calls your function. It answers 200 only when the function succeeded; 500
// when it failed (HighLevel retries), 401 for a bad or missing signature or a
// stale timestamp, 400 for a malformed body, 413 for an oversized one, 409
// while the same webhookId is still being processed.
type Handler struct {
	v       *Verifier
	fn      func(context.Context, Event) error
	maxBody int64
	seen    SeenStore
	log     *slog.Logger
}

// HandlerOption configures a Handler.
type HandlerOption func(*Handler)

// WithMaxBody caps the body (default 1 MiB).
func WithMaxBody(n int64) HandlerOption { return func(h *Handler) { h.maxBody = n } }

// WithSeenStore de-duplicates through s (default: an in-memory LRU of 100,000 IDs).
func WithSeenStore(s SeenStore) HandlerOption { return func(h *Handler) { h.seen = s } }

// WithLogger logs refused deliveries and failed handlers at warn level.
func WithLogger(l *slog.Logger) HandlerOption { return func(h *Handler) { h.log = l } }

// NewHandler returns a Handler calling fn for every genuine, new delivery.
func NewHandler(v *Verifier, fn func(context.Context, Event) error, opts ...HandlerOption) *Handler {
	h := &Handler{v: v, fn: fn, maxBody: 1 << 20}
	for _, o := range opts {
		o(h)
	}
	if h.seen == nil {
		h.seen = NewLRU(0)
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
	if id != "" {
		switch h.seen.Claim(id, time.Now().Add(2*h.v.window)) {
		case ClaimDone:
			w.WriteHeader(http.StatusOK) // processed before: acknowledge, do nothing
			return
		case ClaimInProgress:
			h.refuse(w, r, http.StatusConflict, errors.New("this webhookId is being processed"))
			return
		}
	}
	if err := h.fn(r.Context(), ev); err != nil {
		if id != "" {
			h.seen.Release(id)
		}
		h.refuse(w, r, http.StatusInternalServerError, err)
		return
	}
	if id != "" {
		h.seen.Done(id)
	}
	w.WriteHeader(http.StatusOK)
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
