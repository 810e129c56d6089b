package backup

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// FormatVersion is the version of the backup format this package writes
// and reads.
const FormatVersion = 1

// ManifestName is the manifest's file name inside a backup directory.
const ManifestName = "manifest.json"

// ErrIncomplete marks a directory that is not a whole backup: its manifest
// is missing (the backup was interrupted before its last step).
var ErrIncomplete = errors.New("incomplete backup")

// ErrDamaged marks a backup file that does not match its manifest.
var ErrDamaged = errors.New("damaged backup")

// Manifest describes a whole backup.
type Manifest struct {
	Format int `json:"format"`
	// Index is the log index the backup is consistent as of: every entry
	// up to it and none after.
	Index uint64 `json:"index"`
	// LogVersion is the log format version the sources reported (0: the
	// first) and LogVersionIndex the index of the entry that switched the
	// log to it (0: the first version, or not known). When that index is
	// past Index, the version at Index is an older one.
	LogVersion      uint32    `json:"log_version"`
	LogVersionIndex uint64    `json:"log_version_index"`
	Created         time.Time `json:"created"`
	// Spaces lists the spaces backed up ("hashsp", "hashpo"); the files
	// of each cover its whole hash space.
	Spaces []string   `json:"spaces"`
	Files  []FileInfo `json:"files"`
	// Base is set for an incremental backup: its files hold only the
	// keys of the entries after the base backup's index, and it restores
	// only on top of that backup (see OpenChain).
	Base *BaseRef `json:"base,omitempty"`

	// sha is the SHA-256 of the manifest file, set by Open.
	sha string
}

// BaseRef names the backup an incremental backup adds to: its index and
// the SHA-256 of its manifest file.
type BaseRef struct {
	Index          uint64 `json:"index"`
	ManifestSHA256 string `json:"manifest_sha256"`
}

// ManifestSHA256 is the SHA-256 of the manifest file as read by Open: what
// an incremental backup on top of this one records as its base.
func (m *Manifest) ManifestSHA256() string { return m.sha }

// FileInfo describes one data file.
type FileInfo struct {
	Name       string `json:"name"`
	Space      string `json:"space"`
	RangeStart uint64 `json:"range_start"`
	RangeEnd   uint64 `json:"range_end"` // inclusive
	Keys       uint64 `json:"keys"`
	// Bytes is the file's size; RawBytes the keys' and values' bytes.
	Bytes    int64  `json:"bytes"`
	RawBytes uint64 `json:"raw_bytes"`
	SHA256   string `json:"sha256"`
	// Digest is the sum of viewstore.EntryDigest over the file's entries,
	// as 16 hex digits; ViewDigest the digest its source view reported
	// for its range at the backup's index, when the file is that range.
	Digest     string `json:"digest"`
	ViewDigest string `json:"view_digest,omitempty"`
	Source     string `json:"source,omitempty"`
}

// Keys returns the total key count of the backup.
func (m *Manifest) Keys() uint64 {
	var n uint64
	for _, f := range m.Files {
		n += f.Keys
	}
	return n
}

// Open reads and checks the manifest of the backup in dir.
func Open(dir string) (*Manifest, error) {
	path := filepath.Join(dir, ManifestName)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if _, serr := os.Stat(dir); serr != nil {
			return nil, fmt.Errorf("reading the backup in %s: %w", dir, serr)
		}
		return nil, fmt.Errorf("%w: %s has no %s (the backup did not finish)", ErrIncomplete, dir, ManifestName)
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrDamaged, path, err)
	}
	sum := sha256.Sum256(b)
	m.sha = hex.EncodeToString(sum[:])
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrDamaged, path, err)
	}
	return &m, nil
}

// check validates the manifest's own consistency: a known format, and
// files with plain names whose ranges cover each space exactly once.
func (m *Manifest) check() error {
	if m.Format != FormatVersion {
		return fmt.Errorf("format version %d, but this binary reads version %d", m.Format, FormatVersion)
	}
	if m.Index == 0 {
		return errors.New("index 0")
	}
	if m.Base != nil && m.Base.Index >= m.Index {
		return fmt.Errorf("incremental from index %d, not below its own index %d", m.Base.Index, m.Index)
	}
	for _, sp := range m.Spaces {
		var next uint64
		done := false
		for _, f := range m.filesOf(sp) {
			if done || f.RangeStart != next || f.RangeEnd < f.RangeStart {
				return fmt.Errorf("the files of %s do not cover its hash space exactly once (at %s)", sp, f.Name)
			}
			if f.RangeEnd == ^uint64(0) {
				done = true
			}
			next = f.RangeEnd + 1
		}
		if !done {
			return fmt.Errorf("the files of %s do not cover its hash space (nothing from 0x%016x)", sp, next)
		}
	}
	seen := map[string]bool{}
	for _, f := range m.Files {
		if f.Name != filepath.Base(f.Name) || f.Name == ManifestName || seen[f.Name] || f.Name == "" {
			return fmt.Errorf("bad file name %q", f.Name)
		}
		seen[f.Name] = true
		if !m.hasSpace(f.Space) {
			return fmt.Errorf("file %s is of space %q, not listed in spaces", f.Name, f.Space)
		}
	}
	return nil
}

func (m *Manifest) hasSpace(sp string) bool {
	for _, s := range m.Spaces {
		if s == sp {
			return true
		}
	}
	return false
}

// filesOf returns the files of space sp in range order (the manifest
// lists them so).
func (m *Manifest) filesOf(sp string) []FileInfo {
	var out []FileInfo
	for _, f := range m.Files {
		if f.Space == sp {
			out = append(out, f)
		}
	}
	return out
}

// FilesOf returns the files of space sp whose range overlaps [start, end].
func (m *Manifest) FilesOf(sp string, start, end uint64) []FileInfo {
	var out []FileInfo
	for _, f := range m.filesOf(sp) {
		if f.RangeStart <= end && start <= f.RangeEnd {
			out = append(out, f)
		}
	}
	return out
}

// OpenChain opens a full backup followed by incremental ones, each on top
// of the one before (its base's index and manifest checksum match), and
// returns their manifests in order. The state they restore is as of the
// last one's index.
func OpenChain(dirs []string) ([]*Manifest, error) {
	if len(dirs) == 0 {
		return nil, errors.New("no backup given")
	}
	var out []*Manifest
	for i, dir := range dirs {
		m, err := Open(dir)
		if err != nil {
			return nil, err
		}
		switch {
		case i == 0 && m.Base != nil:
			return nil, fmt.Errorf("%s is an incremental backup (after index %d): give the full backup it adds to first", dir, m.Base.Index)
		case i > 0 && m.Base == nil:
			return nil, fmt.Errorf("%s is a full backup: only incremental ones may follow %s", dir, dirs[0])
		case i > 0 && (m.Base.Index != out[i-1].Index || m.Base.ManifestSHA256 != out[i-1].sha):
			return nil, fmt.Errorf("%s adds to the backup as of index %d (manifest %.12s), not to %s (index %d, manifest %.12s)",
				dir, m.Base.Index, m.Base.ManifestSHA256, dirs[i-1], out[i-1].Index, out[i-1].sha)
		}
		out = append(out, m)
	}
	return out, nil
}

// FileName is the name a data file of space sp and range [start, end]
// gets.
func FileName(sp string, start, end uint64) string {
	return fmt.Sprintf("%s-%016x-%016x.keys.gz", sp, start, end)
}
