package tokens

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Role is what a token may do; each role includes the ones below it.
type Role int

// The roles, in increasing order of power. None is no role: a request
// needing None is open to anyone.
const (
	None Role = iota
	Read
	Write
	Admin
)

func (r Role) String() string {
	switch r {
	case Read:
		return "read"
	case Write:
		return "write"
	case Admin:
		return "admin"
	}
	return "none"
}

// ParseRole reads "read", "write" or "admin".
func ParseRole(s string) (Role, error) {
	for _, r := range []Role{Read, Write, Admin} {
		if s == r.String() {
			return r, nil
		}
	}
	return None, fmt.Errorf("unknown role %q: read, write or admin", s)
}

// Identity is who a token belongs to.
type Identity struct {
	Name string
	Role Role
}

// Hash is the SHA-256 of a token, as the tokens file holds it.
func Hash(token string) [sha256.Size]byte { return sha256.Sum256([]byte(token)) }

// Line is the tokens-file line of token with role and name.
func Line(token string, role Role, name string) string {
	h := Hash(token)
	line := "sha256:" + hex.EncodeToString(h[:]) + " " + role.String()
	if name != "" {
		line += " " + name
	}
	return line
}

// New mints a random token (32 bytes from crypto/rand, base64url) and
// returns it with its tokens-file line.
func New(role Role, name string) (token, line string, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("generating a token: %w", err)
	}
	token = "akt_" + base64.RawURLEncoding.EncodeToString(b[:])
	return token, Line(token, role, name), nil
}

type entry struct {
	hash [sha256.Size]byte
	id   Identity
}

// parse reads a tokens file's contents.
func parse(data []byte) ([]entry, error) {
	var out []entry
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 2 || len(fields) > 3 {
			return nil, fmt.Errorf("line %d: want sha256:HEX ROLE [NAME]", n)
		}
		hexHash, ok := strings.CutPrefix(fields[0], "sha256:")
		raw, err := hex.DecodeString(hexHash)
		if !ok || err != nil || len(raw) != sha256.Size {
			return nil, fmt.Errorf("line %d: the first field must be sha256: and 64 hex digits (akutan ctl token prints such lines)", n)
		}
		role, err := ParseRole(fields[1])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		e := entry{id: Identity{Role: role}}
		copy(e.hash[:], raw)
		if len(fields) == 3 {
			e.id.Name = fields[2]
		}
		out = append(out, e)
	}
	return out, sc.Err()
}

// reloadCheckEvery bounds how often a Store stats its file.
const reloadCheckEvery = time.Second

// Store is the tokens of a file, re-read when it changes.
type Store struct {
	path string
	log  zerolog.Logger

	mu        sync.Mutex
	entries   []entry
	mod       time.Time
	lastCheck time.Time
}

// Load reads the tokens file at path.
func Load(path string, log zerolog.Logger) (*Store, error) {
	s := &Store{path: path, log: log}
	if err := s.reload(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Store) reload() error {
	fi, err := os.Stat(s.path)
	if err != nil {
		return fmt.Errorf("reading the tokens file: %w", err)
	}
	if s.entries != nil && fi.ModTime().Equal(s.mod) {
		return nil
	}
	data, err := os.ReadFile(s.path)
	if err != nil {
		return fmt.Errorf("reading the tokens file: %w", err)
	}
	entries, err := parse(data)
	if err != nil {
		return fmt.Errorf("reading the tokens file %s: %w", s.path, err)
	}
	if entries == nil {
		entries = []entry{} // loaded, and empty: every token is refused
	}
	if s.entries != nil {
		s.log.Info().Int("tokens", len(entries)).Msg("tokens file changed: reloaded")
	}
	s.entries, s.mod = entries, fi.ModTime()
	return nil
}

// Lookup finds the identity of token, comparing its hash with every
// line's in constant time.
func (s *Store) Lookup(token string) (Identity, bool) {
	s.mu.Lock()
	if now := time.Now(); now.Sub(s.lastCheck) >= reloadCheckEvery {
		s.lastCheck = now
		if err := s.reload(); err != nil {
			s.log.Warn().Err(err).Msg("keeping the previous tokens")
		}
	}
	entries := s.entries
	s.mu.Unlock()
	h := Hash(token)
	var found Identity
	match := 0
	for _, e := range entries {
		eq := subtle.ConstantTimeCompare(h[:], e.hash[:])
		if eq == 1 && match == 0 {
			found = e.id
		}
		match |= eq
	}
	return found, match == 1
}

// Errors of Check, wrapped with what was missing.
var (
	ErrUnauthenticated  = errors.New("unauthenticated")
	ErrPermissionDenied = errors.New("permission denied")
)

// Check authorizes a request needing role need that presented the
// authorization value auth ("Bearer TOKEN", or "" for none).
func (s *Store) Check(auth string, need Role) (Identity, error) {
	if need == None {
		return Identity{}, nil
	}
	if auth == "" {
		return Identity{}, fmt.Errorf("%w: this API server requires a bearer token (authorization: Bearer TOKEN; clients: --token-file FILE)", ErrUnauthenticated)
	}
	scheme, token, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return Identity{}, fmt.Errorf("%w: the authorization is not \"Bearer TOKEN\"", ErrUnauthenticated)
	}
	id, ok := s.Lookup(strings.TrimSpace(token))
	if !ok {
		return Identity{}, fmt.Errorf("%w: the bearer token is not one this API server accepts", ErrUnauthenticated)
	}
	if id.Role < need {
		return id, deniedError(need, id)
	}
	return id, nil
}

func named(name string) string {
	if name == "" {
		return ""
	}
	return " " + strconv.Quote(name)
}

type ctxKey struct{}

// WithIdentity returns ctx carrying id, as the interceptors set it.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// FromContext is the identity the interceptors found, if any.
func FromContext(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(ctxKey{}).(Identity)
	return id, ok
}
