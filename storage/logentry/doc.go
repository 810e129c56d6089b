// Package logentry is the durable format of Akutan's log entries: how the
// API encodes a change and how every view decodes it into the same facts.
//
// An entry is a wire.LogEntry protobuf. IDs created by an entry are written
// as offsets and become KIDs only once the entry has an index
// (storage.KIDOf), which is what lets views derive identical IDs without
// talking to each other.
package logentry
