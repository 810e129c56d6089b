package apiserver

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestSSEWriter(t *testing.T) {
	rec := httptest.NewRecorder()
	s := &sseWriter{w: rec, rc: http.NewResponseController(rec)}
	if err := s.comment("hello"); err != nil {
		t.Fatal(err)
	}
	if err := s.event("patch", "7", []byte("H id <urn:akutan:index:7> .\nTX .\nA <a> <b> \"x\" .\nTC .\n")); err != nil {
		t.Fatal(err)
	}
	if err := s.event("end", "", []byte("7")); err != nil {
		t.Fatal(err)
	}
	want := ": hello\n\n" +
		"id: 7\nevent: patch\ndata: H id <urn:akutan:index:7> .\ndata: TX .\ndata: A <a> <b> \"x\" .\ndata: TC .\n\n" +
		"event: end\ndata: 7\n\n"
	if got := rec.Body.String(); got != want {
		t.Fatalf("wrote:\n%q\nwant:\n%q", got, want)
	}
	if !rec.Flushed {
		t.Fatal("events were not flushed")
	}
}
