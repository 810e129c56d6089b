// Package update turns parsed insert requests into log entries.
//
// An insert reads the graph at a recent log index to map external names to
// KIDs and to find facts that already exist (inserting them again is a
// no-op), then writes everything new as ONE log entry, so the request is
// atomic: a query at any index sees all of it or none of it. New entities
// and facts are named by offsets inside the entry; every view derives the
// same KIDs from the entry's index.
package update
