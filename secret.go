package ghl

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
)

// Secret holds a credential (an access or refresh token, a client secret)
// so that it never prints. Every fmt verb, by value or by pointer, shows
// "[redacted]" (or nothing for an empty Secret), and so do slog's handlers;
// where a printer cannot call its methods (a Secret in an unexported field
// of your own struct, fmt's error path for a wrong verb, a reflection
// dumper such as the one testify prints diffs with) it finds only a func
// value, which no printer can look into. So a Token or an OAuthConfig
// inside your structs, slices or maps prints nothing secret, however it is
// printed or logged.
//
// Reveal returns the value, for the one place that must send it.
//
// A Secret refuses to be encoded as JSON, text or YAML (an error, never
// "[redacted]" written where a credential was expected), so a store that
// persists a Token with encoding/json fails loudly: persist tokens with
// Token.MarshalBinary. A Secret decodes from a JSON string.
//
// Secrets are not comparable with == (it would not compile); use Equal.
type Secret struct {
	v func() string // nil: empty
}

// NewSecret wraps v.
func NewSecret(v string) Secret {
	if v == "" {
		return Secret{}
	}
	return Secret{v: func() string { return v }}
}

// Reveal returns the secret's value. Send it; never print or log it.
func (s Secret) Reveal() string {
	if s.v == nil {
		return ""
	}
	return s.v()
}

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.v == nil }

// Equal reports whether both hold the same value, in constant time.
func (s Secret) Equal(o Secret) bool {
	a, b := s.Reveal(), o.Reveal()
	return len(a) == len(b) && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// String is "[redacted]", or "" for an empty secret.
func (s Secret) String() string {
	if s.IsZero() {
		return ""
	}
	return redacted
}

// GoString is String, quoted.
func (s Secret) GoString() string { return fmt.Sprintf("ghl.Secret(%q)", s.String()) }

// Format prints String for every verb.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// LogValue keeps the value out of slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// ErrSecretNotEncoded is the error a Secret gives an encoder: a credential
// is neither written in clear nor silently replaced by "[redacted]" where
// the value was expected. Persist a Token with its MarshalBinary.
var ErrSecretNotEncoded = errors.New("ghl: a Secret is not encoded as JSON, text or YAML (persist a Token with Token.MarshalBinary; send a Secret with Reveal)")

// MarshalJSON refuses: see ErrSecretNotEncoded.
func (s Secret) MarshalJSON() ([]byte, error) { return nil, ErrSecretNotEncoded }

// MarshalText refuses: see ErrSecretNotEncoded.
func (s Secret) MarshalText() ([]byte, error) { return nil, ErrSecretNotEncoded }

// MarshalYAML refuses (gopkg.in/yaml.v3 and go.yaml.in/yaml call it): see
// ErrSecretNotEncoded.
func (s Secret) MarshalYAML() (any, error) { return nil, ErrSecretNotEncoded }

// UnmarshalJSON reads a JSON string (or null, an empty secret).
func (s *Secret) UnmarshalJSON(b []byte) error {
	var v *string
	if err := json.Unmarshal(b, &v); err != nil {
		return errors.New("ghl: a secret must be a JSON string")
	}
	if v == nil {
		*s = Secret{}
		return nil
	}
	*s = NewSecret(*v)
	return nil
}
