// Package webhook receives HighLevel webhooks safely: signatures verified on
// the raw request bytes (Ed25519 x-ghl-signature first, RSA x-wh-signature
// as the legacy fallback), deliveries outside a time window or seen before
// refused, payloads parsed into typed events, and an http.Handler that
// answers 2xx only when your code succeeded, so HighLevel retries failures.
//
// Nothing is accepted unsigned: the only verifier that trusts other keys is
// one you build with those keys (NewTestSigner's, in tests).
package webhook

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ghlkit/ghl"
)

// Header names of the two signature schemes.
const (
	HeaderEd25519 = "X-Ghl-Signature" // Ed25519 over the raw body, base64
	HeaderRSA     = "X-Wh-Signature"  // legacy RSA-SHA256 PKCS#1 v1.5 over the raw body, base64
)

// Errors of Verify; errors.Is works on what it returns.
var (
	ErrMissingSignature = errors.New("webhook: no signature header")
	ErrInvalidSignature = errors.New("webhook: invalid signature")
	ErrStale            = errors.New("webhook: timestamp outside the replay window")
	ErrMalformed        = errors.New("webhook: malformed payload")
)

// Verifier checks deliveries. It is safe for concurrent use.
type Verifier struct {
	ed          []ed25519.PublicKey
	rsa         []*rsa.PublicKey
	legacy      bool
	window      time.Duration
	requireMeta bool
	now         func() time.Time
}

// An Option configures a Verifier.
type Option func(*Verifier) error

// WithEd25519Keys replaces the Ed25519 keys; any of them verifies (rotation).
func WithEd25519Keys(keys ...ed25519.PublicKey) Option {
	return func(v *Verifier) error {
		for _, k := range keys {
			if len(k) != ed25519.PublicKeySize {
				return errors.New("webhook: an Ed25519 key must be 32 bytes")
			}
		}
		v.ed = keys
		return nil
	}
}

// WithRSAKeys replaces the legacy RSA keys; any of them verifies.
func WithRSAKeys(keys ...*rsa.PublicKey) Option {
	return func(v *Verifier) error {
		for _, k := range keys {
			if k == nil || k.N.BitLen() < 2048 {
				return errors.New("webhook: an RSA key must have at least 2048 bits")
			}
		}
		v.rsa = keys
		return nil
	}
}

// WithoutLegacyRSA refuses x-wh-signature deliveries, e.g. after HighLevel's
// announced cut-off for the RSA scheme.
func WithoutLegacyRSA() Option {
	return func(v *Verifier) error { v.legacy = false; return nil }
}

// WithReplayWindow sets how far a delivery's timestamp may be from now
// (default 5 minutes).
func WithReplayWindow(d time.Duration) Option {
	return func(v *Verifier) error {
		if d <= 0 {
			return errors.New("webhook: the replay window must be positive")
		}
		v.window = d
		return nil
	}
}

// RequireReplayFields refuses deliveries without timestamp and webhookId.
// HighLevel documents both for replay protection, but its per-event
// examples omit them, so by default a delivery without them is accepted on
// its signature alone.
func RequireReplayFields() Option {
	return func(v *Verifier) error { v.requireMeta = true; return nil }
}

// WithClock sets the verifier's clock (for tests).
func WithClock(now func() time.Time) Option {
	return func(v *Verifier) error { v.now = now; return nil }
}

// NewVerifier returns a verifier with HighLevel's published keys.
func NewVerifier(opts ...Option) (*Verifier, error) {
	ed, r := mustBuiltIn()
	v := &Verifier{ed: []ed25519.PublicKey{ed}, rsa: []*rsa.PublicKey{r}, legacy: true, window: 5 * time.Minute, now: time.Now}
	for _, o := range opts {
		if err := o(v); err != nil {
			return nil, err
		}
	}
	if len(v.ed) == 0 && (!v.legacy || len(v.rsa) == 0) {
		return nil, errors.New("webhook: no key could verify anything")
	}
	return v, nil
}

// Verify checks a delivery's signature over the exact body bytes received,
// and its timestamp against the replay window. It returns the delivery's
// webhookId ("" when it has none) for de-duplication.
func (v *Verifier) Verify(h http.Header, body []byte) (webhookID string, err error) {
	if err := v.verifySignature(h, body); err != nil {
		return "", err
	}
	var meta struct {
		WebhookID string   `json:"webhookId"`
		Timestamp ghl.Time `json:"timestamp"`
	}
	if err := json.Unmarshal(body, &meta); err != nil {
		return "", fmt.Errorf("%w: %s", ErrMalformed, jsonErr(err))
	}
	if v.requireMeta && (meta.WebhookID == "" || meta.Timestamp.IsZero()) {
		return "", fmt.Errorf("%w: timestamp and webhookId are required", ErrStale)
	}
	if meta.Timestamp.Raw != "" {
		return "", fmt.Errorf("%w: unreadable timestamp", ErrMalformed)
	}
	if !meta.Timestamp.IsZero() {
		if d := v.now().Sub(meta.Timestamp.Time); d > v.window || d < -v.window {
			return "", fmt.Errorf("%w: sent %s, %s from now", ErrStale, meta.Timestamp.Time.Format(time.RFC3339), d.Round(time.Second))
		}
	}
	return meta.WebhookID, nil
}

// absentSig says a signature header carries no signature: empty, blank, or
// the literal "N/A", which HighLevel's guide says it sends when a delivery
// has no Ed25519 signature.
func absentSig(v string) bool {
	v = strings.TrimSpace(v)
	return v == "" || strings.EqualFold(v, "N/A")
}

func (v *Verifier) verifySignature(h http.Header, body []byte) error {
	if sig := h.Get(HeaderEd25519); !absentSig(sig) && len(v.ed) > 0 {
		// The current scheme decides when present: a bad Ed25519 signature
		// is not rescued by a legacy one.
		raw, err := decodeSig(sig)
		if err != nil || len(raw) != ed25519.SignatureSize {
			return fmt.Errorf("%w: %s is not a base64 Ed25519 signature", ErrInvalidSignature, HeaderEd25519)
		}
		for _, k := range v.ed {
			if ed25519.Verify(k, body, raw) {
				return nil
			}
		}
		return fmt.Errorf("%w: %s does not match the body", ErrInvalidSignature, HeaderEd25519)
	}
	if sig := h.Get(HeaderRSA); !absentSig(sig) && v.legacy && len(v.rsa) > 0 {
		raw, err := decodeSig(sig)
		if err != nil {
			return fmt.Errorf("%w: %s is not base64", ErrInvalidSignature, HeaderRSA)
		}
		sum := sha256.Sum256(body)
		for _, k := range v.rsa {
			if rsa.VerifyPKCS1v15(k, crypto.SHA256, sum[:], raw) == nil {
				return nil
			}
		}
		return fmt.Errorf("%w: %s does not match the body", ErrInvalidSignature, HeaderRSA)
	}
	return ErrMissingSignature
}

// decodeSig reads standard base64, padded or not.
func decodeSig(s string) ([]byte, error) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(s)
}

func jsonErr(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at offset %d", se.Offset)
	}
	return "not a JSON object"
}
