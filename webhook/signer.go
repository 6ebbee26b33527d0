package webhook

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
)

// TestSigner signs payloads as HighLevel does, with keys of its own, so
// tests (yours, and ghltest's deliveries) can send genuine-looking
// deliveries. Only a verifier built by its TestVerifier trusts them.
type TestSigner struct {
	// keys holds the private keys in a closure, which no printer (fmt's
	// error path, a reflection dumper) can look into.
	keys func() (ed25519.PrivateKey, *rsa.PrivateKey)
}

func (s *TestSigner) ed() ed25519.PrivateKey { k, _ := s.keys(); return k }
func (s *TestSigner) rsa() *rsa.PrivateKey   { _, k := s.keys(); return k }

// String names the signer without its private keys.
func (s TestSigner) String() string { return "webhook.TestSigner{[private keys redacted]}" }

// Format prints String for every verb, so no verb reveals a private key.
func (s TestSigner) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// NewTestSigner makes fresh Ed25519 and 2048-bit RSA key pairs.
func NewTestSigner() (*TestSigner, error) {
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	r, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	return &TestSigner{keys: func() (ed25519.PrivateKey, *rsa.PrivateKey) { return ed, r }}, nil
}

// Sign returns both signature headers for body.
func (s *TestSigner) Sign(body []byte) http.Header {
	h := http.Header{}
	h.Set(HeaderEd25519, base64.StdEncoding.EncodeToString(ed25519.Sign(s.ed(), body)))
	sum := sha256.Sum256(body)
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.rsa(), crypto.SHA256, sum[:])
	if err == nil {
		h.Set(HeaderRSA, base64.StdEncoding.EncodeToString(sig))
	}
	return h
}

// SignEd25519 returns only the current scheme's header value.
func (s *TestSigner) SignEd25519(body []byte) string {
	return base64.StdEncoding.EncodeToString(ed25519.Sign(s.ed(), body))
}

// SignRSA returns only the legacy scheme's header value.
func (s *TestSigner) SignRSA(body []byte) string {
	sum := sha256.Sum256(body)
	sig, _ := rsa.SignPKCS1v15(rand.Reader, s.rsa(), crypto.SHA256, sum[:])
	return base64.StdEncoding.EncodeToString(sig)
}

// TestVerifier returns a verifier that trusts this signer's keys instead
// of HighLevel's. Use it only in tests.
func (s *TestSigner) TestVerifier(opts ...Option) (*Verifier, error) {
	base := []Option{WithEd25519Keys(s.Ed25519PublicKey()), WithRSAKeys(s.RSAPublicKey())}
	return NewVerifier(append(base, opts...)...)
}

// Ed25519PublicKey returns the public half of the Ed25519 key.
func (s *TestSigner) Ed25519PublicKey() ed25519.PublicKey { return s.ed().Public().(ed25519.PublicKey) }

// RSAPublicKey returns the public half of the RSA key.
func (s *TestSigner) RSAPublicKey() *rsa.PublicKey { return &s.rsa().PublicKey }

// GoString leaves the private keys out.
func (s TestSigner) GoString() string { return s.String() }

// LogValue keeps the private keys out of slog output.
func (s TestSigner) LogValue() slog.Value { return slog.StringValue(s.String()) }
