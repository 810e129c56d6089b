package logentry

import "testing"

func TestVersionChangeRoundTrip(t *testing.T) {
	if MaxSupportedVersion < 2 {
		t.Fatalf("MaxSupportedVersion = %d: version 2 exists to exercise upgrades", MaxSupportedVersion)
	}
	data, err := EncodeVersionChange(2)
	if err != nil {
		t.Fatal(err)
	}
	e, err := Decode(data)
	if err != nil || e.GetVersion().GetVersion() != 2 || e.GetInsert() != nil {
		t.Fatalf("decoded %v, %v; want a change to version 2", e, err)
	}
}
