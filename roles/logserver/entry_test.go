package logserver

import (
	"fmt"

	"github.com/akutan-dev/akutan/storage/logentry"
	"github.com/akutan-dev/akutan/wire"
)

// testEntry and testPayload are logtest.Entry and logtest.Payload for
// this package's own tests, which logtest cannot serve (it imports
// logserver).
func testEntry(payload string) []byte {
	data, err := logentry.Encode(&wire.LogEntry{Command: &wire.LogEntry_Insert{Insert: &wire.InsertTx{
		Facts: []*wire.InsertFact{{
			FactOffset: 1, Subject: logentry.KIDRef(1), Predicate: logentry.KIDRef(2),
			Object: &wire.LogObject{Value: &wire.LogObject_Str{Str: payload}},
		}},
	}}})
	if err != nil {
		return nil // invalid UTF-8: the log refuses the empty entry
	}
	return data
}

func testPayload(data []byte) string {
	e, err := logentry.Decode(data)
	if err != nil || len(e.GetInsert().GetFacts()) != 1 {
		return fmt.Sprintf("<not a test entry: %.20x... (%v)>", data, err)
	}
	return e.GetInsert().GetFacts()[0].GetObject().GetStr()
}
