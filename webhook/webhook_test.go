package webhook_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl/webhook"
)

var signer = func() *webhook.TestSigner {
	s, err := webhook.NewTestSigner()
	if err != nil {
		panic(err)
	}
	return s
}()

func payload(extra string) []byte {
	ts := time.Now().UTC().Format(time.RFC3339Nano)
	return []byte(`{"type":"ContactUpdate","locationId":"ve9EPM428h8vShlRW1KT","id":"nmFmQEsNgz6AVpgLVUJ0",` +
		`"email":"john@deo.com","tags":["vip"],"dnd":false,"customFields":[{"id":"BcdmQEsNgz6AVpgLVUJ0","value":"XYZ Corp"},{"id":"n","value":7}],` +
		`"webhookId":"wh-1","timestamp":"` + ts + `"` + extra + `}`)
}

func verifier(t *testing.T, opts ...webhook.Option) *webhook.Verifier {
	v, err := signer.TestVerifier(opts...)
	require.NoError(t, err)
	return v
}

func TestBuiltInKeys(t *testing.T) {
	v, err := webhook.NewVerifier()
	require.NoError(t, err)
	_, err = v.Verify(signer.Sign(payload("")), payload(""))
	assert.ErrorIs(t, err, webhook.ErrInvalidSignature, "HighLevel's keys do not trust the test signer")
	r, err := webhook.ParseRSAPublicKey(webhook.RSAPublicKeyPEM)
	require.NoError(t, err)
	assert.Equal(t, 4096, r.N.BitLen())
	ed, err := webhook.ParseEd25519PublicKey(webhook.Ed25519PublicKey)
	require.NoError(t, err)
	assert.Len(t, ed, 32)
}

func TestVerificationMatrix(t *testing.T) {
	body := payload("")
	good := signer.Sign(body)
	reserialized := func() []byte {
		var m map[string]any
		require.NoError(t, json.Unmarshal(body, &m))
		b, _ := json.Marshal(m) // same data, different bytes (key order)
		require.NotEqual(t, body, b)
		return b
	}()
	other, _ := webhook.NewTestSigner()
	edOnly := func(sig string) http.Header { return http.Header{webhook.HeaderEd25519: {sig}} }
	rsaOnly := func(sig string) http.Header { return http.Header{webhook.HeaderRSA: {sig}} }
	edSig, rsaSig := signer.SignEd25519(body), signer.SignRSA(body)

	cases := []struct {
		name string
		h    http.Header
		body []byte
		v    *webhook.Verifier
		want error
	}{
		{"both headers, genuine", good, body, verifier(t), nil},
		{"Ed25519 only", edOnly(edSig), body, verifier(t), nil},
		{"RSA only (legacy)", rsaOnly(rsaSig), body, verifier(t), nil},
		{"RSA only, legacy turned off", rsaOnly(rsaSig), body, verifier(t, webhook.WithoutLegacyRSA()), webhook.ErrMissingSignature},
		{"re-serialized body, Ed25519", edOnly(edSig), reserialized, verifier(t), webhook.ErrInvalidSignature},
		{"re-serialized body, RSA", rsaOnly(rsaSig), reserialized, verifier(t), webhook.ErrInvalidSignature},
		{"one byte changed", good, bytes.Replace(body, []byte("john"), []byte("jon!"), 1), verifier(t), webhook.ErrInvalidSignature},
		{"wrong key, Ed25519", edOnly(other.SignEd25519(body)), body, verifier(t), webhook.ErrInvalidSignature},
		{"wrong key, RSA", rsaOnly(other.SignRSA(body)), body, verifier(t), webhook.ErrInvalidSignature},
		{"truncated Ed25519 signature", edOnly(edSig[:40]), body, verifier(t), webhook.ErrInvalidSignature},
		{"truncated RSA signature", rsaOnly(rsaSig[:100]), body, verifier(t), webhook.ErrInvalidSignature},
		{"bad base64", edOnly("!!!not base64!!!"), body, verifier(t), webhook.ErrInvalidSignature},
		{"empty headers", http.Header{webhook.HeaderEd25519: {""}, webhook.HeaderRSA: {""}}, body, verifier(t), webhook.ErrMissingSignature},
		{"no headers", http.Header{}, body, verifier(t), webhook.ErrMissingSignature},
		{"Ed25519 wrong, RSA right: the current scheme decides", http.Header{webhook.HeaderEd25519: {other.SignEd25519(body)}, webhook.HeaderRSA: {rsaSig}}, body, verifier(t), webhook.ErrInvalidSignature},
		{"Ed25519 right, RSA wrong", http.Header{webhook.HeaderEd25519: {edSig}, webhook.HeaderRSA: {other.SignRSA(body)}}, body, verifier(t), nil},
		{"unpadded base64", edOnly(strings.TrimRight(edSig, "=")), body, verifier(t), nil},
		// HighLevel's guide: the literal N/A means "no Ed25519 signature".
		{"Ed25519 N/A, RSA right", http.Header{webhook.HeaderEd25519: {"N/A"}, webhook.HeaderRSA: {rsaSig}}, body, verifier(t), nil},
		{"Ed25519 n/a, RSA right", http.Header{webhook.HeaderEd25519: {" n/a "}, webhook.HeaderRSA: {rsaSig}}, body, verifier(t), nil},
		{"Ed25519 blank, RSA right", http.Header{webhook.HeaderEd25519: {"  "}, webhook.HeaderRSA: {rsaSig}}, body, verifier(t), nil},
		{"Ed25519 N/A, RSA wrong", http.Header{webhook.HeaderEd25519: {"N/A"}, webhook.HeaderRSA: {other.SignRSA(body)}}, body, verifier(t), webhook.ErrInvalidSignature},
		{"Ed25519 N/A only", edOnly("N/A"), body, verifier(t), webhook.ErrMissingSignature},
		{"both N/A", http.Header{webhook.HeaderEd25519: {"N/A"}, webhook.HeaderRSA: {"N/A"}}, body, verifier(t), webhook.ErrMissingSignature},
		{"Ed25519 N/A, legacy off", http.Header{webhook.HeaderEd25519: {"N/A"}, webhook.HeaderRSA: {rsaSig}}, body, verifier(t, webhook.WithoutLegacyRSA()), webhook.ErrMissingSignature},
	}
	for _, tc := range cases {
		_, err := tc.v.Verify(tc.h, tc.body)
		if tc.want == nil {
			assert.NoError(t, err, tc.name)
		} else {
			assert.ErrorIs(t, err, tc.want, tc.name)
		}
	}
}

func TestKeyRotation(t *testing.T) {
	next, _ := webhook.NewTestSigner()
	body := payload("")
	both, err := webhook.NewVerifier(webhook.WithEd25519Keys(signer.Ed25519PublicKey(), next.Ed25519PublicKey()), webhook.WithoutLegacyRSA())
	require.NoError(t, err)
	for _, s := range []*webhook.TestSigner{signer, next} {
		_, err := both.Verify(http.Header{webhook.HeaderEd25519: {s.SignEd25519(body)}}, body)
		assert.NoError(t, err, "either key verifies during a rotation")
	}
	_, err = verifier(t).Verify(http.Header{webhook.HeaderEd25519: {next.SignEd25519(body)}}, body)
	assert.ErrorIs(t, err, webhook.ErrInvalidSignature)
	_, err = webhook.NewVerifier(webhook.WithEd25519Keys(), webhook.WithoutLegacyRSA())
	assert.Error(t, err, "a verifier that can verify nothing is refused")
	assert.NotContains(t, fmt.Sprintf("%v %#v", signer, signer), "PRIVATE")
}

func TestReplayWindow(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	v := verifier(t, webhook.WithClock(func() time.Time { return now }), webhook.WithReplayWindow(5*time.Minute))
	at := func(ts string) error {
		body := []byte(`{"type":"NoteCreate","locationId":"L","id":"n1","body":"hi","webhookId":"w","timestamp":"` + ts + `"}`)
		_, err := v.Verify(signer.Sign(body), body)
		return err
	}
	assert.NoError(t, at("2026-11-22T12:00:00Z"))
	assert.NoError(t, at("2026-11-22T11:55:00Z"), "the window's edge is inside")
	assert.NoError(t, at("2026-11-22T12:05:00Z"))
	assert.ErrorIs(t, at("2026-11-22T11:54:59Z"), webhook.ErrStale, "old")
	assert.ErrorIs(t, at("2026-11-22T12:05:01Z"), webhook.ErrStale, "from the future")
	assert.ErrorIs(t, at("yesterday"), webhook.ErrMalformed)

	bare := []byte(`{"type":"NoteCreate","locationId":"L","id":"n1"}`)
	_, err := v.Verify(signer.Sign(bare), bare)
	assert.NoError(t, err, "no replay fields: accepted on the signature by default")
	strict := verifier(t, webhook.RequireReplayFields())
	_, err = strict.Verify(signer.Sign(bare), bare)
	assert.ErrorIs(t, err, webhook.ErrStale)
}

func post(h http.Handler, body []byte, header http.Header) int {
	req := httptest.NewRequest(http.MethodPost, "/webhooks/ghl", bytes.NewReader(body))
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

func TestHandlerStatuses(t *testing.T) {
	var calls atomic.Int32
	var fail atomic.Bool
	h := webhook.NewHandler(verifier(t), func(ctx context.Context, ev webhook.Event) error {
		calls.Add(1)
		if fail.Load() {
			return errors.New("database down")
		}
		return nil
	}, webhook.WithMaxBody(4096))
	body := payload("")
	assert.Equal(t, 200, post(h, body, signer.Sign(body)))
	assert.Equal(t, 200, post(h, body, signer.Sign(body)), "a duplicate is acknowledged")
	assert.Equal(t, int32(1), calls.Load(), "but not processed twice")

	fail.Store(true)
	b2 := bytes.Replace(payload(""), []byte("wh-1"), []byte("wh-2"), 1)
	assert.Equal(t, 429, post(h, b2, signer.Sign(b2)), "a failed handler asks HighLevel to retry, with the answer it retries")
	fail.Store(false)
	assert.Equal(t, 200, post(h, b2, signer.Sign(b2)), "the retry is processed")
	assert.Equal(t, int32(3), calls.Load())

	assert.Equal(t, 401, post(h, body, nil), "unsigned")
	assert.Equal(t, 401, post(h, body, http.Header{webhook.HeaderEd25519: {base64.StdEncoding.EncodeToString(make([]byte, 64))}}))
	junk := []byte(`{"type":`)
	assert.Equal(t, 400, post(h, junk, signer.Sign(junk)), "signed but malformed")
	notype := []byte(`{"locationId":"L"}`)
	assert.Equal(t, 400, post(h, notype, signer.Sign(notype)))
	big := payload(`,"pad":"` + strings.Repeat("x", 5000) + `"`)
	assert.Equal(t, 413, post(h, big, signer.Sign(big)))
	req := httptest.NewRequest(http.MethodGet, "/webhooks/ghl", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.Equal(t, 405, rec.Code)
	assert.Equal(t, int32(3), calls.Load(), "no refused delivery reached the function")
}

func TestHandlerInProgressDuplicate(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{})
	h := webhook.NewHandler(verifier(t), func(ctx context.Context, ev webhook.Event) error {
		close(entered)
		<-release
		return nil
	})
	body := payload("")
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); assert.Equal(t, 200, post(h, body, signer.Sign(body))) }()
	<-entered
	assert.Equal(t, 429, post(h, body, signer.Sign(body)), "the same delivery while the first is running: come back later")
	close(release)
	wg.Wait()
}

// TestReplayWithoutReplayFields: a delivery with neither webhookId nor
// timestamp (as HighLevel documents most events) is processed once, and a
// replay of its exact bytes hours later, within the de-duplication window,
// is acknowledged without calling the function.
func TestReplayWithoutReplayFields(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	v := verifier(t, webhook.WithClock(clock))
	var calls atomic.Int32
	h := webhook.NewHandler(v, func(context.Context, webhook.Event) error { calls.Add(1); return nil })
	bare := []byte(`{"type":"ContactUpdate","locationId":"L","id":"c1","email":"a@b.co"}`)
	hdr := signer.Sign(bare)
	assert.Equal(t, 200, post(h, bare, hdr))
	now = now.Add(2 * time.Hour)
	assert.Equal(t, 200, post(h, bare, hdr), "replayed two hours later: acknowledged")
	assert.Equal(t, int32(1), calls.Load(), "and not processed again")
	other := []byte(`{"type":"ContactUpdate","locationId":"L","id":"c1","email":"b@b.co"}`)
	assert.Equal(t, 200, post(h, other, signer.Sign(other)), "a different event is processed")
	assert.Equal(t, int32(2), calls.Load())
	now = now.Add(webhook.DefaultDedupWindow)
	assert.Equal(t, 200, post(h, bare, hdr))
	assert.Equal(t, int32(3), calls.Load(), "past the window the bytes are new again")

	// With a timestamp, the window decides, whatever the de-duplication.
	stamped := payload("")
	hdr = signer.Sign(stamped)
	now = time.Now().Add(10 * time.Minute)
	assert.Equal(t, 401, post(h, stamped, hdr), "a stamped delivery replayed after the window is refused")
}

// TestPanickingHandlerReleasesItsClaim: a function that panics gets the
// failure answer, and HighLevel's retry is processed rather than refused.
func TestPanickingHandlerReleasesItsClaim(t *testing.T) {
	var calls atomic.Int32
	h := webhook.NewHandler(verifier(t), func(context.Context, webhook.Event) error {
		if calls.Add(1) == 1 {
			panic("nil map")
		}
		return nil
	})
	body := payload("")
	assert.Equal(t, 429, post(h, body, signer.Sign(body)))
	assert.Equal(t, 200, post(h, body, signer.Sign(body)), "the retry is processed")
	assert.Equal(t, int32(2), calls.Load())

	h500 := webhook.NewHandler(verifier(t), func(context.Context, webhook.Event) error { return errors.New("down") },
		webhook.WithFailureStatus(500))
	b := bytes.Replace(payload(""), []byte("wh-1"), []byte("wh-9"), 1)
	assert.Equal(t, 500, post(h500, b, signer.Sign(b)))
}

func TestSeenStoreStaysBounded(t *testing.T) {
	const capacity = 10_000
	l := webhook.NewLRU(capacity)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	until := time.Now().Add(time.Hour)
	for i := range 1_000_000 {
		id := fmt.Sprintf("wh-%d", i)
		require.Equal(t, webhook.ClaimNew, l.Claim(id, until))
		l.Done(id)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	assert.Equal(t, capacity, l.Len())
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("1,000,000 distinct IDs: %d held, heap grew %d KiB", l.Len(), grown/1024)
	assert.Less(t, grown, int64(16<<20), "memory is bounded by the capacity, not the IDs seen")
	assert.Equal(t, webhook.ClaimDone, l.Claim("wh-999999", until), "recent IDs are still known")
	assert.Equal(t, webhook.ClaimNew, l.Claim("wh-0", until), "the oldest made room")
}

func TestParseTypes(t *testing.T) {
	cases := map[string]string{
		`{"type":"ContactDndUpdate","locationId":"L","id":"c","dndSettings":{"SMS":{"status":"active","message":"x","code":"y"}},"attachments":[],"customFields":[{"id":"f","value":{"a":1}}]}`:                                                                                                                     "*webhook.ContactEvent",
		`{"type":"NoteUpdate","locationId":"L","id":"n","body":"b","contactId":"c","dateAdded":"2021-11-26T12:41:02.193Z"}`:                                                                                                                                                                                         "*webhook.NoteEvent",
		`{"type":"TaskComplete","locationId":"L","id":"t","assignedTo":"u","body":"b","contactId":"c","title":"T","dateAdded":"2021-11-26T12:41:02.193Z","dueDate":"2021-11-26T12:41:02.193Z"}`:                                                                                                                     "*webhook.TaskEvent",
		`{"type":"AppointmentCreate","locationId":"L","appointment":{"id":"a","startTime":"2023-09-25T16:00:00+05:30","appointmentStatus":"confirmed","users":["u"],"source":"booking_widget"}}`:                                                                                                                    "*webhook.AppointmentEvent",
		`{"type":"INSTALL","appId":"ve9EPM428h8vShlRW1KT","companyId":"otg8dTQqGLh8Q0l3ukcJ","planId":"p","trial":{"onTrial":true,"trialDuration":7,"trialStartDate":"2023-06-08T00:00:00.000Z"},"isWhitelabelCompany":true,"whitelabelDetails":{"domain":"example.com","logoUrl":"https://x"},"companyName":"Co"}`: "*webhook.InstallEvent",
		`{"type":"UNINSTALL","appId":"a","locationId":"L"}`:      "*webhook.UninstallEvent",
		`{"type":"OpportunityCreate","locationId":"L","id":"o"}`: "*webhook.UnknownEvent",
	}
	for body, want := range cases {
		ev, err := webhook.Parse([]byte(body))
		require.NoError(t, err, body)
		assert.Equal(t, want, fmt.Sprintf("%T", ev))
	}
	ev, _ := webhook.Parse([]byte(`{"type":"ContactDndUpdate","locationId":"L","id":"c","dndSettings":{"SMS":{"status":"active"}}}`))
	ce := ev.(*webhook.ContactEvent)
	assert.Equal(t, "ContactDndUpdate", ce.EventType(), "the event type is not lost to the contact's own type field")
	assert.Equal(t, "active", ce.DNDSettings.SMS.Status)
	ev, _ = webhook.Parse([]byte(`{"type":"AppointmentCreate","locationId":"L","appointment":{"id":"a","startTime":"2023-09-25T16:00:00+05:30"}}`))
	assert.Equal(t, "2023-09-25T10:30:00Z", ev.(*webhook.AppointmentEvent).Appointment.StartTime.UTC().Format(time.RFC3339))
	ev, _ = webhook.Parse([]byte(`{"type":"OpportunityCreate","locationId":"L","id":"o"}`))
	assert.Contains(t, string(ev.(*webhook.UnknownEvent).Raw), `"id":"o"`)
}

func TestMuxDispatch(t *testing.T) {
	var got []string
	m := webhook.NewMux().
		OnContactChange(func(_ context.Context, e *webhook.ContactEvent) error {
			got = append(got, "contact:"+e.Type)
			return nil
		}).
		OnTask(func(_ context.Context, e *webhook.TaskEvent) error { got = append(got, "task:"+e.Type); return nil }).
		OnUnknown(func(_ context.Context, e webhook.Event) error { got = append(got, "other:"+e.EventType()); return nil })
	for _, b := range []string{`{"type":"ContactCreate","id":"c"}`, `{"type":"TaskComplete","id":"t"}`, `{"type":"NoteCreate","id":"n"}`} {
		ev, err := webhook.Parse([]byte(b))
		require.NoError(t, err)
		require.NoError(t, m.Handle(context.Background(), ev))
	}
	assert.Equal(t, []string{"contact:ContactCreate", "task:TaskComplete", "other:NoteCreate"}, got)
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"type":"ContactCreate","id":"c","customFields":[{"id":"x","value":[1]}]}`))
	f.Add([]byte(`{"type":"AppointmentUpdate","appointment":{"startTime":"2023-09-25 16:00:00"}}`))
	f.Add([]byte(`{"type":"INSTALL","trial":{"trialDuration":"7"}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := webhook.Parse(b)
		if err == nil && ev.EventType() == "" {
			t.Fatal("an event without a type was accepted")
		}
	})
}

func FuzzVerify(f *testing.F) {
	v, err := signer.TestVerifier()
	if err != nil {
		f.Fatal(err)
	}
	body := payload("")
	f.Add(body, signer.SignEd25519(body), signer.SignRSA(body))
	f.Add([]byte(`{}`), "", "AAAA")
	f.Fuzz(func(t *testing.T, b []byte, ed, rs string) {
		h := http.Header{}
		if ed != "" {
			h.Set(webhook.HeaderEd25519, ed)
		}
		if rs != "" {
			h.Set(webhook.HeaderRSA, rs)
		}
		if _, err := v.Verify(h, b); err == nil && !bytes.Equal(b, body) {
			t.Fatalf("a forged delivery verified: %q", b)
		}
	})
}

func BenchmarkVerifyEd25519(b *testing.B) {
	v, _ := signer.TestVerifier()
	body := payload("")
	h := http.Header{webhook.HeaderEd25519: {signer.SignEd25519(body)}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(h, body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyRSA(b *testing.B) {
	v, _ := signer.TestVerifier()
	body := payload("")
	h := http.Header{webhook.HeaderRSA: {signer.SignRSA(body)}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(h, body); err != nil {
			b.Fatal(err)
		}
	}
}
