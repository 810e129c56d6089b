package tokens

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// store writes lines to a tokens file and loads it.
func store(t *testing.T, lines ...string) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Load(path, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	return s, path
}

func mint(t *testing.T, role Role, name string) (string, string) {
	t.Helper()
	tok, line, err := New(role, name)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(line, tok) {
		t.Fatal("the tokens-file line holds the token in clear")
	}
	return tok, line
}

func TestCheck(t *testing.T) {
	rt, rl := mint(t, Read, "reader")
	wt, wl := mint(t, Write, "")
	at, al := mint(t, Admin, "ops")
	s, _ := store(t, "# tokens", rl, "", wl, al)
	cases := []struct {
		auth string
		need Role
		want error
	}{
		{"", None, nil},
		{"", Read, ErrUnauthenticated},
		{"Basic abc", Read, ErrUnauthenticated},
		{"Bearer nope", Read, ErrUnauthenticated},
		{"Bearer " + rt, Read, nil},
		{"Bearer " + rt, Write, ErrPermissionDenied},
		{"bearer " + wt, Write, nil},
		{"Bearer " + wt, Admin, ErrPermissionDenied},
		{"Bearer " + at, Admin, nil},
		{"Bearer " + at, Read, nil},
	}
	for _, c := range cases {
		_, err := s.Check(c.auth, c.need)
		if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("Check(%.12q, %s) = %v, want %v", c.auth, c.need, err, c.want)
		}
	}
	_, err := s.Check("Bearer "+rt[:len(rt)-1], Read)
	if err == nil || strings.Contains(err.Error(), "reader") {
		t.Errorf("a near-miss token: %v (must be refused without naming any token)", err)
	}
}

func TestParseRefusesBadLines(t *testing.T) {
	for _, bad := range []string{"abc read", "sha256:00 read", "sha256:" + strings.Repeat("0", 64) + " root", "sha256:" + strings.Repeat("0", 64)} {
		if _, err := parse([]byte(bad)); err == nil {
			t.Errorf("parse(%q) accepted it", bad)
		}
	}
}

func TestReloadedWhenTheFileChanges(t *testing.T) {
	rt, rl := mint(t, Read, "")
	wt, wl := mint(t, Write, "")
	s, path := store(t, rl)
	if _, ok := s.Lookup(wt); ok {
		t.Fatal("an unknown token was found")
	}
	if err := os.WriteFile(path, []byte(wl+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	_ = os.Chtimes(path, later, later)
	s.mu.Lock()
	s.lastCheck = time.Time{}
	s.mu.Unlock()
	if _, ok := s.Lookup(wt); !ok {
		t.Fatal("a token added to the file was not found")
	}
	if _, ok := s.Lookup(rt); ok {
		t.Fatal("a token removed from the file was still accepted")
	}
}

func TestInterceptorsAndHandler(t *testing.T) {
	rt, rl := mint(t, Read, "")
	s, _ := store(t, rl)
	policy := func(m string) Role {
		if m == "/x/Read" {
			return Read
		}
		return Write
	}
	called := 0
	h := func(ctx context.Context, req any) (any, error) { called++; return "ok", nil }
	in := func(tok string) context.Context {
		md := metadata.MD{}
		if tok != "" {
			md.Set("authorization", "Bearer "+tok)
		}
		return metadata.NewIncomingContext(context.Background(), md)
	}
	ui := s.UnaryInterceptor(policy)
	if _, err := ui(in(""), nil, &grpc.UnaryServerInfo{FullMethod: "/x/Read"}, h); status.Code(err) != codes.Unauthenticated {
		t.Errorf("no token: %v, want Unauthenticated", err)
	}
	if _, err := ui(in(rt), nil, &grpc.UnaryServerInfo{FullMethod: "/x/Write"}, h); status.Code(err) != codes.PermissionDenied {
		t.Errorf("read token writing: %v, want PermissionDenied", err)
	}
	if called != 0 {
		t.Fatal("a refused call reached the handler")
	}
	if _, err := ui(in(rt), nil, &grpc.UnaryServerInfo{FullMethod: "/x/Read"}, h); err != nil || called != 1 {
		t.Errorf("read token reading: %v", err)
	}

	hh := s.Handler(func(r *http.Request) Role {
		if r.Method == http.MethodGet {
			return Read
		}
		return Write
	}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := Allowed(r.Context(), Write); err != nil {
			WriteHTTPError(w, err)
		}
	}))
	for _, c := range []struct {
		method, tok string
		want        int
	}{{"GET", "", 401}, {"POST", rt, 403}, {"GET", rt, 200}} {
		r := httptest.NewRequest(c.method, "/", nil)
		if c.tok != "" {
			r.Header.Set("Authorization", "Bearer "+c.tok)
		}
		w := httptest.NewRecorder()
		hh.ServeHTTP(w, r)
		if c.want == 200 {
			c.want = 403 // Allowed(Write) refuses the read token inside
		}
		if w.Code != c.want {
			t.Errorf("%s with token %v: %d, want %d", c.method, c.tok != "", w.Code, c.want)
		}
	}
}
