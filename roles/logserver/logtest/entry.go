package logtest

import (
	"fmt"
	"strings"

	"github.com/akutan-dev/akutan/storage/logentry"
	"github.com/akutan-dev/akutan/wire"
)

// Entry returns a log entry that carries payload, for tests about the log
// rather than about entries: the log refuses bytes that are not an entry
// every view can apply. It inserts one fact whose object is payload (with
// any invalid UTF-8 replaced, so that encoding cannot fail); Payload gets
// it back.
func Entry(payload string) []byte {
	data, err := logentry.Encode(&wire.LogEntry{Command: &wire.LogEntry_Insert{Insert: &wire.InsertTx{
		Facts: []*wire.InsertFact{{
			FactOffset: 1, Subject: logentry.KIDRef(1), Predicate: logentry.KIDRef(2),
			Object: &wire.LogObject{Value: &wire.LogObject_Str{Str: strings.ToValidUTF8(payload, "\uFFFD")}},
		}},
	}}})
	if err != nil {
		return nil // cannot happen; the log would refuse the empty entry
	}
	return data
}

// Entries returns an Entry for each payload.
func Entries(payloads ...string) [][]byte {
	out := make([][]byte, len(payloads))
	for i, p := range payloads {
		out[i] = Entry(p)
	}
	return out
}

// Payload returns the payload of an entry made by Entry, or for any other
// data a text saying so, which no payload equals.
func Payload(data []byte) string {
	e, err := logentry.Decode(data)
	if err != nil || len(e.GetInsert().GetFacts()) != 1 {
		return fmt.Sprintf("<not a logtest entry: %.20x... (%v)>", data, err)
	}
	return e.GetInsert().GetFacts()[0].GetObject().GetStr()
}
