package ghl_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/webhook"
)

// shapes returns v the ways an app holds it: by value and by pointer, as an
// exported and an unexported field of its own structs (one and two levels
// deep), in slices and in maps.
func shapes[T any](v T) map[string]any {
	p := &v
	type exported struct{ X T }
	type unexported struct{ x T }
	type exportedPtr struct{ X *T }
	type unexportedPtr struct{ x *T }
	type deep struct {
		Name  string
		inner struct{ cfg unexported }
	}
	d := deep{Name: "app"}
	d.inner.cfg = unexported{v}
	return map[string]any{
		"value": v, "pointer": p,
		"field": exported{v}, "unexported field": unexported{v},
		"pointer field": exportedPtr{p}, "unexported pointer field": unexportedPtr{p},
		"*field": &exported{v}, "*unexported field": &unexported{v},
		"two levels deep": d, "*two levels deep": &d,
		"slice": []T{v}, "slice of pointers": []*T{p},
		"map": map[string]T{"k": v}, "map of pointers": map[string]*T{"k": p},
		"any slice": []any{v, p},
	}
}

// verbs are every fmt verb and flag a caller might use.
var verbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%p", "%T", "%o", "%b", "%e", "%c", "%U",
	"%t", "%10.3v", "%#x", "%-20s", "%08d", "% x", "%+q", "%#q"}

// leaks reports what of secrets shows in out: the value, its hex or
// base64, or any long run of raw bytes (a private key printed as
// [12 34 …]).
func leaks(out string, secrets []string) []string {
	var found []string
	for _, s := range secrets {
		for _, form := range []string{s, hex.EncodeToString([]byte(s)), strings.ToUpper(hex.EncodeToString([]byte(s))),
			base64.StdEncoding.EncodeToString([]byte(s)), fmt.Sprint([]byte(s))} {
			if strings.Contains(out, form) {
				found = append(found, fmt.Sprintf("%q (as %q)", s, form))
			}
		}
	}
	if m := byteRun.FindString(out); m != "" {
		found = append(found, "a run of raw bytes: "+m)
	}
	return found
}

var byteRun = regexp.MustCompile(`\[(\d{1,3} ){15,}\d{1,3}\]`)

// TestSecretsNeverPrint: every type that holds a secret, in every shape an
// app holds it, printed with every fmt verb, fmt.Sprint and both slog
// handlers (and in a slog group), shows no secret: not the value, not its
// hex or base64, no raw key bytes.
func TestSecretsNeverPrint(t *testing.T) {
	t.Parallel()
	e := newOAuthEnv(t)
	store := ghl.NewMemoryStore()
	src := e.install(t, store)
	tok, err := src.Token(context.Background())
	require.NoError(t, err)
	fileKey := []byte("k3y-0123456789abcdef-ABCDEFGHIJK")
	fs, err := ghl.NewFileStore(t.TempDir(), fileKey)
	require.NoError(t, err)
	client, err := ghl.NewClient(ghl.WithToken(testToken))
	require.NoError(t, err)
	signer, err := webhook.NewTestSigner()
	require.NoError(t, err)
	cfg := *e.cfg
	secrets := []string{cfg.ClientSecret.Reveal(), tok.AccessToken.Reveal(), tok.RefreshToken.Reveal(), testToken, string(fileKey)}
	require.NotContains(t, secrets, "")

	holders := map[string]map[string]any{
		"Secret": shapes(tok.RefreshToken), "Token": shapes(*tok), "OAuthConfig": shapes(cfg), "Client": shapes(*client),
		"MemoryStore": shapes(*store), "FileStore": shapes(*fs), "RefreshingSource": shapes(*src), "TestSigner": shapes(*signer),
	}
	names := make([]string, 0, len(holders))
	for n := range holders {
		names = append(names, n)
	}
	sort.Strings(names)
	checked := 0
	for _, holder := range names {
		for shape, v := range holders[holder] {
			var out bytes.Buffer
			for _, verb := range verbs {
				s := fmt.Sprintf(verb, v)
				if l := leaks(s, secrets); len(l) > 0 {
					t.Errorf("%s as %s printed with %s shows %v:\n%s", holder, shape, verb, l, s)
				}
				checked++
			}
			out.WriteString(fmt.Sprint(v) + fmt.Sprintln(v, v))
			for _, h := range []slog.Handler{slog.NewTextHandler(&out, nil), slog.NewJSONHandler(&out, nil)} {
				slog.New(h).Info("value", "v", v, slog.Group("g", "v", v))
				checked++
			}
			if l := leaks(out.String(), secrets); len(l) > 0 {
				t.Errorf("%s as %s, through fmt.Sprint or slog, shows %v:\n%s", holder, shape, l, out.String())
			}
		}
	}
	t.Logf("%d printings checked", checked)
}

// TestSecretEncoding: a Secret (and so a Token) refuses encoding/json and
// text encoders with an error, never writing the value or "[redacted]" in
// its place; a Token persists with MarshalBinary (and so with gob) and
// comes back whole; JSON strings decode into Secrets.
func TestSecretEncoding(t *testing.T) {
	tok := ghl.Token{AccessToken: ghl.NewSecret("at-secret-1"), RefreshToken: ghl.NewSecret("rt-secret-1"), LocationID: "L1", Scope: "contacts.readonly"}

	for name, v := range map[string]any{"Token": tok, "*Token": &tok, "Secret": tok.AccessToken, "in a struct": struct{ T ghl.Token }{tok},
		"in a map": map[string]ghl.Token{"L1": tok}} {
		b, err := json.Marshal(v)
		assert.ErrorIs(t, err, ghl.ErrSecretNotEncoded, "json.Marshal of a %s", name)
		assert.Empty(t, b, name)
	}
	// gob is a persistence encoding a program chooses: it goes through
	// MarshalBinary and keeps the pair whole.
	var buf bytes.Buffer
	require.NoError(t, gob.NewEncoder(&buf).Encode(tok))
	var viaGob ghl.Token
	require.NoError(t, gob.NewDecoder(&buf).Decode(&viaGob))
	assert.Equal(t, "rt-secret-1", viaGob.RefreshToken.Reveal())
	_, err := tok.AccessToken.MarshalText()
	assert.ErrorIs(t, err, ghl.ErrSecretNotEncoded)
	_, err = tok.AccessToken.MarshalYAML()
	assert.ErrorIs(t, err, ghl.ErrSecretNotEncoded)

	b, err := tok.MarshalBinary()
	require.NoError(t, err)
	var back ghl.Token
	require.NoError(t, back.UnmarshalBinary(b))
	assert.Equal(t, "at-secret-1", back.AccessToken.Reveal())
	assert.Equal(t, "rt-secret-1", back.RefreshToken.Reveal())
	assert.Equal(t, "L1", back.LocationID)
	assert.True(t, back.AccessToken.Equal(tok.AccessToken))
	assert.False(t, back.AccessToken.Equal(tok.RefreshToken))
	assert.Error(t, back.UnmarshalBinary([]byte("not json")))

	// What earlier versions of the stores wrote (plain JSON) still reads.
	var old ghl.Token
	require.NoError(t, old.UnmarshalBinary([]byte(`{"access_token":"at-old","refresh_token":"rt-old","expiry":"2026-01-01T00:00:00Z","locationId":"L9"}`)))
	assert.Equal(t, "rt-old", old.RefreshToken.Reveal())

	var in struct {
		S ghl.Secret `json:"s"`
		N ghl.Secret `json:"n"`
	}
	require.NoError(t, json.Unmarshal([]byte(`{"s":"from-json","n":null}`), &in))
	assert.Equal(t, "from-json", in.S.Reveal())
	assert.True(t, in.N.IsZero())
	assert.Error(t, json.Unmarshal([]byte(`{"s":42}`), &in))
	assert.Equal(t, "", ghl.Secret{}.String(), "an empty secret prints as nothing")
	assert.Equal(t, "[redacted]", in.S.String())
}

// TestCustomStoreThatEncodesJSONFailsLoudly: a TokenStore written against
// the old Token (json.Marshal of the pair) now fails its first Save with an
// error, instead of persisting a token without its secrets.
func TestCustomStoreThatEncodesJSONFailsLoudly(t *testing.T) {
	t.Parallel()
	e := newOAuthEnv(t)
	st := &jsonStore{}
	code, err := e.srv.AuthorizationCode(e.cfg.ClientID, e.cfg.RedirectURL, "GhlTestLocation00001", "contacts.readonly")
	require.NoError(t, err)
	_, _, err = e.cfg.ExchangeAndSave(context.Background(), code, st)
	require.Error(t, err)
	assert.True(t, errors.Is(err, ghl.ErrSecretNotEncoded), "%v", err)
	assert.Empty(t, st.saved, "nothing half-written")
}

// jsonStore is a naive custom TokenStore: it encodes the Token as JSON.
type jsonStore struct{ saved map[string][]byte }

func (s *jsonStore) Load(_ context.Context, key string) (*ghl.Token, error) {
	b, ok := s.saved[key]
	if !ok {
		return nil, ghl.ErrNoToken
	}
	var t ghl.Token
	return &t, json.Unmarshal(b, &t)
}

func (s *jsonStore) Save(_ context.Context, key string, t *ghl.Token) error {
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	if s.saved == nil {
		s.saved = map[string][]byte{}
	}
	s.saved[key] = b
	return nil
}

func (s *jsonStore) Lock(context.Context, string) (func(), error) { return func() {}, nil }
