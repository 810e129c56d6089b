package cli

import (
	"fmt"
	"strings"
	"testing"
)

func TestReadEvents(t *testing.T) {
	stream := ": akutan change feed after log index 3\n\n" +
		"id: 4\nevent: patch\ndata: H id <urn:akutan:index:4> .\ndata: TX .\ndata: A <a> <b> \"c: d\" .\ndata: TC .\n\n" +
		": keepalive\n\n" +
		"event: end\ndata: 4\n\n" +
		"id: 9\nevent: patch\ndata: cut short"
	var got []string
	err := readEvents(strings.NewReader(stream), func(ev sseEvent) error {
		got = append(got, fmt.Sprintf("%s/%s/%s", ev.name, ev.id, strings.Join(ev.data, "|")))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`patch/4/H id <urn:akutan:index:4> .|TX .|A <a> <b> "c: d" .|TC .`,
		`end//4`,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events:\n%q\nwant:\n%q", got, want)
	}
}
