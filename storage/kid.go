package storage

// KIDs (entity and fact IDs) are 64-bit. An ID created by a log entry is
// derived from the entry's index and an offset within the entry, so every
// view derives the same IDs without coordination:
//
//	KID = index<<OffsetBits | offset
//
// Index 0 never exists in the log, so KIDs below 1<<OffsetBits are free for
// well-known entities.
const (
	// OffsetBits is how many low bits of a KID hold the offset.
	OffsetBits = 20
	// MaxOffset is the largest offset one log entry may use.
	MaxOffset = 1<<OffsetBits - 1
)

// Well-known entities, present in every graph without being inserted.
const (
	// KIDHasExternalID is the predicate of facts `<kid> <HasExternalID> "name"`
	// that give entities their external names.
	KIDHasExternalID uint64 = 1
)

// WellKnownKID returns the KID of the well-known entity with the given
// external name.
func WellKnownKID(name string) (uint64, bool) {
	switch name {
	case "HasExternalID":
		return KIDHasExternalID, true
	}
	return 0, false
}

// WellKnownName returns the external name of a well-known KID.
func WellKnownName(kid uint64) (string, bool) {
	switch kid {
	case KIDHasExternalID:
		return "HasExternalID", true
	}
	return "", false
}

// KIDOf returns the KID that offset names inside the entry at index.
func KIDOf(index uint64, offset uint32) uint64 {
	return index<<OffsetBits | uint64(offset)
}
