package console

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, path string) (int, string, http.Header) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	body, _ := io.ReadAll(w.Result().Body)
	return w.Code, string(body), w.Result().Header
}

// external matches a src or href that leaves the server.
var external = regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?\s*(https?:)?//`)

func TestServesThePageAndItsAssets(t *testing.T) {
	h := Handler()
	code, body, hdr := get(t, h, "/")
	if code != http.StatusOK || !strings.Contains(body, "<html") || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %s\n%s", code, hdr.Get("Content-Type"), body)
	}
	if !strings.Contains(hdr.Get("Content-Security-Policy"), "default-src 'self'") {
		t.Errorf("GET /: Content-Security-Policy %q", hdr.Get("Content-Security-Policy"))
	}
	for _, asset := range []string{"/console/app.js", "/console/console.css", "/console/cluster.js"} {
		code, _, hdr := get(t, h, asset)
		if code != http.StatusOK {
			t.Errorf("GET %s: %d", asset, code)
		}
		if strings.HasSuffix(asset, ".js") && !strings.Contains(hdr.Get("Content-Type"), "javascript") {
			t.Errorf("GET %s: Content-Type %q; a module needs a JavaScript type", asset, hdr.Get("Content-Type"))
		}
	}
	for _, missing := range []string{"/nope", "/console/", "/console/nope.js", "/console/../http.go", "/index.html"} {
		if code, _, _ := get(t, h, missing); code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", missing, code)
		}
	}
}

// TestLoadsNothingFromOutside checks every embedded file: no src or href
// to another host, and no import of a module from one.
func TestLoadsNothingFromOutside(t *testing.T) {
	err := fs.WalkDir(static, "static", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, path)
		if err != nil {
			return err
		}
		text := string(b)
		if m := external.FindString(text); m != "" {
			t.Errorf("%s: %q loads from outside", path, m)
		}
		if regexp.MustCompile(`(?m)^\s*import\b[^;]*["'](https?:)?//`).MatchString(text) {
			t.Errorf("%s imports a module from outside", path)
		}
		if strings.Contains(text, "@import url(http") {
			t.Errorf("%s imports a stylesheet from outside", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
